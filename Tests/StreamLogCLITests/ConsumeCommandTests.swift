import Foundation
import StreamLog
import Testing
import StreamLogTestSupport

/// `consume` with a durable cursor, `cursors` and `seek`.
@Suite struct ConsumeCommandTests {
    /// `consume TOPIC --consumer NAME` (with extra arguments) as parsed JSON lines.
    func consume(_ db: String, _ topic: String, _ consumer: String, _ arguments: [String] = [],
                 sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: MetadataValue]] {
        try succeed(["consume", topic, "--consumer", consumer, "--db", db] + arguments, sourceLocation: sourceLocation)
            .jsonLines()
    }

    @Test func consumeMovesADurableCursorAndCursorsReportsLag() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db, "--meta", "kind=job"], stdin: input(["a", "b", "c", "d", "e"]))
        let replayed = try replay(db, "t")

        let first = try consume(db, "t", "c", ["--max", "2"])
        #expect(first == Array(replayed[0..<2]), "consume prints the lines of replay")
        #expect(try succeed(["cursors", "--json", "--db", db]).json() == [["consumer": "c", "topic": "t", "position": 2, "lag": 3]])

        let rest = try consume(db, "t", "c")
        #expect(rest == Array(replayed[2...]))
        #expect(try succeed(["cursors", "--json", "--db", db]).json() == [["consumer": "c", "topic": "t", "position": 5, "lag": 0]])
        #expect(try consume(db, "t", "c").isEmpty, "caught up: nothing more")

        // Lag counts object events after the position, inline ones too, never the end-of-stream.
        try succeed(["send", "t", "--db", db, "--data", "f"])
        try succeed(["send", "t", "--db", db, "--data", "g", "--inline"])
        try succeed(["close", "t", "--db", db])
        #expect(try succeed(["cursors", "--json", "--db", db]).json() == [["consumer": "c", "topic": "t", "position": 5, "lag": 2]])
        let text = try succeed(["cursors", "--db", db]).output
        #expect(text.contains("POSITION") && text.contains("consumer"), "\(text)")

        // The end-of-stream line is printed (and not acknowledged, so a later run prints it again).
        let last = try consume(db, "t", "c")
        #expect(seqs(last) == [6, 7, 8] && last.last?["type"] == "end")
        #expect(Set(try #require(last.last).keys) == ["topic", "seq", "type", "time", "metadata"])
        #expect(try succeed(["cursors", "--json", "--db", db]).json() == [["consumer": "c", "topic": "t", "position": 7, "lag": 0]])
        #expect(seqs(try consume(db, "t", "c")) == [8])
        // Nothing else moved: replay never touches cursors.
        #expect(try replay(db, "t").count == 8)
    }

    @Test func maxThenResumeExactlyAfter() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db], stdin: input((1...10).map { "event \($0)" }))
        try succeed(["close", "t", "--db", db])
        var printed: [Int64] = []
        var runs = 0
        while printed.last != 11 && runs < 10 {
            let lines = try consume(db, "t", "c", ["--max", "3", "--objects"])
            #expect(lines.filter { $0["type"] == "object" }.count <= 3)
            printed += seqs(lines)
            runs += 1
        }
        #expect(printed == Array(1...11), "each event printed once, in order, then the end line")
        #expect(runs == 4)
        // A fresh consumer starts at the first retained event.
        #expect(seqs(try consume(db, "t", "other", ["--max", "1"])) == [1])
        #expect(try succeed(["cursors", "--json", "--db", db]).json() == [
            ["consumer": "c", "topic": "t", "position": 10, "lag": 0],
            ["consumer": "other", "topic": "t", "position": 1, "lag": 9],
        ])
    }

    @Test func seekMovesTheCursorBothWays() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db], stdin: input(["1", "2", "3", "4", "5", "6"]))
        #expect(seqs(try consume(db, "t", "c")) == Array(1...6))

        // --to SEQ: SEQ is the next event delivered.
        let moved = try succeed(["seek", "t", "--consumer", "c", "--to", "3", "--json", "--db", db]).json()
        #expect(moved == ["consumer": "c", "topic": "t", "position": 2])
        #expect(seqs(try consume(db, "t", "c", ["--max", "2"])) == [3, 4])

        // --start: the first retained event, after a trim.
        try succeed(["trim", "t", "--before", "3", "--db", db])
        try succeed(["seek", "t", "--consumer", "c", "--start", "--db", db])
        #expect(seqs(try consume(db, "t", "c")) == [3, 4, 5, 6])

        // --end: only events appended afterwards.
        try succeed(["seek", "t", "--consumer", "c", "--to", "4", "--db", db])
        let text = try succeed(["seek", "t", "--consumer", "c", "--end", "--db", db]).output
        #expect(text.contains("position 6"), "\(text)")
        #expect(try consume(db, "t", "c").isEmpty)
        try succeed(["send", "t", "--db", db, "--data", "7"])
        #expect(seqs(try consume(db, "t", "c")) == [7])

        // A consumer never seen is created where it is put.
        try succeed(["seek", "t", "--consumer", "late", "--to", "6", "--db", db])
        #expect(seqs(try consume(db, "t", "late")) == [6, 7])

        // Refusals: one line, nothing changed.
        let before = try succeed(["cursors", "--json", "--db", db]).output
        #expect(try fail(["seek", "t", "--consumer", "c", "--to", "99", "--db", db]).contains("99"))
        try fail(["seek", "t", "--consumer", "c", "--db", db])
        try fail(["seek", "t", "--consumer", "c", "--start", "--end", "--db", db])
        try fail(["seek", "t", "--start", "--db", db])
        #expect(try fail(["seek", "unknown", "--consumer", "c", "--start", "--db", db]).contains("\"unknown\""))
        #expect(try succeed(["cursors", "--json", "--db", db]).output == before)
        #expect(try succeed(["topics", "--json", "--db", db]).json().arrayValue?.count == 1)
    }

    @Test func objectsResolvesAndEvictsOnlyWithObjects() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db], stdin: input(["one", "two"]))
        try succeed(["send", "t", "--db", db, "--data", "kept", "--no-evict"])
        try succeed(["send", "t", "--db", db, "--data", "inline", "--inline"])

        // Without --objects nothing is resolved, so nothing is evicted.
        let plain = try consume(db, "t", "c")
        #expect(plain.allSatisfy { $0["data"] == nil && $0["evicted"] == nil })
        #expect(try replay(db, "t", ["--objects"]).map { $0["data"] } == ["one", "two", "kept", "inline"])

        // With --objects: payloads printed, evictable stored objects evicted once acknowledged.
        let resolved = try consume(db, "t", "d", ["--objects"])
        #expect(resolved.map { $0["data"] } == ["one", "two", "kept", "inline"])
        let after = try replay(db, "t", ["--objects"])
        #expect(after.map { $0["data"] } == [nil, nil, "kept", "inline"])
        #expect(after.map { $0["evicted"] } == [true, true, nil, nil])

        // Another consumer sees them as evicted, in the same format as replay.
        try succeed(["seek", "t", "--consumer", "c", "--start", "--db", db])
        #expect(try consume(db, "t", "c", ["--objects"]) == after)
    }

    @Test func consumeOnAnUnknownTopicIsRefusedAndCreatesNothing() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "known", "--db", db, "--data", "x"])
        let topicsBefore = try succeed(["topics", "--json", "--db", db]).output
        for extra in [[], ["--follow"], ["--group", "g"], ["--group", "g", "--follow"]] {
            let message = try fail(["consume", "unknown", "--consumer", "c", "--db", db] + extra)
            #expect(message.contains("\"unknown\""), "\(message)")
        }
        #expect(try succeed(["topics", "--json", "--db", db]).output == topicsBefore)
        #expect(try succeed(["cursors", "--json", "--db", db]).output == "[]\n")
    }

    @Test(arguments: [
        ["consume", "t", "--consumer", "c"], ["consume", "t", "--consumer", "c", "--group", "g"], ["cursors"],
        ["seek", "t", "--consumer", "c", "--start"], ["dlq", "t", "--group", "g"],
    ])
    func consumerCommandsNeverCreateAFile(_ arguments: [String]) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("missing.db")
        #expect(try fail(arguments + ["--db", path]).contains(path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).isEmpty)
    }

    @Test func usageErrorsAreOneLineAndWriteNothing() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db, "--data", "x"])
        try fail(["consume", "t", "--db", db])
        try fail(["consume", "t", "--consumer", "", "--db", db])
        try fail(["consume", "t", "--consumer", "c", "--max", "0", "--db", db])
        #expect(try fail(["consume", "t", "--consumer", "c", "--lease", "5", "--db", db]).contains("--group"))
        try fail(["consume", "t", "--consumer", "c", "--group", "g", "--lease", "0", "--db", db])
        try fail(["dlq", "t", "--db", db])
        try fail(["dlq", "t", "--group", "g", "purge", "--db", db])
        #expect(try succeed(["cursors", "--json", "--db", db]).output == "[]\n")
    }

    @Test(arguments: ["consume", "cursors", "seek", "dlq"])
    func helpHasAnExample(_ subcommand: String) throws {
        let result = try succeed([subcommand, "--help"])
        #expect(result.output.contains("Example"), "\(result.output)")
        #expect(result.output.contains("streamlog \(subcommand)"))
        #expect(result.output.contains("--db"))
    }

    @Test func followPrintsNewEventsAndStopsAtEndOfStream() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db, "--data", "before"])
        let follower = try BackgroundStreamlog(["consume", "t", "--consumer", "c", "--db", db, "--follow", "--objects"])
        #expect(waitUntil { follower.lines.count == 1 }, "follower printed \(follower.stdout)")
        // Acknowledged once printed, while it keeps following.
        #expect(waitUntil { (try? succeed(["cursors", "--json", "--db", db]).json()[0]?["position"]) == 1 })
        try succeed(["send", "t", "--db", db], stdin: input(["a", "b"]))
        #expect(waitUntil { follower.lines.count == 3 }, "follower printed \(follower.stdout)")
        try succeed(["close", "t", "--db", db])
        let result = try #require(follower.waitForExit(), "the follower did not stop at end-of-stream")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try result.stdout.split(separator: "\n").map { try #require(MetadataValue(json: String($0)).objectValue) }
        #expect(lines.map { $0["data"] } == ["before", "a", "b", nil])
        #expect(lines.last?["type"] == "end")
        #expect(try succeed(["cursors", "--json", "--db", db]).json() == [["consumer": "c", "topic": "t", "position": 3, "lag": 0]])
        // Past the end of a closed topic (seek --end), --follow has nothing to wait for.
        try succeed(["seek", "t", "--consumer", "c", "--end", "--db", db])
        let past = try BackgroundStreamlog(["consume", "t", "--consumer", "c", "--db", db, "--follow"])
        let ended = try #require(past.waitForExit(), "--follow waited on a closed topic")
        #expect(ended.status == 0 && ended.stdout.isEmpty)
        try succeed(["seek", "t", "--group", "g", "--end", "--db", db])
        let member = try BackgroundStreamlog(["consume", "t", "--group", "g", "--consumer", "w", "--db", db, "--follow"])
        let stopped = try #require(member.waitForExit(), "--follow waited on a closed topic")
        #expect(stopped.status == 0 && stopped.stdout.isEmpty)
    }
}
