import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

/// `LogDatabase.checkpoint()` and the background checkpointer's settings.
@Suite struct CheckpointTests {
    /// A truncating checkpoint holds the write lock while it waits for readers; behind a long read
    /// it must give up soon, not after the 30 s busy timeout with every writer waiting.
    @Test func aCheckpointBehindAnOpenReadGivesUpSoon() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append([.inline(Data("x".utf8))], to: "t")
        let reader = try LogDatabase(path: dir.path())
        try reader.withConnection { connection in
            try connection.execute("BEGIN")
            _ = try connection.scalarInt("SELECT count(*) FROM topics")  // holds a read snapshot
        }
        try db.append([.inline(Data("y".utf8))], to: "t")  // a frame the reader's snapshot predates
        let clock = ContinuousClock()
        let started = clock.now
        #expect(try db.checkpoint() == false)
        // Not a timing of the checkpoint: a bound far below the 30 s busy timeout it used to wait.
        #expect(clock.now - started < .seconds(10))
        try reader.withConnection { try $0.execute("COMMIT") }
        #expect(try db.checkpoint())
        #expect(try db.read(topic: "t").count == 2)
    }

    @Test func aHugeCheckpointThresholdIsClampedNotATrap() throws {
        let dir = try TemporaryDirectory()
        var options = LogDatabase.Options()
        options.walAutocheckpointPages = .max
        let db = try LogDatabase(path: dir.path(), options: options)
        try db.append([.inline(Data("x".utf8))], to: "t")
        #expect(try db.read(topic: "t").count == 1)
    }
}
