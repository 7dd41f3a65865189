import Foundation
import StreamLog
import Testing
import StreamLogTestSupport

@Suite struct TopicLifecycleTests {
    @Test func closeIsIdempotentAndRefusesLaterSends() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db, "--data", "a"])
        try succeed(["close", "t", "--db", db])
        try succeed(["close", "t", "--db", db])
        let before = try succeed(["replay", "t", "--db", db, "--objects"]).output
        #expect(seqs(try replay(db, "t")) == [1, 2])
        try Data("file".utf8).write(to: URL(fileURLWithPath: dir.path("file")))
        for arguments in [["--data", "b"], ["--inline", "--data", "b"], ["--file", dir.path("file")]] {
            let message = try fail(["send", "t", "--db", db] + arguments)
            #expect(message.contains("closed"), "\(message)")
        }
        let fromInput = try streamlog(["send", "t", "--db", db], stdin: input(["b", "c"]))
        #expect(fromInput.status != 0 && fromInput.stderr.contains("closed"))
        #expect(try succeed(["replay", "t", "--db", db, "--objects"]).output == before)
    }

    @Test func closingAnUnknownTopicCreatesItClosed() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["close", "fresh", "--db", db])
        let lines = try replay(db, "fresh")
        #expect(lines.count == 1 && lines[0]["type"] == "end" && lines[0]["seq"] == 1)
        let topics = try succeed(["topics", "--json", "--db", db]).json()
        #expect(topics == [["name": "fresh", "events": 0, "first_seq": nil, "last_seq": nil, "bytes": 0, "closed": true]])
    }

    @Test func replayShowsEvictedObjectsAndNeverEvicts() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        try succeed(["send", "t", "--db", path], stdin: input(["one", "two", "three"]))
        let keys = try replay(path, "t").compactMap { $0["key"]?.stringValue.flatMap(ObjectKey.init(uuidString:)) }
        #expect(keys.count == 3)
        do {
            let db = try LogDatabase(path: path)
            defer { db.close() }
            #expect(try db.objects.evict(keys[1]))
        }
        for _ in 0..<2 {
            let lines = try replay(path, "t", ["--objects"])
            #expect(lines.map { $0["data"] } == ["one", nil, "three"])
            #expect(lines.map { $0["evicted"] } == [nil, true, nil])
            #expect(Set(lines[1].keys) == ["topic", "seq", "type", "time", "metadata", "evict", "key", "size", "evicted"])
        }
        let db = try LogDatabase(path: path)
        defer { db.close() }
        #expect(try db.objects.exists(keys[0]) && db.objects.exists(keys[2]))
    }

    @Test func trimNeverReusesSeqs() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db], stdin: input((1...5).map { "e\($0)" }))
        let kept = try succeed(["trim", "t", "--db", db, "--keep", "2", "--json"]).json()
        #expect(kept == ["topic": "t", "events": 3, "objects": 3])
        #expect(seqs(try replay(db, "t")) == [4, 5])
        try succeed(["send", "t", "--db", db, "--data", "e6"])
        #expect(seqs(try replay(db, "t")) == [4, 5, 6])
        try succeed(["trim", "t", "--db", db, "--before", "100"])
        #expect(try replay(db, "t").isEmpty)
        let topics = try succeed(["topics", "--json", "--db", db]).json()
        #expect(topics == [["name": "t", "events": 0, "first_seq": nil, "last_seq": nil, "bytes": 0, "closed": false]])
        try succeed(["send", "t", "--db", db, "--data", "e7"])
        try succeed(["close", "t", "--db", db])
        try succeed(["trim", "t", "--db", db, "--older-than", "0s"])
        // The end-of-stream event survives every trim: the topic stays closed.
        let lines = try replay(db, "t")
        #expect(seqs(lines) == [8] && lines[0]["type"] == "end")
        #expect(try fail(["send", "t", "--db", db, "--data", "x"]).contains("closed"))
        try fail(["trim", "t", "--db", db])
        try fail(["trim", "t", "--db", db, "--keep", "1", "--before", "3"])
        try fail(["trim", "t", "--db", db, "--older-than", "soon"])
        #expect(try fail(["trim", "nope", "--db", db, "--keep", "1"]).contains("\"nope\""))
    }

    @Test func olderThanKeepsRecentEvents() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db], stdin: input(["a", "b"]))
        try succeed(["trim", "t", "--db", db, "--older-than", "1h"])
        #expect(seqs(try replay(db, "t")) == [1, 2])
    }

    @Test func topicsListsEveryTopicAsJSON() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "alpha", "--db", db], stdin: input(["12345", "678"]))
        try succeed(["send", "beta", "--db", db, "--inline", "--data", "xy"])
        try succeed(["close", "beta", "--db", db])
        let topics = try succeed(["topics", "--json", "--db", db]).json()
        #expect(
            topics == [
                ["name": "alpha", "events": 2, "first_seq": 1, "last_seq": 2, "bytes": 8, "closed": false],
                ["name": "beta", "events": 1, "first_seq": 1, "last_seq": 1, "bytes": 2, "closed": true],
            ])
        let text = try succeed(["topics", "--db", db]).output
        #expect(text.contains("alpha") && text.contains("closed"))
    }
}
