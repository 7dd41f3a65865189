import Foundation
import StreamLog
import Testing
import StreamLogTestSupport

@Suite struct MaintenanceCommandTests {
    @Test func gcDeletesOnlyOldUnreferencedObjects() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        try succeed(["send", "t", "--db", path], stdin: input(["kept", "also kept"]))
        let orphan: ObjectKey
        do {
            let db = try LogDatabase(path: path)
            defer { db.close() }
            orphan = try db.objects.put(Data("orphan".utf8))
        }
        // Within the default grace period the lone object may still be referenced by a later event.
        #expect(try succeed(["gc", "--db", path]).output.contains("deleted 0 orphaned objects"))
        #expect(try succeed(["gc", "--db", path, "--grace", "0", "--vacuum"]).output.contains("deleted 1 orphaned object "))
        let db = try LogDatabase(path: path)
        defer { db.close() }
        #expect(try !db.objects.exists(orphan))
        #expect(try replay(path, "t", ["--objects"]).map { $0["data"] } == ["kept", "also kept"])
        try succeed(["check", "--db", path])
    }

    @Test func gcRefusesAStoreOnlyFileUnlessForced() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        do {
            let store = try ObjectStore(path: path)
            defer { store.database.close() }
            try store.put(Data("referenced from another file".utf8))
        }
        #expect(try fail(["gc", "--db", path, "--grace", "0"]).contains("no topics"))
        #expect(try succeed(["gc", "--db", path, "--grace", "0", "--force"]).output.contains("deleted 1 orphaned object "))
    }

    @Test func checkReportsAHealthyFile() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db], stdin: input(["a", "b"]))
        try succeed(["close", "t", "--db", db])
        let report = try succeed(["check", "--json", "--db", db]).json()
        #expect(report == ["healthy": true, "topics": 1, "events": 3, "objects": 2, "problems": []])
        #expect(try succeed(["check", "--db", db]).output.hasPrefix("ok:"))
    }

    @Test(.enabled(if: hasSQLiteShell, "needs the sqlite3 shell to damage a file"))
    func checkFindsBrokenInvariants() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        // --no-evict: the object of an evictable event may be gone without a trace (its consumer
        // deleted it), so only a kept object's absence is damage.
        try succeed(["send", "t", "--db", db, "--no-evict"], stdin: input(["a", "b", "c"]))
        // The second event's object.
        try sqlite3(db, "DELETE FROM objects WHERE key = (SELECT key FROM topic_1 WHERE seq = 2)")
        // replay still prints the event, marking its object missing, and reports the damage.
        let replayed = try streamlog(["replay", "t", "--objects", "--db", db])
        #expect(replayed.status != 0 && replayed.stderr.contains("check"))
        #expect(try replayed.jsonLines().map { $0["missing"] } == [nil, true, nil])
        try sqlite3(db, "UPDATE topic_1 SET seq = 0 WHERE seq = 1")
        let result = try streamlog(["check", "--json", "--db", db])
        #expect(result.status == 1)
        let report = try result.json()
        #expect(report["healthy"] == false)
        let kinds = Set(try #require(report["problems"]?.arrayValue).compactMap { $0["kind"]?.stringValue })
        #expect(kinds == ["missingObject", "seqRange"])
        let text = try streamlog(["check", "--db", db])
        #expect(text.status == 1 && text.output.contains("2 problems") && text.stderr.isEmpty)
    }

    @Test func checkAcceptsConsumersAndGroupsAndFindsACursorOutOfRange() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        try succeed(["send", "t", "--db", path], stdin: input(["a", "b", "c", "d"]))
        do {
            let db = try LogDatabase(path: path)
            defer { db.close() }
            try db.acknowledge(consumer: "reader", topic: "t", through: 2)
            let deliveries = try db.claim(group: "workers", topic: "t", member: "w1", limit: 3)
            #expect(deliveries.count == 3)
        }
        #expect(try succeed(["check", "--json", "--db", path]).json()["healthy"] == true)
        let stats = try succeed(["stats", "--json", "--db", path]).json()
        #expect(stats["consumers"] == 1 && stats["groups"] == 1)
        guard hasSQLiteShell else { return }
        try sqlite3(path, "UPDATE cursors SET position = 99")
        let result = try streamlog(["check", "--json", "--db", path])
        #expect(result.status == 1)
        let kinds = try #require(try result.json()["problems"]?.arrayValue).compactMap { $0["kind"]?.stringValue }
        #expect(kinds == ["cursorRange"])
    }

    @Test func statsReportsSizesAndCounts() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "a", "--db", db], stdin: input(["1234", "56"]))
        try succeed(["send", "b", "--db", db, "--inline", "--data", "xyz"])
        try succeed(["close", "b", "--db", db])
        let stats = try #require(try succeed(["stats", "--json", "--db", db]).json().objectValue)
        #expect(stats["path"] == .string(db))
        #expect((stats["file_bytes"]?.intValue ?? 0) > 0)
        #expect(stats["topics"] == 2 && stats["closed_topics"] == 1)
        #expect(stats["events"] == 3 && stats["bytes"] == 9)
        #expect(stats["objects"] == 2 && stats["object_bytes"] == 6)
        #expect((stats["schema_version"]?.intValue ?? 0) >= 2)
        for key in ["wal_bytes", "page_size", "pages", "free_pages", "evicted_objects", "consumers", "groups"] {
            #expect(stats[key]?.intValue != nil, "missing \(key)")
        }
        #expect(try succeed(["stats", "--db", db]).output.contains("topics"))
    }

    @Test(arguments: ["send", "replay", "close", "topics", "trim", "gc", "check", "stats"])
    func everySubcommandHasHelpWithAnExample(_ subcommand: String) throws {
        let result = try succeed([subcommand, "--help"])
        #expect(result.output.contains("Example"), "\(result.output)")
        #expect(result.output.contains("streamlog \(subcommand)"))
        #expect(result.output.contains("--db"))
    }

    @Test func usageErrorsAreOneLine() throws {
        let dir = try TemporaryDirectory()
        try fail(["send", "t", "--db", dir.path(), "--data", "x", "--file", "y"])
        try fail(["replay", "--db", dir.path()])
        try fail(["send", "t", "--db", dir.path(), "--batch-size", "0"])
        try fail(["frobnicate"])
        #expect(!fileExists(dir.path()))
    }
}
