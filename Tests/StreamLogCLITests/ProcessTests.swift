import Foundation
import StreamLog
import Testing
import StreamLogTestSupport

@Suite struct ProcessTests {
    @Test func followSeesEventsFromAnotherProcessAndStopsAtEndOfStream() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db, "--data", "before"])
        let follower = try BackgroundStreamlog(["replay", "t", "--db", db, "--follow", "--objects"])
        #expect(waitUntil { follower.lines.count == 1 }, "follower printed \(follower.stdout)")
        try succeed(["send", "t", "--db", db, "--data", "during"])
        #expect(waitUntil { follower.lines.count == 2 }, "follower printed \(follower.stdout)")
        try succeed(["send", "t", "--db", db], stdin: input(["a", "b", "c"]))
        #expect(waitUntil { follower.lines.count == 5 }, "follower printed \(follower.stdout)")
        try succeed(["close", "t", "--db", db])
        let result = try #require(follower.waitForExit(), "the follower did not stop at end-of-stream")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try result.stdout.split(separator: "\n").map { try #require(MetadataValue(json: String($0)).objectValue) }
        #expect(lines.map { $0["data"] } == ["before", "during", "a", "b", "c", nil])
        #expect(lines.map { $0["seq"] } == [1, 2, 3, 4, 5, 6])
        #expect(lines.last?["type"] == "end")
    }

    @Test func followWithMatchStillStopsAtEndOfStream() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db, "--data", "x", "--meta", "k=1"])
        let follower = try BackgroundStreamlog(["replay", "t", "--db", db, "--follow", "--match", "k=2", "--since", "2999-01-01T00:00:00Z"])
        try succeed(["send", "t", "--db", db, "--data", "y", "--meta", "k=2"])
        try succeed(["close", "t", "--db", db])
        let result = try #require(follower.waitForExit())
        #expect(result.status == 0)
        #expect(result.stdout.split(separator: "\n").count == 1 && result.stdout.contains("\"type\":\"end\""))
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func followExitsZeroOnSignal(_ signalNumber: Int32) throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db, "--data", "x"])
        let follower = try BackgroundStreamlog(["replay", "t", "--db", db, "--follow"])
        #expect(waitUntil { follower.lines.count == 1 })
        follower.signal(signalNumber)
        let result = try #require(follower.waitForExit())
        #expect(result.status == 0 && result.stderr.isEmpty, "\(result)")
        #expect(follower.process.terminationReason == .exit)
    }

    @Test func followStopsAtTo() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db, "--data", "1"])
        let follower = try BackgroundStreamlog(["replay", "t", "--db", db, "--follow", "--to", "2"])
        try succeed(["send", "t", "--db", db], stdin: input(["2", "3"]))
        let result = try #require(follower.waitForExit())
        #expect(result.status == 0)
        #expect(result.stdout.split(separator: "\n").count == 2)
    }

    @Test func fourConcurrentSendsLoseNothing() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        let perProducer = 500
        // The file exists before the race: this test is about concurrent appends. (Several
        // processes creating one new file at once can still fail in the library's open: reported.)
        try succeed(["close", "warm-up", "--db", db])
        let senders = try (0..<4).map { producer in
            let sender = try BackgroundStreamlog(["send", "shared", "--db", db, "--batch-size", producer % 2 == 0 ? "1" : "50"])
            sender.write((0..<perProducer).map { "p\(producer):\($0)\n" }.joined())
            try sender.closeInput()
            return sender
        }
        for sender in senders {
            let result = try #require(sender.waitForExit(timeout: .seconds(60)))
            #expect(result.status == 0, "\(result.stderr)")
        }
        let lines = try replay(db, "shared", ["--objects"])
        #expect(seqs(lines) == Array(1...Int64(4 * perProducer)))
        var next: [String: Int] = [:]
        for line in lines {
            let parts = try #require(line["data"]?.stringValue).split(separator: ":")
            let producer = String(parts[0])
            #expect(Int(parts[1]) == next[producer, default: 0], "\(producer) out of order")
            next[producer] = Int(parts[1])! + 1
        }
        #expect(next == ["p0": perProducer, "p1": perProducer, "p2": perProducer, "p3": perProducer])
    }

    @Test func aPartialBatchIsCommittedWhenInputPauses() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        let sender = try BackgroundStreamlog(["send", "t", "--db", db])
        sender.write("one\n")
        #expect(waitUntil { replayedCount(db, "t") == 1 }, "a paused batch should be committed")
        sender.write("two\nthree")
        #expect(waitUntil { replayedCount(db, "t") == 2 }, "the unfinished last line waits for its newline or the end")
        try sender.closeInput()
        let result = try #require(sender.waitForExit())
        #expect(result.status == 0)
        #expect(try replay(db, "t", ["--objects"]).map { $0["data"] } == ["one", "two", "three"])
    }

    @Test func aClosedStandardOutputEndsReplayQuietly() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db, "--inline", "--batch-size", "5000"], stdin: input((0..<20_000).map { "event \($0)" }))
        let process = try makeProcess(["replay", "t", "--db", db])
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read one line's worth, then close the read end, as `| head -1` does.
        let first = output.fileHandleForReading.readData(ofLength: 64)
        #expect(!first.isEmpty)
        try output.fileHandleForReading.close()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        #expect(stderr.isEmpty, "\(String(decoding: stderr, as: UTF8.self))")
    }
}
