import Foundation
import StreamLogCSQLite

extension Connection {
    /// Reads the whole value of `column` in the row `rowID` of `table` straight into `buffer`,
    /// through SQLite's incremental blob I/O.
    ///
    /// A plain `SELECT` of a value larger than a page makes SQLite assemble it from its overflow
    /// pages into a buffer of its own, which we then copy: twice the value's size in memory at
    /// once. Here the pages are copied into the caller's buffer directly. `table` and `column` are
    /// constants of the schema, never user input.
    ///
    /// - Returns: `false` when the row does not exist or its value is not `buffer.count` bytes long.
    func readBlob(table: String, column: String, rowID: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Bool {
        var blob: OpaquePointer?
        let rc = sqlite3_blob_open(handle, "main", table, column, rowID, 0, &blob)
        defer { sqlite3_blob_close(blob) }
        guard rc == SQLITE_OK, let blob else {
            if (rc & 0xFF) == SQLITE_ERROR { return false }  // no such row (or the value is not a blob)
            throw error(rc, sql: "blob \(table).\(column) row \(rowID)")
        }
        guard Int(sqlite3_blob_bytes(blob)) == buffer.count, buffer.count <= Int(Int32.max) else { return false }
        guard let base = buffer.baseAddress, buffer.count > 0 else { return true }
        let read = sqlite3_blob_read(blob, base, Int32(buffer.count), 0)
        guard read == SQLITE_OK else { throw error(read, sql: "blob \(table).\(column) row \(rowID)") }
        return true
    }

    /// Runs `body` with the page cache limited to 64 pages, then restores the limit it had:
    /// pages beyond the limit are recycled as they are released.
    func withSmallPageCache<T>(_ body: () throws -> T) throws -> T {
        let limit = try scalarInt("PRAGMA cache_size") ?? -2000
        try execute("PRAGMA cache_size = 64")
        defer { try? execute("PRAGMA cache_size = \(limit)") }  // an integer read back from SQLite
        return try body()
    }
}
