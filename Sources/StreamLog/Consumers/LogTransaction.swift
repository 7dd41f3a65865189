import Foundation
import StreamLogCSQLite

extension LogDatabase {
    /// One write transaction on the file, for exactly-once processing: whatever is done through
    /// it — reading, appending to any topic, the application's own SQL, acknowledging a cursor
    /// or acking group receipts — commits together when the closure given to
    /// ``LogDatabase/transaction(_:)`` returns, or not at all when it throws.
    ///
    /// Valid only inside that closure, on its thread: it must not escape, and the closure must not
    /// call the ``LogDatabase`` itself (its lock is held; use the transaction's methods).
    public final class Transaction {
        private let database: LogDatabase
        private let connection: Connection
        fileprivate var isOpen = true

        fileprivate init(database: LogDatabase, connection: Connection) {
            self.database = database
            self.connection = connection
        }

        /// Up to `limit` events of `topic` after the named consumer's position (registering it at
        /// the start on first use). The position moves only with ``acknowledge(consumer:topic:through:)``.
        ///
        /// - Throws: `.topicNotFound`, `.invalidArgument`, `.closed` outside the closure.
        public func read(topic: String, consumer: String, limit: Int = 1000) throws -> [Event] {
            try checkOpen()
            try TopicName.validate(consumer, kind: "consumer")
            let record = try database.existingTopic(topic, in: connection)
            let position = try database.ensureCursor(consumer, record, in: connection)
            return try read(record, after: position, limit: limit)
        }

        /// Up to `limit` events of `topic` with seq greater than `after`, in seq order.
        public func read(topic: String, after: Int64 = 0, limit: Int = 1000) throws -> [Event] {
            try checkOpen()
            return try read(try database.existingTopic(topic, in: connection), after: after, limit: limit)
        }

        /// Moves the named consumer's cursor forward through `seq`; see
        /// ``LogDatabase/acknowledge(consumer:topic:through:)``.
        @discardableResult
        public func acknowledge(consumer: String, topic: String, through seq: Int64) throws -> Int64 {
            try checkOpen()
            try TopicName.validate(consumer, kind: "consumer")
            let record = try database.existingTopic(topic, in: connection)
            return try database.advanceCursor(consumer, record, through: seq, in: connection)
        }

        /// Acks group deliveries; see ``LogDatabase/ack(_:)-([Receipt])``. A stale receipt throws
        /// `.staleReceipt`, and letting it propagate rolls the whole transaction back — so results
        /// of work another member now owns are never committed.
        public func ack(_ receipts: [Receipt]) throws {
            try checkOpen()
            try database.ackRows(receipts, in: connection)
        }

        /// Appends `events` to `topic` (created on first use), with `objects` in this file's store;
        /// see ``LogDatabase/append(_:objects:to:)``.
        @discardableResult
        public func append(_ events: [Event], objects: [PendingObject] = [], to topic: String) throws -> ClosedRange<Int64>? {
            try checkOpen()
            try validateBatch(events, topic: topic)
            try ObjectStore.insert(objects, in: connection)
            guard !events.isEmpty else { return nil }
            let record = try database.topicRecord(topic, create: true, in: connection)!
            return try database.appendRows(events, to: record, in: connection)
        }

        /// Appends with dedup keys; see ``LogDatabase/append(_:dedupKeys:objects:to:window:)``.
        @discardableResult
        public func append(
            _ events: [Event], dedupKeys: [String?], objects: [PendingObject] = [], to topic: String,
            window: Duration = LogDatabase.defaultDedupWindow
        ) throws -> DedupAppendResult {
            try checkOpen()
            try validateBatch(events, topic: topic)
            return try database.appendDeduplicated(
                events, dedupKeys: dedupKeys, objects: objects, to: topic, window: window, now: Timestamp.now(),
                in: connection)
        }

        /// Runs one SQL statement of the application's (on its own tables in this file) with
        /// `arguments` bound to its `?` / `?NNN` parameters, and returns the number of rows it
        /// changed. Statements are prepared once per text and cached: pass values as arguments,
        /// never spliced into `sql`.
        ///
        /// ```swift
        /// try tx.execute("INSERT INTO totals (day, amount) VALUES (?1, ?2) "
        ///     + "ON CONFLICT (day) DO UPDATE SET amount = amount + ?2", [.text(day), .integer(cents)])
        /// ```
        /// - Throws: `.invalidArgument` for transaction control (`BEGIN`, `COMMIT`, `ROLLBACK`,
        ///   `SAVEPOINT`, `RELEASE`, `END`), which would break the all-or-nothing guarantee;
        ///   SQLite errors as ``StreamLogError``.
        @discardableResult
        public func execute(_ sql: String, _ arguments: [SQLValue] = []) throws -> Int {
            try checkOpen()
            let statement = try prepare(sql, arguments)
            defer { statement.reset() }
            while try statement.step() {}
            try checkStillInTransaction(sql)
            return connection.changes
        }

        /// Runs one SQL query of the application's with `arguments` bound, and returns its rows.
        public func query(_ sql: String, _ arguments: [SQLValue] = []) throws -> [[SQLValue]] {
            try checkOpen()
            let statement = try prepare(sql, arguments)
            defer { statement.reset() }
            var rows: [[SQLValue]] = []
            let columns = sqlite3_column_count(statement.handle)
            while try statement.step() {
                rows.append((0..<columns).map { value(statement, column: $0) })
            }
            try checkStillInTransaction(sql)
            return rows
        }

        // MARK: Private

