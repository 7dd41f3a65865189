import Foundation
import StreamLog
import Testing
import StreamLogTestSupport

@Suite struct SendReplayTests {
    @Test func standardInputRoundTripsLineByLine() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db], stdin: Data("first\r\nsecond\n\ncarriage\rinside\nlast".utf8))
        let lines = try replay(db, "t", ["--objects"])
        #expect(lines.map { $0["data"] } == ["first", "second", "", "carriage\rinside", "last"])
        #expect(seqs(lines) == [1, 2, 3, 4, 5])
        for line in lines {
            #expect(Set(line.keys) == ["topic", "seq", "type", "time", "metadata", "evict", "key", "size", "data"])
            #expect(line["topic"] == "t")
            #expect(line["type"] == "object")
            #expect(line["metadata"] == .object([:]))
            #expect(line["evict"] == true)
            #expect(isRFC3339UTC(line["time"]?.stringValue), "\(line)")
            #expect(isUUID(line["key"]?.stringValue), "\(line)")
        }
        #expect(lines.map { $0["size"] } == [5, 6, 0, 15, 4])
    }

    @Test func emptyInputSendsNothingAndTrailingNewlineEndsTheLastObject() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db])
        #expect(try replay(db, "t").isEmpty)
        try succeed(["send", "t", "--db", db], stdin: Data("only\n".utf8))
        #expect(try replay(db, "t", ["--objects"]).map { $0["data"] } == ["only"])
    }

    @Test func dataAndFileSourcesKeepEveryByte() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db, "--data", "héllo wörld ✓"])
        let binary = Data([0xFF, 0xFE, 0x00, 0x80, 0x0A, 0x0D, 0xC3, 0x28] + (0...255).map { UInt8($0) })
        try binary.write(to: URL(fileURLWithPath: dir.path("binary")))
        try succeed(["send", "t", "--db", db, "--file", dir.path("binary")])
        try succeed(["send", "t", "--db", db, "--file", dir.path("binary"), "--inline"])
        // Larger than one chunk of the object store: streamed in pieces, one transaction.
        var large = Data(count: ObjectStore.chunkSize + 12345)
        large.withUnsafeMutableBytes { bytes in
            for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 2_654_435_761 >> 7) }
        }
        try large.write(to: URL(fileURLWithPath: dir.path("large")))
        try succeed(["send", "t", "--db", db, "--file", dir.path("large")])
        let text = Data("line one\nline two\n".utf8)
        try text.write(to: URL(fileURLWithPath: dir.path("text")))
        try succeed(["send", "t", "--db", db, "--file", dir.path("text")])

        let lines = try replay(db, "t", ["--objects"])
        #expect(lines.count == 5)
        #expect(lines[0]["data"] == "héllo wörld ✓")
        #expect(lines[0]["size"] == .int(Int64("héllo wörld ✓".utf8.count)))
        for line in lines[1...3] {
            #expect(line["data"] == nil)
            #expect(line["data_base64"] != nil)
        }
        #expect(lines[1]["data_base64"]?.stringValue.flatMap { Data(base64Encoded: $0) } == binary)
        #expect(lines[2]["data_base64"]?.stringValue.flatMap { Data(base64Encoded: $0) } == binary)
        #expect(lines[2]["key"] == nil)
        #expect(lines[3]["data_base64"]?.stringValue.flatMap { Data(base64Encoded: $0) } == large)
        #expect(lines[3]["size"] == .int(Int64(large.count)))
        #expect(lines[4]["data"] == "line one\nline two\n")
    }

    @Test func missingInputFileFailsAndCreatesNoDatabase() throws {
        let dir = try TemporaryDirectory()
        let message = try fail(["send", "t", "--db", dir.path(), "--file", dir.path("absent")])
        #expect(message.contains(dir.path("absent")))
        #expect(!fileExists(dir.path()))
    }

    @Test func unreadableStandardInputFailsAndCreatesNoDatabase() throws {
        let dir = try TemporaryDirectory()
        let process = try makeProcess(["send", "t", "--db", dir.path()])
        let directory = try #require(FileHandle(forReadingAtPath: dir.url.path))
        let errors = Pipe()
        process.standardInput = directory
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0 && message.contains("standard input"), "\(message)")
        #expect(!fileExists(dir.path()))
    }

    @Test func rangesAndLimits() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db], stdin: input((1...10).map { "e\($0)" }))
        try succeed(["close", "t", "--db", db])
        #expect(seqs(try replay(db, "t")) == Array(1...11))
        #expect(seqs(try replay(db, "t", ["--from", "3", "--to", "7"])) == [3, 4, 5, 6, 7])
        #expect(seqs(try replay(db, "t", ["--limit", "2"])) == [1, 2])
        #expect(seqs(try replay(db, "t", ["--from", "9", "--limit", "5"])) == [9, 10, 11])
        #expect(seqs(try replay(db, "t", ["--from", "8", "--to", "10"])) == [8, 9, 10])
        #expect(seqs(try replay(db, "t", ["--limit", "0"])) == [])
        #expect(seqs(try replay(db, "t", ["--from", "50"])) == [])
        let end = try #require(try replay(db, "t", ["--from", "11"]).first)
        #expect(Set(end.keys) == ["topic", "seq", "type", "time", "metadata"])
        #expect(end["type"] == "end" && end["seq"] == 11 && end["metadata"] == .object([:]))
        try fail(["replay", "t", "--db", db, "--from", "5", "--to", "4"])
        try fail(["replay", "t", "--db", db, "--limit", "-1"])
    }

    @Test func sinceSkipsOlderEventsButNeverTheEndLine() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db, "--data", "old"])
        let lines = try replay(db, "t")
        let firstTime = try #require(lines.first?["time"]?.stringValue)
        // Wait until the clock has moved past the first event, then send a second one.
        let cut = Timestamp.now()
        _ = waitUntil { Timestamp.now() > cut }
        try succeed(["send", "t", "--db", db, "--data", "new"])
        try succeed(["close", "t", "--db", db])
        #expect(seqs(try replay(db, "t", ["--since", firstTime])) == [1, 2, 3])
        #expect(seqs(try replay(db, "t", ["--since", cut.rfc3339])) == [2, 3])
        // Far in the future: no object qualifies, yet the end-of-stream line is still printed.
        #expect(seqs(try replay(db, "t", ["--since", "2999-01-01T00:00:00Z"])) == [3])
        #expect(seqs(try replay(db, "t", ["--since", "2999-01-01T01:00:00+01:00", "--match", "k=1"])) == [3])
        let error = try fail(["replay", "t", "--db", db, "--since", "yesterday"])
        #expect(error.contains("since"))
    }

    @Test func metadataValuesAreTypedAsJSON() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed([
            "send", "t", "--db", db, "--data", "x", "--meta", "int=3", "--meta", "float=2.5", "--meta", "bool=true",
            "--meta", "null=null", "--meta", "word=abc", "--meta", "quoted=\"3\"", "--meta", "array=[1, \"a\"]",
            "--meta", "object={\"b\": 1, \"a\": [true]}", "--meta", "nan=NaN", "--meta", "big=12345678901234567890",
            "--meta", "eq=a=b", "--meta", "empty=",
        ])
        let metadata = try #require(try replay(db, "t").first?["metadata"]?.objectValue)
        #expect(metadata["int"].map { if case .int(3) = $0 { true } else { false } } == true)
        #expect(metadata["float"].map { if case .double(2.5) = $0 { true } else { false } } == true)
        #expect(metadata["bool"].map { if case .bool(true) = $0 { true } else { false } } == true)
        #expect(metadata["null"].map { if case .null = $0 { true } else { false } } == true)
        #expect(metadata["word"].map { if case .string("abc") = $0 { true } else { false } } == true)
        #expect(metadata["quoted"].map { if case .string("3") = $0 { true } else { false } } == true)
        #expect(metadata["array"] == [1, "a"])
        #expect(metadata["object"] == ["a": [true], "b": 1])
        #expect(metadata["nan"].map { if case .string("NaN") = $0 { true } else { false } } == true)
        #expect(metadata["big"].map { if case .double = $0 { true } else { false } } == true)
        #expect(metadata["eq"] == "a=b")
        #expect(metadata["empty"] == "")
        try fail(["send", "t", "--db", db, "--data", "x", "--meta", "novalue"])
        try fail(["send", "t", "--db", db, "--data", "x", "--meta", "=1"])
    }

    @Test func matchIsJSONValueEquality() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db, "--data", "1", "--meta", "n=3", "--meta", "s=\"3\"", "--meta", "b=true", "--meta", "o={\"x\":1,\"y\":2}"])
        try succeed(["send", "t", "--db", db, "--data", "2", "--meta", "n=3.0", "--meta", "z=null"])
        try succeed(["send", "t", "--db", db, "--data", "3", "--meta", "n=4", "--meta", "b=1"])
        func matching(_ matches: String...) throws -> [Int64] {
            seqs(try replay(db, "t", matches.flatMap { ["--match", $0] }))
        }
        #expect(try matching("n=3") == [1, 2])
        #expect(try matching("n=3.0") == [1, 2])
        #expect(try matching("n=\"3\"") == [])
        #expect(try matching("s=3") == [])
        #expect(try matching("s=\"3\"") == [1])
        #expect(try matching("b=true") == [1])
        #expect(try matching("b=1") == [3])
        #expect(try matching("o={\"y\": 2, \"x\": 1.0}") == [1])
        #expect(try matching("z=null") == [2])
        #expect(try matching("missing=null") == [])
        #expect(try matching("n=3", "b=true") == [1])
        #expect(try matching("n=3", "b=1") == [])
    }

    @Test func inlineAndStoredEventsHaveTheirFields() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db, "--data", "stored"])
        try succeed(["send", "t", "--db", db, "--data", "kept", "--no-evict"])
        try succeed(["send", "t", "--db", db, "--data", "inline", "--inline"])
        let lines = try replay(db, "t")
        #expect(lines.map { $0["evict"] } == [true, false, false])
        #expect(isUUID(lines[0]["key"]?.stringValue))
        #expect(isUUID(lines[1]["key"]?.stringValue))
        #expect(lines[2]["key"] == nil)
        #expect(Set(lines[2].keys) == ["topic", "seq", "type", "time", "metadata", "evict", "size"])
        #expect(lines.map { $0["size"] } == [6, 4, 6])
        // Without --objects no payload is printed.
        #expect(lines.allSatisfy { $0["data"] == nil && $0["data_base64"] == nil })
    }

    @Test func textFormatIsOneLinePerEvent() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db, "--data", "multi\nline", "--meta", "k=v"])
        try succeed(["close", "t", "--db", db])
        let text = try succeed(["replay", "t", "--db", db, "--format", "text", "--objects"]).output
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].contains("multi\\nline") && lines[0].contains("{\"k\":\"v\"}"))
        #expect(lines[1].contains("end of stream"))
        let withoutObjects = try succeed(["replay", "t", "--db", db, "--format", "text"]).output.split(separator: "\n")
        #expect(withoutObjects.count == 2 && withoutObjects[0].hasSuffix("{\"k\":\"v\"}"))
    }
}
