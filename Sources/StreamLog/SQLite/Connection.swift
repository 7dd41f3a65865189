import Foundation
import StreamLogCSQLite

/// One SQLite connection with a prepared-statement cache.
///
/// Not `Sendable`: it is opened with `SQLITE_OPEN_NOMUTEX`, so exactly one thread may use it at a
/// time. ``LogDatabase`` owns one behind a lock and is the `Sendable` face of it.
final class Connection {
    let handle: OpaquePointer
    let path: String
    let busyTimeout: Duration
    private var cache: [String: Statement] = [:]
    private var hotCache: [HotStatementKey: Statement] = [:]
    /// The busy handler's context, released once the handle is closed.
    private let busyHandlerContext: UnsafeMutableRawPointer

    /// Opens (and with `create`, creates) the file. Performs no reads or writes of the database.
    init(path: String, readOnly: Bool, create: Bool, busyTimeout: Duration, vfs: String? = nil) throws {
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        flags |= readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
        if create && !readOnly { flags |= SQLITE_OPEN_CREATE }
        var db: OpaquePointer?
        // SQLite built with SQLITE_USE_URI (Debian's is) reads a name starting with "file:" as a
        // URI, so `file:x.db?mode=memory` would open no file and `?vfs=`/`?nolock=1` would change
        // locking. A path is always a file's path here.
        let name = path.hasPrefix("file:") ? "./" + path : path
        let rc = sqlite3_open_v2(name, &db, flags, vfs)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(db)
            throw StreamLogError(sqlite: rc, message: "\(message) (\(path))", sql: nil, context: "cannot open \(path)")
        }
        self.handle = db
        self.path = path
        self.busyTimeout = busyTimeout
        sqlite3_extended_result_codes(db, 1)
        busyHandlerContext = BusyHandler.install(on: db, timeout: busyTimeout)
    }

    deinit {
        cache.removeAll()
        hotCache.removeAll()
        sqlite3_close_v2(handle)
        BusyHandler.release(busyHandlerContext)
    }

    /// Runs `body` with a busy handler that gives up after `timeout` instead of the
    /// connection's own.
    func withBusyTimeout<R>(_ timeout: Duration, _ body: () throws -> R) rethrows -> R {
        let temporary = BusyHandler.install(on: handle, timeout: timeout)
        defer {
            BusyHandler.reinstall(busyHandlerContext, on: handle)
            BusyHandler.release(temporary)
        }
        return try body()
    }

    /// The statement for `sql`, prepared once and reused.
    func cached(_ sql: String) throws -> Statement {
        if let statement = cache[sql] { return statement }
        let statement = try Statement(connection: self, sql: sql)
        cache[sql] = statement
        return statement
    }

    /// The statement `statement` of topic `topicID` (0: none) for `rows` rows (multi-row inserts;
    /// 1 otherwise), prepared from `sql` once and reused; found by its key rather than by its text
    /// (see ``HotStatement``). `sql` must depend on nothing but the three.
    func cached(_ statement: HotStatement, topicID: Int64 = 0, rows: Int = 1, sql: () -> String) throws -> Statement {
        let key = HotStatementKey(statement: statement, topicID: topicID, rows: rows)
        if let found = hotCache[key] { return found }
        let prepared = try Statement(connection: self, sql: sql())
        hotCache[key] = prepared
        return prepared
    }

    /// Runs SQL text that may hold several statements and takes no parameters (schema, pragmas).
    func execute(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw StreamLogError(sqlite: sqlite3_extended_errcode(handle), message: "\(message) (\(path))", sql: sql)
        }
    }

    /// The first column of the first row of `sql`, as an integer (for pragmas and counts).
    func scalarInt(_ sql: String) throws -> Int64? {
        let statement = try Statement(connection: self, sql: sql)
        return try statement.queryOne { $0.isNull(0) ? nil : $0.int64(0) } ?? nil
    }

    /// The error for result code `rc`, with SQLite's message for this connection.
    func error(_ rc: Int32, sql: String?) -> StreamLogError {
        let extended = sqlite3_extended_errcode(handle)
        let code = (extended & 0xFF) == (rc & 0xFF) ? extended : rc
        let message = String(cString: sqlite3_errmsg(handle))
        return StreamLogError(sqlite: code, message: "\(message) (\(path))", sql: sql)
    }

    var changes: Int { Int(sqlite3_changes64(handle)) }
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// `PRAGMA data_version`: changes when another connection commits (≈ 2 µs).
    func dataVersion() throws -> Int64 {
        try cached("PRAGMA data_version").queryOne { $0.int64(0) } ?? 0
    }
}

extension Duration {
    /// The duration in whole milliseconds (rounded down).
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
