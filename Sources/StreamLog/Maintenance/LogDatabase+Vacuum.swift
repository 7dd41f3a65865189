import Foundation

extension LogDatabase {
    /// File sizes before and after ``vacuum()``.
    public struct VacuumResult: Sendable, Hashable {
        /// Size of the database file plus its WAL before compaction, in bytes.
        public var bytesBefore: Int64
        /// Size of the database file plus its WAL after compaction, in bytes.
        public var bytesAfter: Int64
    }

    /// Rebuilds the file without its free pages (SQLite's `VACUUM`), then checkpoints and
    /// truncates the WAL, so the space freed by trims, evictions and garbage collection goes back
    /// to the file system.
    ///
    /// `VACUUM` rewrites the whole file and needs the write lock for as long as it runs; readers
    /// in other connections carry on. The WAL is truncated only if no other connection holds a
    /// read snapshot at the end.
    ///
    /// - Throws: `.busyTimeout` when another connection keeps the write lock, `.diskFull` when
    ///   there is no room for the copy `VACUUM` makes.
    @discardableResult
    public func vacuum() throws -> VacuumResult {
        let before = FileSizes(path: path).total
        try withConnection { connection in
            try connection.execute("VACUUM")
            try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        }
        return VacuumResult(bytesBefore: before, bytesAfter: FileSizes(path: path).total)
    }
}

/// The sizes of a database file and its write-ahead log, as the file system reports them.
struct FileSizes {
    /// Bytes of the main file (0 when missing).
    let file: Int64
    /// Bytes of the `-wal` file (0 when missing).
    let wal: Int64

    init(path: String) {
        file = Self.size(of: path)
        wal = Self.size(of: path + "-wal")
    }

    var total: Int64 { file + wal }

    private static func size(of path: String) -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return Int64(info.st_size)
    }
}
