import Foundation
import StreamLog
import Testing
import StreamLogTestSupport

/// Edge cases a review of the CLI found: a follow that can never see anything more, dead-letter
/// names two groups share, inputs that used to stop the process instead of failing with a line.
@Suite struct CLIEdgeCaseTests {
    @Test func replayFollowPastTheEndOfAClosedTopicExits() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        try succeed(["send", "t", "--db", path], stdin: input(["a", "b"]))
        try succeed(["close", "t", "--db", path])  // the end of stream is seq 3
        let follower = try BackgroundStreamlog(["replay", "t", "--db", path, "--from", "4", "--follow"])
        let finished = try #require(follower.waitForExit(timeout: .seconds(20)), "replay --follow kept waiting")
        #expect(finished.status == 0 && finished.stdout.isEmpty, "\(finished)")
    }

    @Test func dlqListsOnlyTheLettersOfItsOwnTopicAndGroup() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        try succeed(["send", "a", "--db", path, "--data", "letter of a"])
        try succeed(["send", "a.dlq.b", "--db", path, "--data", "x"])
        do {
            // (a, b.dlq.c) and (a.dlq.b, c) share the dead-letter topic a.dlq.b.dlq.c.
            let db = try LogDatabase(path: path)
            defer { db.close() }
            try db.createGroup("b.dlq.c", topic: "a", options: .init(maxDeliveries: 1))
            try db.createGroup("c", topic: "a.dlq.b", options: .init(maxDeliveries: 1))
            let claimed = try db.claim(group: "b.dlq.c", topic: "a", member: "m", limit: 1)
            try db.nack(claimed[0].receipt, error: "given up")
        }
        #expect(try succeed(["dlq", "a.dlq.b", "--group", "c", "--json", "--db", path]).json() == [])
        let own = try succeed(["dlq", "a", "--group", "b.dlq.c", "--json", "--db", path]).json()
        #expect(own.arrayValue?.count == 1)
    }

    @Test func aDirectoryGivenAsTheDatabaseIsAClearError() throws {
        let dir = try TemporaryDirectory()
        let line = try fail(["topics", "--db", dir.url.path])
        #expect(line.contains("is a directory"), "\(line)")
    }

    @Test func aHugeTrimAgeTrimsNothingInsteadOfCrashing() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        try succeed(["send", "t", "--db", path, "--data", "kept"])
        try succeed(["trim", "t", "--older-than", "300000000d", "--db", path])
        #expect(try replay(path, "t").count == 1)
    }
}
