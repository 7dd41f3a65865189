import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

@Suite struct TransactionTests {
    struct Boom: Error {}

    private func prepared() throws -> (TemporaryDirectory, LogDatabase) {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(3, from: 10), to: "in")
        try db.transaction { tx in
            try tx.execute("CREATE TABLE totals (name TEXT PRIMARY KEY, amount INTEGER NOT NULL)")
        }
        return (dir, db)
    }

    /// Processes the next event of "in" as consumer "p": a result event, a row in the app's
    /// table, and the cursor advance.
    private func processNext(_ tx: LogDatabase.Transaction) throws -> Int64? {
        guard let event = try tx.read(topic: "in", consumer: "p", limit: 1).first else { return nil }
        let value = Int64(texts([event])[0])!
        try tx.append([.inline(Data("\(value * 2)".utf8))], to: "out")
        try tx.execute(
            "INSERT INTO totals (name, amount) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET amount = amount + ?2",
            ["sum", .integer(value)])
        try tx.acknowledge(consumer: "p", topic: "in", through: event.seq)
        return event.seq
    }

    /// Text is bound with its length: SQLite would stop at a NUL character otherwise.
    @Test func textWithANulCharacterRoundTripsWhole() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let rows = try db.transaction { tx in
            _ = try tx.execute("CREATE TABLE notes (body TEXT)")
            _ = try tx.execute("INSERT INTO notes VALUES (?1), (?2)", [.text("a\0b"), .text("")])
            return try tx.query("SELECT body, length(CAST(body AS BLOB)) FROM notes ORDER BY rowid")
        }
        #expect(rows == [[.text("a\0b"), .integer(3)], [.text(""), .integer(0)]])
    }

    @Test func resultsAndTheCursorCommitTogether() throws {
        let (_, db) = try prepared()
        #expect(try db.transaction { try processNext($0) } == 1)
        #expect(try db.transaction { try processNext($0) } == 2)
        #expect(texts(try db.read(topic: "out")) == ["20", "22"])
        #expect(try db.cursorPosition(consumer: "p", topic: "in") == 2)
        let rows = try db.transaction { try $0.query("SELECT name, amount FROM totals WHERE amount > ?1", [0]) }
        #expect(rows == [[.text("sum"), .integer(21)]])
    }

    @Test func aThrownErrorRollsEverythingBack() throws {
        let (_, db) = try prepared()
        #expect(throws: Boom.self) {
            try db.transaction { tx in
                _ = try processNext(tx)
                throw Boom()
            }
        }
        #expect(try !db.topicExists("out"))  // even the topic the transaction created
        #expect(try db.cursorPosition(consumer: "p", topic: "in") == nil)
        #expect(try db.transaction { try $0.query("SELECT count(*) FROM totals") } == [[.integer(0)]])
        // The same event is processed again, once.
        #expect(try db.transaction { try processNext($0) } == 1)
        #expect(texts(try db.read(topic: "out")) == ["20"])
    }

    /// A full disk makes SQLite roll the whole transaction back; a closure that catches the error
    /// and carries on must not get its later writes committed one by one (they would run in
    /// autocommit mode).
    @Test func afterSQLiteRollsBackByItselfNothingMoreRunsOrCommits() throws {
        let (_, db) = try prepared()
        try db.acknowledge(consumer: "p", topic: "in", through: 1)
        try DiskFullTests.limit(db, spare: 0)
        var appendError: StreamLogError?
        var acknowledgeError: StreamLogError?
        let commitError = #expect(throws: StreamLogError.self) {
            try db.transaction { tx in
                do {
                    try tx.append([.inline(Data(count: 200_000))], to: "in")
                } catch let error as StreamLogError { appendError = error }
                do {
                    try tx.acknowledge(consumer: "p", topic: "in", through: 2)
                } catch let error as StreamLogError { acknowledgeError = error }
            }
        }
        #expect(appendError?.code == .diskFull, "\(String(describing: appendError))")
        #expect(acknowledgeError?.code == .closed, "\(String(describing: acknowledgeError))")
        #expect(acknowledgeError?.message.contains("rolled back by SQLite") == true)
        #expect(commitError?.code == .closed, "\(String(describing: commitError))")
        try DiskFullTests.unlimit(db)
        #expect(try db.cursorPosition(consumer: "p", topic: "in") == 1)
        #expect(try db.read(topic: "in").count == 3)
        #expect(try db.transaction { try processNext($0) } == 2)
    }

    @Test func aStaleGroupReceiptRollsBackTheResults() throws {
        let (_, db) = try prepared()
        let now = Timestamp.now()
        let mine = try db.claim(group: "g", topic: "in", member: "slow", limit: 1, lease: .seconds(1), now: now)
        _ = try db.claim(group: "g", topic: "in", member: "fast", limit: 1, lease: .seconds(30), now: now.shifted(by: .seconds(2)))
        let error = #expect(throws: StreamLogError.self) {
            try db.transaction { tx in
                try tx.append([.inline(Data("result".utf8))], to: "out")
                try tx.ack(mine.map(\.receipt))
            }
        }
        #expect(error?.code == .staleReceipt)
        #expect(try !db.topicExists("out"))
    }

    @Test func aGroupAckCommitsWithTheResults() throws {
        let (_, db) = try prepared()
        let batch = try db.claim(group: "g", topic: "in", member: "m", limit: 3)
        try db.transaction { tx in
            try tx.append(batch.map { .inline($0.event.payload!) }, to: "out")
            try tx.ack(batch.map(\.receipt))
        }
        #expect(try db.groupPosition(group: "g", topic: "in") == 3)
        #expect(texts(try db.read(topic: "out")) == ["10", "11", "12"])
    }

    @Test(arguments: ["COMMIT", "  rollback", "/* x */ BEGIN", "-- c\nSAVEPOINT s", "release s", "END"])
    func transactionControlIsRefused(sql: String) throws {
        let (_, db) = try prepared()
        let error = #expect(throws: StreamLogError.self) {
            try db.transaction { tx in
                try tx.execute("INSERT INTO totals VALUES ('x', 1)")
                try tx.execute(sql)
            }
        }
        #expect(error?.code == .invalidArgument)
        #expect(try db.transaction { try $0.query("SELECT count(*) FROM totals") } == [[.integer(0)]])
    }

    @Test func argumentsAreBoundAndCounted() throws {
        let (_, db) = try prepared()
        let hostile = "'); DROP TABLE totals; --"
        let changed = try db.transaction { tx in try tx.execute("INSERT INTO totals VALUES (?1, ?2)", [.text(hostile), 5]) }
        #expect(changed == 1)
        let error = #expect(throws: StreamLogError.self) {
            try db.transaction { tx in try tx.execute("INSERT INTO totals VALUES (?1, ?2)", [1]) }
        }
        #expect(error?.code == .invalidArgument)
        #expect(try db.transaction { try $0.query("SELECT name FROM totals") } == [[.text(hostile)]])
    }

    @Test func aTransactionCannotBeUsedAfterItsClosure() throws {
        let (_, db) = try prepared()
        var escaped: LogDatabase.Transaction?
        try db.transaction { escaped = $0 }
        let error = #expect(throws: StreamLogError.self) { try escaped?.read(topic: "in") }
        #expect(error?.code == .closed)
    }
}
