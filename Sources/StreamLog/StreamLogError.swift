import StreamLogCSQLite

/// The one error type of StreamLog.
///
/// Match on ``code`` (never on the message text):
/// ```swift
/// do { try producer.send(item, to: "jobs") }
/// catch let error as StreamLogError where error.code == .topicClosed { … }
/// ```
public struct StreamLogError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as a value callers can act on. New codes may be added over time.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The topic has an end-of-stream event; nothing more may be sent to it.
        public static let topicClosed = Code("topicClosed")
        /// The topic does not exist.
        public static let topicNotFound = Code("topicNotFound")
        /// The object was deleted by eviction (evict-on-first-resolve or retention): it is gone
        /// and an eviction record, or the `evict` flag of the event that refers to it, says so.
        public static let objectEvicted = Code("objectEvicted")
        /// The object is not in the store, and nothing says it was evicted.
        public static let objectMissing = Code("objectMissing")
        /// The file was written by a newer StreamLog; this build does not understand its schema.
        public static let schemaTooNew = Code("schemaTooNew")
        /// The file is not an SQLite database, or not a StreamLog one.
        public static let notADatabase = Code("notADatabase")
        /// SQLite found the file corrupt (truncated, damaged pages or index).
        public static let corrupt = Code("corrupt")
        /// Another connection held the write lock for longer than the busy timeout.
        public static let busyTimeout = Code("busyTimeout")
        /// A name (topic, consumer, group) or argument is not acceptable.
        public static let invalidArgument = Code("invalidArgument")
        /// The database file is missing and creation was not requested.
        public static let fileNotFound = Code("fileNotFound")
        /// The file or its directory cannot be written.
        public static let readOnly = Code("readOnly")
        /// The disk (or the database's page limit) is full.
        public static let diskFull = Code("diskFull")
        /// An operating-system I/O error.
        public static let io = Code("io")
        /// A payload or metadata could not be encoded or decoded.
        public static let codec = Code("codec")
        /// An ack or lease extension used a receipt that no longer holds the event.
        public static let staleReceipt = Code("staleReceipt")
        /// The handle was used after `close()`.
        public static let closed = Code("closed")
        /// Backpressure: the topic has more un-consumed events than the producer allows.
        public static let backpressure = Code("backpressure")
        /// Any other SQLite failure; ``StreamLogError/sqliteCode`` has the extended result code.
        public static let sqlite = Code("sqlite")
    }

    /// What went wrong.
    public let code: Code
    /// A sentence naming the problem and what it concerns (topic, key, file).
    public let message: String
    /// SQLite's extended result code, when SQLite reported the failure.
    public let sqliteCode: Int32?
    /// The SQL statement that failed, if any (bound values are never included).
    public let sql: String?

    /// Makes an error; `message` should name the topic, key or file concerned.
    public init(_ code: Code, _ message: String, sqliteCode: Int32? = nil, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sqliteCode = sqliteCode
        self.sql = sql
    }

    public var description: String { message }
}

extension StreamLogError {
    /// Builds the error for an SQLite result code: the one place where SQLite codes map to ``Code``.
    init(sqlite resultCode: Int32, message: String, sql: String?, context: String? = nil) {
        let primary = resultCode & 0xFF
        let code: Code
        switch primary {
        case SQLITE_BUSY, SQLITE_LOCKED: code = .busyTimeout
        case SQLITE_NOTADB: code = .notADatabase
        case SQLITE_CORRUPT: code = .corrupt
        case SQLITE_READONLY: code = .readOnly
        case SQLITE_FULL: code = .diskFull
        case SQLITE_IOERR, SQLITE_CANTOPEN: code = .io
        default: code = .sqlite
        }
        let prefix = context.map { "\($0): " } ?? ""
        let text: String
        switch code {
        case .busyTimeout: text = "\(prefix)database is locked by another connection (busy timeout expired): \(message)"
        case .notADatabase: text = "\(prefix)not an SQLite database: \(message)"
        case .corrupt: text = "\(prefix)database file is corrupt: \(message)"
        case .diskFull: text = "\(prefix)disk full: \(message)"
        default: text = "\(prefix)\(message)"
        }
        self.init(code, text, sqliteCode: resultCode, sql: sql)
    }
}
