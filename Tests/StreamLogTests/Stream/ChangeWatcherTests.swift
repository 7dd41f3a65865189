import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

/// The wakeup a waiting consumer gets from another connection's commit, and the watch that a
/// busy consumer drops so that producers' writes do not pay for it (see ChangeWatcher, CommitWaiter).
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
        // Timeouts long enough to reach the wait on a loaded machine (one that expires before the
        // subscriber has looked for events returns without waiting, and so without a watch).
        #expect(try subscriber.nextEvent(timeout: .milliseconds(100)) == nil)
        #expect(subscriber.isWatchingForCommits, "a subscriber that waited watches")

        try writer.append((0..<20).map { .inline(Data("\($0)".utf8)) }, to: "t")
        for seq in 1...20 { #expect(try subscriber.nextEvent(timeout: .seconds(30))?.seq == Int64(seq)) }
        #expect(!subscriber.isWatchingForCommits, "five pages read without a wait: the backlog is read unwatched")

        #expect(try subscriber.nextEvent(timeout: .milliseconds(100)) == nil)
        #expect(subscriber.isWatchingForCommits, "a subscriber that waited watches again")
        try writer.append([.inline(Data("later".utf8))], to: "t")
        #expect(try subscriber.nextEvent(timeout: .seconds(30))?.seq == 21)
        #expect(subscriber.isWatchingForCommits, "one read per wait keeps the watch: an idle consumer's wakeups cost nothing more")
    }

    /// Whether the watch is off at the moment of the commit depends on timing: the waiter polls
    /// without it for at most its safety net (100 ms), and a loaded machine can take longer to
    /// write 64 MiB; CommitWaiterTests checks that rule on its own.
    @Test func aConsumerWokenAgainAndAgainByALargeTransactionStillSeesItsCommit() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let publisher = try SQLitePublisher(path: path)
        defer { publisher.close() }
        let producer = StreamProducer<Data>(
            publisher: publisher, defaultStore: publisher.database.objects, options: .init(batchSize: 1))
        try producer.send(Data("first".utf8), to: "t")
        let subscriber = try SQLiteSubscriber(path: path, topics: ["t"])
        defer { subscriber.close(stores: false) }
        #expect(try subscriber.nextEvent(timeout: .seconds(30))?.seq == 1)

        let done = DispatchSemaphore(value: 0)
        let seen = SeenByConsumer()
        Thread.detachNewThread {
            seen.seq = (try? subscriber.nextEvent(timeout: .seconds(30)))?.seq
            done.signal()
        }
        // One transaction of 64 MiB: its pages spill into the WAL long before it commits, and
        // each of those writes wakes a watching consumer without a commit to show for it.
        try producer.send(Data(repeating: 7, count: 64 << 20), to: "t")
        #expect(done.wait(timeout: .now() + 60) == .success)
        #expect(seen.seq == 2, "the commit was seen")
    }
    #endif
}

/// What the consumer thread saw, read by the test after it signalled.
private final class SeenByConsumer: @unchecked Sendable {
    // @unchecked: written by the consumer thread only, read after it signalled completion.
    var seq: Int64?
}
