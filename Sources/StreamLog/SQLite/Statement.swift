import Foundation
import StreamLogCSQLite

/// `SQLITE_TRANSIENT`: SQLite copies the bound value. The C macro is not imported in Swift 6.
nonisolated(unsafe) let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement. Owned by one ``Connection`` and used by one thread at a time.
final class Statement {
    let handle: OpaquePointer
    let sql: String
    private unowned let connection: Connection

    init(connection: Connection, sql: String) throws {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            throw connection.error(rc, sql: sql)
        }
        self.handle = statement
        self.sql = sql
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    // MARK: Binding (indexes start at 1, as in SQLite)

    func bind(_ value: Int64, at index: Int32) { sqlite3_bind_int64(handle, index, value) }
    func bind(_ value: Int, at index: Int32) { sqlite3_bind_int64(handle, index, Int64(value)) }
    func bind(_ value: Bool, at index: Int32) { sqlite3_bind_int(handle, index, value ? 1 : 0) }
    func bind(_ value: Double, at index: Int32) { sqlite3_bind_double(handle, index, value) }
    func bindNull(at index: Int32) { sqlite3_bind_null(handle, index) }

    /// Binds a copy of `value` (SQLite copies: the Swift string need not outlive the call), all
    /// of its bytes: with a length of -1 SQLite would stop at the first NUL character.
    func bind(_ value: String?, at index: Int32) {
        guard var value else { return bindNull(at: index) }
        value.withUTF8 { bytes in
            if bytes.isEmpty {
                sqlite3_bind_text(handle, index, "", 0, sqliteTransient)  // a NULL pointer would bind SQL NULL
            } else {
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    _ = sqlite3_bind_text64(
                        handle, index, chars.baseAddress, sqlite3_uint64(chars.count), sqliteTransient, UInt8(SQLITE_UTF8))
                }
            }
        }
    }

    func bind(_ value: Int64?, at index: Int32) {
        guard let value else { return bindNull(at: index) }
        bind(value, at: index)
    }

    /// Binds bytes without copying them. The caller keeps `bytes` alive and unchanged until the
    /// statement is stepped and reset (SQLite reads them during `step`).
    func bindNoCopy(blob bytes: UnsafeRawBufferPointer, at index: Int32) {
        // A zero-length blob with a nil base pointer would bind NULL; bind an empty blob instead.
        if bytes.isEmpty { sqlite3_bind_zeroblob(handle, index, 0); return }
        sqlite3_bind_blob64(handle, index, bytes.baseAddress, sqlite3_uint64(bytes.count), nil)
    }

    /// Binds UTF-8 text without copying it; same lifetime rule as ``bindNoCopy(blob:at:)``.
    func bindNoCopy(text bytes: UnsafeRawBufferPointer, at index: Int32) {
        if bytes.isEmpty { sqlite3_bind_text(handle, index, "", 0, nil); return }
        sqlite3_bind_text64(
            handle, index, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), sqlite3_uint64(bytes.count),
            nil, UInt8(SQLITE_UTF8))
    }

    /// Binds a copy of `data` (for values that do not outlive the call site).
    func bind(copying data: Data, at index: Int32) {
        data.withUnsafeBytes { bytes in
            if bytes.isEmpty { sqlite3_bind_zeroblob(handle, index, 0); return }
            sqlite3_bind_blob64(handle, index, bytes.baseAddress, sqlite3_uint64(bytes.count), sqliteTransient)
        }
    }

    // MARK: Execution

    /// Runs one step. Returns `true` when a row is available, `false` when done.
    @discardableResult
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = connection.error(rc, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Resets the statement and clears its bindings so it can be reused.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Resets the statement but keeps its bindings: for a loop that rebinds every parameter
    /// before each step. Call ``reset()`` after the loop, so no pointer bound without a copy
    /// outlives its buffer.
    func rewind() {
        sqlite3_reset(handle)
    }

    /// Binds with `bind`, steps to completion and resets: for INSERT/UPDATE/DELETE.
    func run(_ bind: (Statement) -> Void = { _ in }) throws {
        defer { reset() }
        bind(self)
        while try step() {}
    }

    /// Binds, steps once, reads the first row with `read` (nil when there is none) and resets.
    func queryOne<T>(_ bind: (Statement) -> Void = { _ in }, _ read: (Statement) throws -> T) throws -> T? {
        defer { reset() }
        bind(self)
        guard try step() else { return nil }
        return try read(self)
    }

    /// Binds, then calls `read` for every row, and resets.
    func queryEach(_ bind: (Statement) -> Void = { _ in }, _ read: (Statement) throws -> Void) throws {
        defer { reset() }
        bind(self)
        while try step() { try read(self) }
    }

    /// Binds, then calls `read` for every row until it returns `false`, and resets.
    func queryWhile(_ bind: (Statement) -> Void = { _ in }, _ read: (Statement) throws -> Bool) throws {
        defer { reset() }
        bind(self)
        while try step() {
            guard try read(self) else { return }
        }
    }

    // MARK: Columns (indexes start at 0, as in SQLite)

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }
    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
    func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }

    func string(_ column: Int32) -> String? {
        guard let text = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// The column's bytes, valid only until the next step/reset; `nil` for SQL NULL.
    func withBytes<T>(_ column: Int32, _ body: (UnsafeRawBufferPointer?) throws -> T) rethrows -> T {
        // Ask for the type first: sqlite3_column_blob returns NULL for both SQL NULL and x''.
        if isNull(column) { return try body(nil) }
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let base = sqlite3_column_blob(handle, column) else {
            return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        return try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// A copy of the column's bytes; `nil` for SQL NULL.
    func data(_ column: Int32) -> Data? {
        withBytes(column) { bytes in bytes.map { Data($0) } }
    }
}
