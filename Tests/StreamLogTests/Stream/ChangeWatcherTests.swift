import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

/// The wakeup a waiting consumer gets from another connection's commit, and the watch that a
/// busy consumer drops so that producers' writes do not pay for it (see ChangeWatcher).
@Suite struct ChangeWatcherTests {
    #if os(Linux)
    @Test func aWatchSeesACommitOnlyWhileItExists() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let writer = try LogDatabase(path: path)
        defer { writer.close() }
        try writer.append([.inline(Data("before".utf8))], to: "t")
        let watcher = ChangeWatcher(databasePath: path)
        #expect(!watcher.isWatching)

        #expect(watcher.startWatching(), "a new watch tells the caller to look for a commit again")
        #expect(!watcher.startWatching(), "an existing watch is kept")
        try writer.append([.inline(Data("seen".utf8))], to: "t")
        #expect(watcher.wait(timeout: .seconds(30)), "a commit while watching wakes the waiter")

        // Events queued before the watch stops must not wake the next wait.
        try writer.append([.inline(Data("queued".utf8))], to: "t")
        watcher.stopWatching()
        #expect(!watcher.isWatching)
        try writer.append([.inline(Data("unwatched".utf8))], to: "t")
        #expect(watcher.startWatching())
        #expect(!watcher.wait(timeout: .milliseconds(50)), "nothing was written since the watch started")
        try writer.append([.inline(Data("seen again".utf8))], to: "t")
        #expect(watcher.wait(timeout: .seconds(30)))
    }

    @Test func aConsumerStopsWatchingWhileItReadsABacklogAndWatchesAgainToWait() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let writer = try LogDatabase(path: path)
        defer { writer.close() }
        try writer.createTopic("t")
        let subscriber = try SQLiteSubscriber(path: path, topics: ["t"], pageSize: 4)
        defer { subscriber.close(stores: false) }
        #expect(try subscriber.nextEvent(timeout: .milliseconds(1)) == nil)
        #expect(subscriber.isWatchingForCommits, "a subscriber that waited watches")

        try writer.append((0..<20).map { .inline(Data("\($0)".utf8)) }, to: "t")
        for seq in 1...20 { #expect(try subscriber.nextEvent(timeout: .seconds(30))?.seq == Int64(seq)) }
        #expect(!subscriber.isWatchingForCommits, "five pages read without a wait: the backlog is read unwatched")

        #expect(try subscriber.nextEvent(timeout: .milliseconds(1)) == nil)
        #expect(subscriber.isWatchingForCommits, "a subscriber that waited watches again")
        try writer.append([.inline(Data("later".utf8))], to: "t")
        #expect(try subscriber.nextEvent(timeout: .seconds(30))?.seq == 21)
        #expect(subscriber.isWatchingForCommits, "one read per wait keeps the watch: an idle consumer's wakeups cost nothing more")
    }
    #endif
}