        /// Refuses to run anything once the closure has returned, or once SQLite has rolled the
        /// transaction back by itself: it does after some errors (`SQLITE_FULL`, `SQLITE_IOERR`,
        /// `SQLITE_NOMEM`, `SQLITE_INTERRUPT`), and statements run after that would be in autocommit
        /// mode, each committing on its own.
        fileprivate func checkOpen() throws {
            guard isOpen else {
                throw StreamLogError(.closed, "a transaction of \(database.path) was used after its closure returned")
            }
            guard connection.isInTransaction else {
                throw StreamLogError(
                    .closed,
                    "a transaction of \(database.path) was rolled back by SQLite after an earlier error; "
                        + "nothing it did will commit, and it cannot be used any more")
            }
        }

        private func read(_ record: TopicRecord, after: Int64, limit: Int) throws -> [Event] {
            var events: [Event] = []
            try database.scan(record, after: after, limit: max(limit, 0), in: connection) { events.append($0) }
            return events
        }

        private func validateBatch(_ events: [Event], topic: String) throws {
            try TopicName.validate(topic)
            if let index = events.firstIndex(where: \.isEndOfStream), index != events.count - 1 {
                throw StreamLogError(
                    .invalidArgument, "end-of-stream must be the last event of a batch (topic \(quoted(topic)))")
            }
        }

        private func prepare(_ sql: String, _ arguments: [SQLValue]) throws -> Statement {
            if Self.controlsTransaction(sql) {
                throw StreamLogError(
                    .invalidArgument, "transaction control is not allowed inside LogDatabase.transaction", sql: sql)
            }
            let statement = try connection.cached(sql)
            let parameters = Int(sqlite3_bind_parameter_count(statement.handle))
            guard parameters == arguments.count else {
                throw StreamLogError(
                    .invalidArgument, "the statement has \(parameters) parameters but \(arguments.count) arguments were given",
                    sql: sql)
            }
            statement.reset()
            for (offset, argument) in arguments.enumerated() {
                let index = Int32(offset + 1)
                switch argument {
                case .null: statement.bindNull(at: index)
                case .integer(let value): statement.bind(value, at: index)
                case .real(let value): statement.bind(value, at: index)
                case .text(let value): statement.bind(value, at: index)
                case .blob(let value): statement.bind(copying: value, at: index)
                }
            }
            return statement
        }

        private func value(_ statement: Statement, column: Int32) -> SQLValue {
            switch sqlite3_column_type(statement.handle, column) {
            case SQLITE_INTEGER: .integer(statement.int64(column))
            case SQLITE_FLOAT: .real(statement.double(column))
            case SQLITE_TEXT: .text(statement.string(column) ?? "")
            case SQLITE_BLOB: .blob(statement.data(column) ?? Data())
            default: .null
            }
        }

        /// A safety net behind ``controlsTransaction(_:)``: SQL that ended the transaction anyway.
        private func checkStillInTransaction(_ sql: String) throws {
            guard connection.isInTransaction else {
                isOpen = false
                throw StreamLogError(.invalidArgument, "the statement ended the transaction", sql: sql)
            }
        }

        /// Whether the first keyword of `sql` (after whitespace and comments) is transaction control.
        static func controlsTransaction(_ sql: String) -> Bool {
            var bytes = Substring(sql).utf8[...]
            while let first = bytes.first {
                if first == 0x20 || (0x09...0x0D).contains(first) {
                    bytes = bytes.dropFirst()
                } else if bytes.starts(with: "--".utf8) {
                    bytes = bytes.drop { $0 != 0x0A }
                } else if bytes.starts(with: "/*".utf8) {
                    let rest = bytes.dropFirst(2)
                    guard let end = rest.indices.first(where: { rest[$0...].starts(with: "*/".utf8) }) else { return false }
                    bytes = rest[end...].dropFirst(2)
                } else {
                    break
                }
            }
            let word = String(decoding: bytes.prefix { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }, as: UTF8.self).uppercased()
            return ["BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"].contains(word)
        }
    }

    /// Runs `body` in one write transaction (`BEGIN IMMEDIATE`) and commits everything it did
    /// when it returns; when it throws, rolls everything back and rethrows.
    ///
    /// Exactly-once processing on one file: read an event, record its results, and move the
    /// consumer past it, atomically.
    /// ```swift
    /// try db.transaction { tx in
    ///     guard let event = try tx.read(topic: "orders", consumer: "billing", limit: 1).first else { return }
    ///     let invoice = try makeInvoice(event)
    ///     try tx.append([.inline(invoice)], to: "invoices")
    ///     try tx.execute("UPDATE stock SET count = count - 1 WHERE sku = ?1", [.text(sku(event))])
    ///     try tx.acknowledge(consumer: "billing", topic: "orders", through: event.seq)
    /// }
    /// ```
    /// `body` must not call this `LogDatabase` directly (its lock is held while `body` runs); it
    /// does everything through the ``Transaction``.
    ///
    /// Some errors (a full disk, an I/O error) make SQLite roll the transaction back at once. A
    /// closure that catches such an error cannot carry on: every later call on the transaction,
    /// and the commit, throw `.closed`, and nothing the closure did is committed.
    ///
    /// - Throws: whatever `body` throws, after rolling back; `.busyTimeout` if the write lock
    ///   cannot be taken; `.closed` when SQLite rolled the transaction back after an error that
    ///   `body` caught.
    @discardableResult
    public func transaction<T>(_ body: (Transaction) throws -> T) throws -> T {
        try write { connection in
            let transaction = Transaction(database: self, connection: connection)
            defer { transaction.isOpen = false }
            let result = try body(transaction)
            // The closure caught an error after which SQLite rolled back: say so, rather than let
            // COMMIT fail with "no transaction is active".
            try transaction.checkOpen()
            return result
        }
    }
}

@available(*, unavailable, message: "a transaction belongs to the thread running LogDatabase.transaction")
extension LogDatabase.Transaction: Sendable {}
