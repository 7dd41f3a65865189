import Foundation
import StreamLogCSQLite

/// A VFS that hands a transaction's WAL frames to the file system in a few large writes.
///
/// SQLite writes each WAL frame with two `pwrite` calls, its 24-byte header and then its page:
/// 512 system calls for a 1 MiB object, six for a 100-byte event with its object. The kernel's
/// cost is per call far more than per byte (on this machine 400 MiB as 4 KiB writes took
/// 0.61–0.76 s, as one write per MiB 0.25–0.34 s). This shim over another VFS collects the WAL
/// writes of one `sqlite3WalFrames` call in a buffer of ``capacity`` bytes and writes them in
/// one call when the transaction's commit frame is complete, when the buffer is full, and
/// before anything that reads, sizes, truncates, syncs or closes the WAL.
///
/// Why this is safe:
/// - No other connection reads a frame until the writer publishes it in the shared-memory WAL
///   index, which SQLite does only after `sqlite3WalFrames` has written the commit frame; the
///   commit frame's write is where the buffer goes to the file, and its error, if any, fails the
///   commit as before. As a backstop, the writer's memory barrier while it publishes (between
///   the index header's two copies) writes out anything still collected.
/// - A frame header SQLite rewrites in place with a new checksum (`walRewriteChecksums`, when a
///   transaction changed a page it had spilled; the commit frame's header comes last, alone) is
///   recognised by the read of that frame just before, and written at once.
/// - Frames of a transaction that has not committed (a page-cache spill) may wait in the buffer,
///   but only this connection could read them, and its reads flush first. If the transaction
///   rolls back instead, they are written out before the connection releases the WAL write lock
///   (its database file's shared-memory unlock of `WAL_WRITE_LOCK`), so they never land over
///   frames another connection commits later.
/// - A failed write of the buffer loses its frames, but SQLite may see only a failed read and
///   roll back one statement; so every later write, sync, size or truncate of the WAL fails with
///   that error until the write lock is released, and the transaction cannot commit.
/// - A crash loses only what a crash before the `pwrite` would have lost; syncs flush first, so
///   `synchronous = FULL` keeps its guarantee. A WAL whose file lacks powersafe overwrite (SQLite
///   then pads commits to a sector boundary, splitting a frame around a sync) is not combined.
/// - Writes to files other than WALs (the database, which checkpoints write; journals) go
///   straight through.
///
/// The commit frame is recognised from its header: a 24-byte write (SQLite's frame header,
/// written alone before its page, as SQLite's `walWriteOneFrame` does: 3.40 here), or a
/// whole frame in one write, whose bytes 4–7 (the database size after a commit) are not zero.
/// `PowerLossTests.aCommitIsInTheFilesBeforeItIsPublished` checks, with a recording VFS, that no
/// WAL write comes after the publishing barrier, for SQLite's write patterns that differ from
/// the common one (checksum rewrites, padding).
enum WALWriteCombiningVFS {
    /// Bytes collected before a write: the unix VFS writes at most 128 KiB − 1 in one call.
    static let capacity = 64 << 10
    /// Bytes of a WAL frame header.
    static let frameHeaderSize = 24

    /// The name of the combining VFS over the VFS named `base` (`nil`: SQLite's default),
    /// registered on first use.
    ///
    /// - Throws: `.invalidArgument` when no VFS is registered as `base`.
    static func name(over base: String?) throws -> String {
        try registry.name(over: base)
    }

    private static let registry = Registry()

    /// The registered shims, one per base VFS; they live as long as the process (SQLite keeps
    /// pointers to a registered VFS).
    private final class Registry: @unchecked Sendable {
        // @unchecked: `names` is only touched under `lock`.
        private let lock = NSLock()
        private var names: [String: String] = [:]

        func name(over base: String?) throws -> String {
            lock.lock()
            defer { lock.unlock() }
            guard let found = sqlite3_vfs_find(base) else {
                throw StreamLogError(.invalidArgument, "no SQLite VFS named \(quoted(base ?? "default"))")
            }
            let baseName = String(cString: found.pointee.zName)
            if let name = names[baseName] { return name }
            let name = "streamlog-combining-wal:" + baseName
            sqlite3_vfs_register(makeVFS(name: name, over: found), 0)
            names[baseName] = name
            return name
        }
    }

    // MARK: - The VFS object

