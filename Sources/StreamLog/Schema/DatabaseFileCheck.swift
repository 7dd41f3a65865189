import Foundation

/// Checks a database file's header before SQLite touches it, so that a file that is not a
/// database, or a truncated one, is refused with a clear error and left byte-identical.
enum DatabaseFileCheck {
    static let magic = Array("SQLite format 3\0".utf8)

    /// Throws when `path` exists but cannot be a whole SQLite database. A missing or empty file
    /// passes (SQLite makes an empty file a new database).
    static func validate(path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw StreamLogError(.notADatabase, "\(path) is a directory, not a database file")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        guard ((try? handle.seekToEnd()) ?? 0) > 0 else { return }
        // The companion files are looked at before the header and again after the file size
        // (see below); the header is read before the size, so a checkpoint that rewrites page 1
        // and then grows the file cannot pair a new page count with an old size.
        let companionsEmpty = companionsAreEmpty(path)
        try handle.seek(toOffset: 0)
        // `read(upToCount:)` throws where `readData(ofLength:)` would stop the process.
        let header: [UInt8]
        do {
            header = [UInt8](try handle.read(upToCount: 100) ?? Data())
        } catch {
            throw StreamLogError(.io, "cannot read the header of \(path): \(error.localizedDescription)")
        }
        let fileSize = (try? handle.seekToEnd()) ?? 0
        guard header.count == 100, Array(header[0..<16]) == magic else {
            throw StreamLogError(.notADatabase, "\(path) is not an SQLite database (its header is not SQLite's)")
        }
        // Page size: 2 bytes big-endian at offset 16, where 1 means 65536.
        let rawPageSize = Int(header[16]) << 8 | Int(header[17])
        let pageSize = rawPageSize == 1 ? 65536 : rawPageSize
        guard pageSize >= 512, pageSize & (pageSize - 1) == 0 else {
            throw StreamLogError(.corrupt, "\(path) is corrupt: invalid page size \(rawPageSize) in its header")
        }
        // The in-header page count (offset 28) is valid only when the change counter (offset 24)
        // equals "version-valid-for" (offset 92). Without a WAL the file is never shorter than that
        // count; with one, a checkpoint under way may have written page 1 before the pages it
        // counts, so the check only applies when there is no WAL content. Nor when a rollback
        // journal is left (a crash while the file was being created, before it switched to WAL):
        // SQLite rolls the file back from it, and until then page 1 may be cut short.
        guard companionsEmpty, companionsAreEmpty(path) else { return }
        let changeCounter = bigEndian32(header, 24)
        let validFor = bigEndian32(header, 92)
        let pageCount = UInt64(bigEndian32(header, 28))
        if changeCounter == validFor, pageCount > 0, fileSize < pageCount * UInt64(pageSize) {
            throw StreamLogError(
                .corrupt,
                "\(path) is truncated: its header says \(pageCount) pages of \(pageSize) bytes "
                    + "(\(pageCount * UInt64(pageSize)) bytes) but the file has \(fileSize)")
        }
    }

    /// `error` (SQLite's "unable to open database file") as `.readOnly` when the cause is a
    /// directory that cannot be written: SQLite creates the `-wal` and `-shm` files beside a WAL
    /// database, even to read it.
    static func explainingReadOnlyDirectory(_ error: StreamLogError, path: String) -> StreamLogError {
        let directory = (path as NSString).deletingLastPathComponent
        guard access(directory.isEmpty ? "." : directory, W_OK) != 0 else { return error }
        let reason = String(cString: strerror(errno))
        return StreamLogError(
            .readOnly,
            "cannot open \(path): its directory is not writable (\(reason)), and SQLite needs to create "
                + "\(path)-wal and \(path)-shm beside a WAL database, even to read it",
            sqliteCode: error.sqliteCode, sql: error.sql)
    }

    /// Whether neither the `-wal` nor a `-journal` file beside `path` holds anything.
    private static func companionsAreEmpty(_ path: String) -> Bool {
        func size(_ companion: String) -> Int {
            (try? FileManager.default.attributesOfItem(atPath: path + companion)[.size] as? Int) ?? 0
        }
        return size("-wal") == 0 && size("-journal") == 0
    }

    private static func bigEndian32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }
}
