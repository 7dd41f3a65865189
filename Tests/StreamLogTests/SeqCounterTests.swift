import Foundation
import Testing
import StreamLogMigrations
@testable import StreamLog
import StreamLogTestSupport

/// A topic's counter (schema v0004): appends read it from the newest event and write no topic
/// row; the trigger of each topic table keeps it when the newest event is deleted.
@Suite struct SeqCounterTests {
    private func scalar(_ db: LogDatabase, _ sql: String) throws -> Int64? {
        try db.withConnection { try $0.scalarInt(sql) }
    }

    @Test func anAppendWritesOnlyItsEvents() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        for _ in 0..<3 { try db.append([.inline(Data("a".utf8)), .inline(Data("b".utf8))], to: "t") }
        #expect(try scalar(db, "SELECT next_seq FROM topics WHERE name = 't'") == 1)
        #expect(try scalar(db, "SELECT last_time FROM topics WHERE name = 't'") == 0)
        #expect(try db.lastSeq(topic: "t") == 6)
        #expect(try db.stats(topic: "t").highestSeq == 6)
        #expect(try db.append([.inline(Data())], to: "t") == 7...7)
    }

    @Test func deletingTheNewestEventsOneByOneWithPlainSQLKeepsTheCounter() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append((0..<4).map { _ in .inline(Data("x".utf8)) }, to: "t")
        for _ in 0..<3 {
            _ = try db.withConnection { try $0.execute("DELETE FROM topic_1 WHERE seq = (SELECT max(seq) FROM topic_1)") }
        }
        #expect(try scalar(db, "SELECT next_seq FROM topics WHERE id = 1") == 5)
        #expect(try db.lastSeq(topic: "t") == 4)
        #expect(try db.append([.inline(Data())], to: "t") == 5...5)
        #expect(try db.read(topic: "t").map(\.seq) == [1, 5])
        #expect(try db.check().problems.isEmpty)
    }

    @Test func deletingOlderEventsLeavesTheTopicRowAlone() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append((0..<5).map { _ in .inline(Data("x".utf8)) }, to: "t")
        #expect(try db.trim(topic: "t", before: 5).events == 4)
        #expect(try scalar(db, "SELECT next_seq FROM topics WHERE id = 1") == 1)
        #expect(try db.append([.inline(Data())], to: "t") == 6...6)
    }

    /// Event times never go back: an event from a clock ahead of this one (set here by hand) holds
    /// back the times of later batches, also once it is deleted.
    @Test func theNewestTimeHoldsEvenWhenItsEventIsDeleted() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append([.inline(Data("x".utf8))], to: "t")
        let ahead = Timestamp.now().microsecondsSinceEpoch + 3_600_000_000
        _ = try db.withConnection { try $0.execute("UPDATE topic_1 SET time = \(ahead)") }
        try db.append([.inline(Data("y".utf8))], to: "t")
        #expect(try db.read(topic: "t").map(\.time.microsecondsSinceEpoch) == [ahead, ahead])
        #expect(try db.trim(topic: "t", keepingLast: 0).events == 2)
        #expect(try scalar(db, "SELECT last_time FROM topics WHERE id = 1") == ahead)
        try db.append([.inline(Data("z".utf8))], to: "t")
        let events = try db.read(topic: "t")
        #expect(events.map(\.seq) == [3])
        #expect(events.map(\.time.microsecondsSinceEpoch) == [ahead])
    }

    @Test func aClosedTopicStaysClosed() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append([.inline(Data("x".utf8))], to: "t")
        try db.closeTopic("t")
        #expect(throws: StreamLogError.self) { try db.append([.inline(Data())], to: "t") }
        #expect(try db.lastSeq(topic: "t") == 2)
    }

    /// A version 3 file, whose topic tables have no trigger and whose `next_seq` is exact, gets the
    /// trigger on each topic table and carries on counting from where it was.
    @Test func version3TopicTablesGetTheTrigger() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        do {
            let connection = try Connection(path: path, readOnly: false, create: true, busyTimeout: .seconds(1))
            try connection.execute("PRAGMA journal_mode=WAL")
            for script in MigrationScripts.all.prefix(3) {
                try connection.execute("BEGIN IMMEDIATE; \(script.sql); PRAGMA user_version = \(script.version); COMMIT")
            }
            // Two topics as a version 3 build wrote them: the table alone, the counter exact.
            let table = MigrationScripts.topicTableTemplate.components(separatedBy: "CREATE TRIGGER")[0]
            for (id, name) in [(1, "a"), (2, "b")] {
                try connection.execute("INSERT INTO topics (id, name, created_at, next_seq, last_time) VALUES (\(id), '\(name)', 1, 4, 3)")
                try connection.execute(table.replacingOccurrences(of: "{table}", with: "topic_\(id)"))
                for seq in 1...3 {
                    try connection.execute("INSERT INTO topic_\(id) (seq, type, time, payload) VALUES (\(seq), 0, \(seq), x'00')")
                }
            }
            #expect(try connection.scalarInt("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'") == 0)
        }
        let db = try LogDatabase(path: path)
        #expect(try scalar(db, "PRAGMA user_version") == 4)
        #expect(try scalar(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'") == 2)
        #expect(try db.check().problems.isEmpty)
        #expect(try db.append([.inline(Data())], to: "a") == 4...4)
        _ = try db.withConnection { try $0.execute("DELETE FROM topic_1; DELETE FROM topic_2") }
        #expect(try db.append([.inline(Data())], to: "a") == 5...5)
        #expect(try db.append([.inline(Data())], to: "b") == 4...4)
    }

    @Test func checkReportsATopicTableWithoutItsTrigger() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append([.inline(Data("x".utf8))], to: "t")
        #expect(try db.check().problems.isEmpty)
        _ = try db.withConnection { try $0.execute("DROP TRIGGER topic_1_keeps_counter") }
        let problems = try db.check().problems
        #expect(problems.map(\.kind) == [.topicTable])
        #expect(problems.first?.message.contains("topic_1_keeps_counter") == true)
    }
}
