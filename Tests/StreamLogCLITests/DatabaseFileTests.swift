import Foundation
import StreamLog
import Testing
import StreamLogTestSupport

@Suite struct DatabaseFileTests {
    @Test func dbOptionWinsOverEnvironmentWhichWinsOverTheDefault() throws {
        let dir = try TemporaryDirectory()
        let explicit = dir.path("explicit.db")
        let fromEnvironment = dir.path("environment.db")
        // --db after the subcommand and its argument.
        try succeed(["send", "t", "--data", "explicit", "--db", explicit], environment: ["STREAMLOG_DB": fromEnvironment])
        try succeed(["send", "t", "--data", "environment"], environment: ["STREAMLOG_DB": fromEnvironment])
        try succeed(["send", "t", "--data", "default"], directory: dir.url)
        #expect(try replay(explicit, "t", ["--objects"]).map { $0["data"] } == ["explicit"])
        #expect(try replay(fromEnvironment, "t", ["--objects"]).map { $0["data"] } == ["environment"])
        #expect(try replay(dir.path("streamlog.db"), "t", ["--objects"]).map { $0["data"] } == ["default"])
        let viaEnvironment = try succeed(["replay", "t", "--objects"], environment: ["STREAMLOG_DB": fromEnvironment])
        #expect(try viaEnvironment.jsonLines().map { $0["data"] } == ["environment"])
        let viaDefault = try succeed(["topics", "--json"], directory: dir.url)
        #expect(try viaDefault.json()[0]?["name"] == "t")
    }

    @Test(arguments: [
        ["replay", "t"], ["replay", "t", "--follow"], ["topics"], ["topics", "--json"], ["trim", "t", "--keep", "1"],
        ["gc"], ["check"], ["stats"],
    ])
    func commandsOtherThanSendAndCloseNeverCreateAFile(_ arguments: [String]) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("missing.db")
        let message = try fail(arguments + ["--db", path])
        #expect(message.contains(path), "\(message)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).isEmpty)
    }

    @Test func replayOfAnUnknownTopicNamesItAndCreatesNothing() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "known", "--db", db, "--data", "x"])
        let topicsBefore = try succeed(["topics", "--json", "--db", db]).output
        let message = try fail(["replay", "unknown-topic", "--db", db])
        #expect(message.contains("\"unknown-topic\""))
        try fail(["replay", "unknown-topic", "--db", db, "--follow"])
        #expect(try succeed(["topics", "--json", "--db", db]).output == topicsBefore)
    }

    @Test(arguments: [
        "quote\"d", "semi; DROP TABLE topics; --", "it's", "名前🙂", "tab\there", "new\nline", "topic_2", "\\", " ",
    ])
    func hostileTopicNamesAreData(_ name: String) throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "topic_1", "--db", db, "--data", "decoy"])
        try succeed(["send", name, "--db", db, "--data", "payload"])
        let lines = try replay(db, name, ["--objects"])
        #expect(lines.count == 1)
        #expect(lines.first?["topic"] == .string(name))
        #expect(lines.first?["data"] == "payload")
        let names = try #require(try succeed(["topics", "--json", "--db", db]).json().arrayValue).map { $0["name"] }
        #expect(Set(names) == Set([.string("topic_1"), .string(name)]))
        try succeed(["close", name, "--db", db])
        #expect(try fail(["send", name, "--db", db, "--data", "x"]).contains("closed"))
        #expect(try succeed(["check", "--db", db]).status == 0)
    }

    @Test func unacceptableTopicNamesFailClearlyAndCreateNothing() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        #expect(try fail(["send", "", "--db", db, "--data", "x"]).contains("empty"))
        #expect(try fail(["close", "", "--db", db]).contains("empty"))
        // A name far over the limit (command lines cap one argument at 128 KiB on Linux).
        let long = String(repeating: "n", count: 100_000)
        let message = try fail(["send", long, "--db", db, "--data", "x"])
        #expect(message.contains("100000 bytes") && message.contains("\(TopicName.maxBytes)"), "\(message)")
        #expect(message.utf8.count < 1000, "the message should not echo the whole name")
        try fail(["close", long, "--db", db])
        #expect(!fileExists(db))
        try succeed(["send", "ok", "--db", db, "--data", "x"])
        try fail(["replay", long, "--db", db])
    }

    @Test func randomBytesAreRefusedUntouched() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        var generator = SystemRandomNumberGenerator()
        let noise = Data((0..<16384).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try noise.write(to: URL(fileURLWithPath: path))
        for arguments in [
            ["send", "t", "--data", "x"], ["close", "t"], ["replay", "t"], ["topics"], ["trim", "t", "--keep", "0"],
            ["gc", "--vacuum"], ["check"], ["stats"],
        ] {
            let message = try fail(arguments + ["--db", path])
            #expect(message.contains(path), "\(arguments): \(message)")
        }
        #expect(try fileBytes(path) == noise)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["test.db"])
    }

    @Test func aFileFromANewerStreamLogIsRefusedUntouched() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        try succeed(["send", "t", "--db", path, "--data", "x"])
        // PRAGMA user_version lives at offset 60 of the header (big-endian). The WAL was
        // checkpointed and removed when the last connection closed, so the header is current.
        #expect(!fileExists(path + "-wal"))
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: 60)
        handle.write(Data([0, 0, 0, 99]))
        try handle.close()
        let before = try fileBytes(path)
        for arguments in [["send", "t", "--data", "y"], ["close", "t"], ["replay", "t"], ["topics"], ["gc"], ["check"], ["stats"]] {
            let message = try fail(arguments + ["--db", path])
            #expect(message.contains("99") && message.contains("newer"), "\(message)")
        }
        #expect(try fileBytes(path) == before)
    }
}
