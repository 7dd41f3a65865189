import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

/// How a waiting subscriber spends its wakeups (see CommitWaiter): its own commits do not wake
/// it, a commit whose wakeup was dropped with its own is still seen, a consumer of a slow stream
/// stops looking for commits in vain, and one woken twice by writes that commit nothing polls
/// without its watch.
@Suite struct CommitWaiterTests {
    #if os(Linux)
    @Test func theSubscribersOwnCommitDoesNotWakeIt() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let own = try LogDatabase(path: path)  // stands for the subscriber's own connection
        defer { own.close() }
        try own.createTopic("t")
        let waiter = CommitWaiter(databasePath: path)
        let looks = Looks()
        try waiter.wait(until: Self.deadline(.milliseconds(1)), hasNewCommit: looks.none)  // starts the watch
        #expect(waiter.isWatching)

        try own.append([.inline(Data("own".utf8))], to: "t")
        waiter.discardOwnWakeup()
        looks.count = 0
        try waiter.wait(until: Self.deadline(.milliseconds(50)), hasNewCommit: looks.none)
        // Woken by its own write, it would look again and again (and pause) before giving up.
        #expect(looks.count == 1, "one look, for a commit whose wakeup may have been dropped, then asleep")
    }

    @Test func aCommitWhoseWakeupWasDroppedWithTheSubscribersOwnIsStillSeen() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let other = try LogDatabase(path: path)
        defer { other.close() }
        try other.createTopic("t")
        let subscriber = try LogDatabase(path: path)
        defer { subscriber.close() }
        let waiter = CommitWaiter(databasePath: path)
        try waiter.wait(until: Self.deadline(.milliseconds(1)), hasNewCommit: Looks().none)  // starts the watch
        let version = try subscriber.dataVersion()

        // Another connection commits just before the subscriber's own commit returns: its
        // wakeup is dropped with the subscriber's.
        try other.append([.inline(Data("theirs".utf8))], to: "t")
        waiter.discardOwnWakeup()
        var found = false
        try waiter.wait(until: Self.deadline(.seconds(30))) {
            found = try subscriber.dataVersion() != version
            return found
        }
        #expect(found, "the waiter looked for a commit before it slept, and found it")
    }

    @Test func aConsumerOfASlowStreamStopsLookingInVain() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let database = try LogDatabase(path: path)
        defer { database.close() }
        let waiter = CommitWaiter(databasePath: path)
        let looks = Looks()
        // Each wait follows a read that found something, as a consumer's does; nothing commits.
        for _ in 0..<CommitWaiter.failedLooksBeforeSkipping {
            waiter.readFoundEvents()
            try waiter.wait(until: Self.deadline(.milliseconds(5)), hasNewCommit: looks.none)
        }
        #expect(looks.count >= 1, "a consumer that has just read looks for the next commit")

        waiter.readFoundEvents()
        looks.count = 0
        try waiter.wait(until: Self.deadline(.milliseconds(5)), hasNewCommit: looks.none)
        #expect(looks.count == 0, "after looks that all found nothing, it sleeps at once")
    }

    @Test func twoWakeupsWithoutACommitDropTheWatchForTheRestOfTheWait() throws {
        // No database: a file named as its WAL, written to as a large transaction's spills would
        // be, with no commit ever visible.
        let dir = try TemporaryDirectory()
        let path = dir.path()
        #expect(FileManager.default.createFile(atPath: path + "-wal", contents: nil))
        let wal = try #require(FileHandle(forWritingAtPath: path + "-wal"))
        defer { try? wal.close() }
        let waiter = CommitWaiter(databasePath: path)
        let looks = Looks()
        try waiter.wait(until: Self.deadline(.milliseconds(1)), hasNewCommit: looks.none)  // starts the watch
        #expect(waiter.isWatching)

        wal.write(Data(repeating: 1, count: 4096))
        try waiter.wait(until: Self.deadline(.seconds(30)), hasNewCommit: looks.none)
        #expect(waiter.isWatching, "one wakeup without a commit may be a commit slow to show: the watch stays")

        wal.write(Data(repeating: 2, count: 4096))
        try waiter.wait(until: Self.deadline(.seconds(30)), hasNewCommit: looks.none)
        #expect(!waiter.isWatching, "a second one means a large transaction: the waiter polled without its watch")

        try waiter.wait(until: Self.deadline(.milliseconds(1)), hasNewCommit: looks.none)
        #expect(waiter.isWatching, "the next wait watches again")
    }

    private static func deadline(_ duration: Duration) -> ContinuousClock.Instant {
        ContinuousClock.now.advanced(by: duration)
    }
    #endif
}

/// Counts a waiter's looks for a commit.
private final class Looks {
    var count = 0

    /// A look that finds no commit.
    func none() -> Bool {
        count += 1
        return false
    }
}