    /// A copy of `base` whose files are ``File``s; every other method forwards to `base`.
    private static func makeVFS(name: String, over base: UnsafeMutablePointer<sqlite3_vfs>)
        -> UnsafeMutablePointer<sqlite3_vfs>
    {
        let vfs = UnsafeMutablePointer<sqlite3_vfs>.allocate(capacity: 1)
        vfs.initialize(to: sqlite3_vfs())
        vfs.pointee.iVersion = min(base.pointee.iVersion, 3)
        vfs.pointee.szOsFile = Int32(File.realFileOffset) + base.pointee.szOsFile
        vfs.pointee.mxPathname = base.pointee.mxPathname
        vfs.pointee.zName = UnsafePointer(strdup(name))
        vfs.pointee.pAppData = UnsafeMutableRawPointer(base)
        vfs.pointee.xOpen = { vfs, name, file, flags, outFlags in
            File.open(
                base: WALWriteCombiningVFS.baseVFS(vfs), name: name, file: file!, flags: flags, outFlags: outFlags)
        }
        vfs.pointee.xDelete = { vfs, name, syncDir in
            WALWriteCombiningVFS.forward(vfs) { $0.pointee.xDelete!($0, name, syncDir) }
        }
        vfs.pointee.xAccess = { vfs, name, flags, result in
            WALWriteCombiningVFS.forward(vfs) { $0.pointee.xAccess!($0, name, flags, result) }
        }
        vfs.pointee.xFullPathname = { vfs, name, size, out in
            WALWriteCombiningVFS.forward(vfs) { $0.pointee.xFullPathname!($0, name, size, out) }
        }
        vfs.pointee.xDlOpen = { vfs, name in WALWriteCombiningVFS.forward(vfs) { $0.pointee.xDlOpen!($0, name) } }
        vfs.pointee.xDlError = { vfs, size, out in
            WALWriteCombiningVFS.forward(vfs) { $0.pointee.xDlError!($0, size, out) }
        }
        vfs.pointee.xDlSym = { vfs, handle, symbol in
            WALWriteCombiningVFS.forward(vfs) { $0.pointee.xDlSym!($0, handle, symbol) }
        }
        vfs.pointee.xDlClose = { vfs, handle in WALWriteCombiningVFS.forward(vfs) { $0.pointee.xDlClose!($0, handle) } }
        vfs.pointee.xRandomness = { vfs, size, out in
            WALWriteCombiningVFS.forward(vfs) { $0.pointee.xRandomness!($0, size, out) }
        }
        vfs.pointee.xSleep = { vfs, microseconds in
            WALWriteCombiningVFS.forward(vfs) { $0.pointee.xSleep!($0, microseconds) }
        }
        vfs.pointee.xCurrentTime = { vfs, out in
            WALWriteCombiningVFS.forward(vfs) { $0.pointee.xCurrentTime!($0, out) }
        }
        vfs.pointee.xGetLastError = { vfs, size, out in
            WALWriteCombiningVFS.forward(vfs) { $0.pointee.xGetLastError?($0, size, out) ?? 0 }
        }
        if base.pointee.iVersion >= 2 {
            vfs.pointee.xCurrentTimeInt64 = { vfs, out in
                WALWriteCombiningVFS.forward(vfs) { $0.pointee.xCurrentTimeInt64!($0, out) }
            }
        }
        if base.pointee.iVersion >= 3 {
            vfs.pointee.xSetSystemCall = { vfs, name, call in
                WALWriteCombiningVFS.forward(vfs) { $0.pointee.xSetSystemCall!($0, name, call) }
            }
            vfs.pointee.xGetSystemCall = { vfs, name in
                WALWriteCombiningVFS.forward(vfs) { $0.pointee.xGetSystemCall!($0, name) }
            }
            vfs.pointee.xNextSystemCall = { vfs, name in
                WALWriteCombiningVFS.forward(vfs) { $0.pointee.xNextSystemCall!($0, name) }
            }
        }
        return vfs
    }

    private static func baseVFS(_ vfs: UnsafeMutablePointer<sqlite3_vfs>?) -> UnsafeMutablePointer<sqlite3_vfs> {
        vfs!.pointee.pAppData.assumingMemoryBound(to: sqlite3_vfs.self)
    }

    /// Calls one of the base VFS's methods, given to `body` as the VFS to call it on.
    private static func forward<R>(_ vfs: UnsafeMutablePointer<sqlite3_vfs>?,
                                   _ body: (UnsafeMutablePointer<sqlite3_vfs>) -> R) -> R {
        body(baseVFS(vfs))
    }
}
