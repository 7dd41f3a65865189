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
/// Why this is safe: no other connection reads a frame until the writer publishes it in the
/// shared-memory WAL index, which SQLite does only after `sqlite3WalFrames` has written the
/// commit frame, and the commit frame's write is where the buffer goes to the file (its write
/// error, if any, fails the commit as before). Frames of a transaction that has not committed
/// (a page-cache spill) may wait in the buffer, but only this connection could read them, and
/// its reads flush first. A crash loses only what a crash before the `pwrite` would have lost;
/// syncs flush first, so `synchronous = FULL` keeps its guarantee. Files other than WALs (the
/// database, which checkpoints write; journals) go straight through.
///
/// The commit frame is recognised from its header: a 24-byte write (SQLite's frame header,
/// written alone before its page), or a whole frame in one write, whose bytes 4–7 (the database
/// size after a commit) are not zero.
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
            File.open(base: WALWriteCombiningVFS.baseVFS(vfs), name: name, file: file!, flags: flags, outFlags: outFlags)
        }
        vfs.pointee.xDelete = { vfs, name, syncDir in
            let base = WALWriteCombiningVFS.baseVFS(vfs)
            return base.pointee.xDelete!(base, name, syncDir)
        }
        vfs.pointee.xAccess = { vfs, name, flags, result in
            let base = WALWriteCombiningVFS.baseVFS(vfs)
            return base.pointee.xAccess!(base, name, flags, result)
        }
        vfs.pointee.xFullPathname = { vfs, name, size, out in
            let base = WALWriteCombiningVFS.baseVFS(vfs)
            return base.pointee.xFullPathname!(base, name, size, out)
        }
        vfs.pointee.xDlOpen = { vfs, name in
            let base = WALWriteCombiningVFS.baseVFS(vfs)
            return base.pointee.xDlOpen!(base, name)
        }
        vfs.pointee.xDlError = { vfs, size, out in
            let base = WALWriteCombiningVFS.baseVFS(vfs)
            base.pointee.xDlError!(base, size, out)
        }
        vfs.pointee.xDlSym = { vfs, handle, symbol in
            let base = WALWriteCombiningVFS.baseVFS(vfs)
            return base.pointee.xDlSym!(base, handle, symbol)
        }
        vfs.pointee.xDlClose = { vfs, handle in
            let base = WALWriteCombiningVFS.baseVFS(vfs)
            base.pointee.xDlClose!(base, handle)
        }
        vfs.pointee.xRandomness = { vfs, size, out in
            let base = WALWriteCombiningVFS.baseVFS(vfs)
            return base.pointee.xRandomness!(base, size, out)
        }
        vfs.pointee.xSleep = { vfs, microseconds in
            let base = WALWriteCombiningVFS.baseVFS(vfs)
            return base.pointee.xSleep!(base, microseconds)
        }
        vfs.pointee.xCurrentTime = { vfs, out in
            let base = WALWriteCombiningVFS.baseVFS(vfs)
            return base.pointee.xCurrentTime!(base, out)
        }
        vfs.pointee.xGetLastError = { vfs, size, out in
            let base = WALWriteCombiningVFS.baseVFS(vfs)
            return base.pointee.xGetLastError?(base, size, out) ?? 0
        }
        if base.pointee.iVersion >= 2 {
            vfs.pointee.xCurrentTimeInt64 = { vfs, out in
                let base = WALWriteCombiningVFS.baseVFS(vfs)
                return base.pointee.xCurrentTimeInt64!(base, out)
            }
        }
        if base.pointee.iVersion >= 3 {
            vfs.pointee.xSetSystemCall = { vfs, name, call in
                let base = WALWriteCombiningVFS.baseVFS(vfs)
                return base.pointee.xSetSystemCall!(base, name, call)
            }
            vfs.pointee.xGetSystemCall = { vfs, name in
                let base = WALWriteCombiningVFS.baseVFS(vfs)
                return base.pointee.xGetSystemCall!(base, name)
            }
            vfs.pointee.xNextSystemCall = { vfs, name in
                let base = WALWriteCombiningVFS.baseVFS(vfs)
                return base.pointee.xNextSystemCall!(base, name)
            }
        }
        return vfs
    }

    private static func baseVFS(_ vfs: UnsafeMutablePointer<sqlite3_vfs>?) -> UnsafeMutablePointer<sqlite3_vfs> {
        vfs!.pointee.pAppData.assumingMemoryBound(to: sqlite3_vfs.self)
    }
}

// MARK: - Files

extension WALWriteCombiningVFS {
    /// One open file: the `sqlite3_file` SQLite sees (its methods, then a pointer to the WAL
    /// buffer, `nil` for any other file), followed by the base VFS's own file object.
    enum File {
        /// Where the base VFS's file object starts in ours (after the methods pointer and the
        /// buffer pointer).
        static let realFileOffset = 2 * MemoryLayout<UnsafeRawPointer>.stride

        static func open(
            base: UnsafeMutablePointer<sqlite3_vfs>, name: UnsafePointer<CChar>?, file: UnsafeMutablePointer<sqlite3_file>,
            flags: Int32, outFlags: UnsafeMutablePointer<Int32>?
        ) -> Int32 {
            let raw = UnsafeMutableRawPointer(file)
            raw.storeBytes(of: nil, as: UnsafeMutablePointer<sqlite3_io_methods>?.self)
            raw.storeBytes(of: nil, toByteOffset: MemoryLayout<UnsafeRawPointer>.stride,
                           as: UnsafeMutablePointer<WALBuffer>?.self)
            let real = self.real(file)
            let rc = base.pointee.xOpen!(base, name, real, flags, outFlags)
            // SQLite calls xClose whenever pMethods is set, even after a failed open.
            guard let methods = real.pointee.pMethods else { return rc }
            if rc == SQLITE_OK && flags & SQLITE_OPEN_WAL != 0 {
                raw.storeBytes(of: WALBuffer.make(), toByteOffset: MemoryLayout<UnsafeRawPointer>.stride,
                               as: UnsafeMutablePointer<WALBuffer>?.self)
            }
            file.pointee.pMethods = UnsafePointer(IOMethods.table(version: methods.pointee.iVersion))
            return rc
        }

        static func real(_ file: UnsafeMutablePointer<sqlite3_file>?) -> UnsafeMutablePointer<sqlite3_file> {
            (UnsafeMutableRawPointer(file!) + realFileOffset).assumingMemoryBound(to: sqlite3_file.self)
        }

        static func buffer(_ file: UnsafeMutablePointer<sqlite3_file>?) -> UnsafeMutablePointer<WALBuffer>? {
            UnsafeMutableRawPointer(file!).load(
                fromByteOffset: MemoryLayout<UnsafeRawPointer>.stride, as: UnsafeMutablePointer<WALBuffer>?.self)
        }

        /// The real file's methods (set whenever ours are).
        static func methods(_ real: UnsafeMutablePointer<sqlite3_file>) -> UnsafePointer<sqlite3_io_methods> {
            real.pointee.pMethods!
        }

        /// Writes out whatever the file's buffer holds (nothing for a file without one).
        static func flush(_ file: UnsafeMutablePointer<sqlite3_file>?) -> Int32 {
            guard let buffer = buffer(file) else { return SQLITE_OK }
            return buffer.pointee.flush(to: real(file))
        }
    }

    /// The WAL writes collected since the last flush: `count` bytes for the file from `offset`.
    struct WALBuffer {
        /// Allocated at the first write: a connection that only reads never writes its WAL.
        var bytes: UnsafeMutableRawPointer?
        var offset: Int64 = 0
        var count = 0
        /// The commit frame's header was the last write: its page, next, completes the commit.
        var flushAfterNextWrite = false

        static func make() -> UnsafeMutablePointer<WALBuffer> {
            let buffer = UnsafeMutablePointer<WALBuffer>.allocate(capacity: 1)
            buffer.initialize(to: WALBuffer())
            return buffer
        }

        static func free(_ buffer: UnsafeMutablePointer<WALBuffer>) {
            buffer.pointee.bytes?.deallocate()
            buffer.deinitialize(count: 1)
            buffer.deallocate()
        }

        mutating func flush(to real: UnsafeMutablePointer<sqlite3_file>) -> Int32 {
            flushAfterNextWrite = false
            guard count > 0 else { return SQLITE_OK }
            let length = count
            count = 0  // after a failed write the transaction fails; its frames are not retried
            return File.methods(real).pointee.xWrite!(real, bytes!, Int32(length), offset)
        }

        /// Collects one write of SQLite's; writes through what does not fit.
        mutating func write(_ data: UnsafeRawPointer, count length: Int, at position: Int64,
                            to real: UnsafeMutablePointer<sqlite3_file>) -> Int32 {
            if count > 0 && (position != offset + Int64(count) || count + length > capacity) {
                let flushAfter = flushAfterNextWrite
                let rc = flush(to: real)
                guard rc == SQLITE_OK else { return rc }
                flushAfterNextWrite = flushAfter
            }
            if length > capacity {  // a page as large as the buffer: nothing to combine it with
                flushAfterNextWrite = false
                return File.methods(real).pointee.xWrite!(real, data, Int32(length), position)
            }
            if count == 0 { offset = position }
            let bytes = self.bytes ?? .allocate(byteCount: capacity, alignment: 16)
            self.bytes = bytes
            (bytes + count).copyMemory(from: data, byteCount: length)
            count += length
            if flushAfterNextWrite { return flush(to: real) }
            if WALWriteCombiningVFS.isCommitFrameHeader(data, count: length) {
                if length == frameHeaderSize {
                    flushAfterNextWrite = true
                } else {
                    return flush(to: real)
                }
            }
            return SQLITE_OK
        }
    }

    /// Whether a WAL write of `count` bytes starts with the header of a commit frame: it is a
    /// frame header (24 bytes) or a whole frame (a header and a page, 512 to 65536 bytes, a power
    /// of two), and the header's "database size after commit" field (bytes 4–7) is not zero.
    static func isCommitFrameHeader(_ data: UnsafeRawPointer, count: Int) -> Bool {
        let page = count - frameHeaderSize
        guard count == frameHeaderSize || (page >= 512 && page <= 65536 && page & (page - 1) == 0) else {
            return false
        }
        let bytes = data.assumingMemoryBound(to: UInt8.self)
        return bytes[4] | bytes[5] | bytes[6] | bytes[7] != 0
    }
}

// MARK: - The file methods

extension WALWriteCombiningVFS {
    /// The `sqlite3_io_methods` of ``File``, one table per version of the base VFS's file
    /// methods (SQLite reads the version to know which methods exist).
    enum IOMethods {
        static func table(version: Int32) -> UnsafeMutablePointer<sqlite3_io_methods> {
            switch version {
            case ...1: return tables.v1
            case 2: return tables.v2
            default: return tables.v3
            }
        }

        private struct Tables: @unchecked Sendable {
            // @unchecked: written once, before any use, and only read afterwards.
            let v1: UnsafeMutablePointer<sqlite3_io_methods>
            let v2: UnsafeMutablePointer<sqlite3_io_methods>
            let v3: UnsafeMutablePointer<sqlite3_io_methods>
        }

        private static let tables: Tables = {
            func make(_ version: Int32) -> UnsafeMutablePointer<sqlite3_io_methods> {
                let table = UnsafeMutablePointer<sqlite3_io_methods>.allocate(capacity: 1)
                table.initialize(to: methods(version: version))
                return table
            }
            return Tables(v1: make(1), v2: make(2), v3: make(3))
        }()

        private static func methods(version: Int32) -> sqlite3_io_methods {
            var methods = sqlite3_io_methods()
            methods.iVersion = version
            methods.xClose = { file in
                let flushed = File.flush(file)
                if let buffer = File.buffer(file) { WALBuffer.free(buffer) }
                let real = File.real(file)
                let rc = File.methods(real).pointee.xClose!(real)
                return flushed != SQLITE_OK ? flushed : rc
            }
            methods.xRead = { file, data, count, offset in
                let flushed = File.flush(file)
                guard flushed == SQLITE_OK else { return flushed }
                let real = File.real(file)
                return File.methods(real).pointee.xRead!(real, data, count, offset)
            }
            methods.xWrite = { file, data, count, offset in
                let real = File.real(file)
                guard let buffer = File.buffer(file) else {
                    return File.methods(real).pointee.xWrite!(real, data, count, offset)
                }
                return buffer.pointee.write(data!, count: Int(count), at: offset, to: real)
            }
            methods.xTruncate = { file, size in
                let flushed = File.flush(file)
                guard flushed == SQLITE_OK else { return flushed }
                let real = File.real(file)
                return File.methods(real).pointee.xTruncate!(real, size)
            }
            methods.xSync = { file, flags in
                let flushed = File.flush(file)
                guard flushed == SQLITE_OK else { return flushed }
                let real = File.real(file)
                return File.methods(real).pointee.xSync!(real, flags)
            }
            methods.xFileSize = { file, size in
                let flushed = File.flush(file)
                guard flushed == SQLITE_OK else { return flushed }
                let real = File.real(file)
                return File.methods(real).pointee.xFileSize!(real, size)
            }
            methods.xLock = { file, level in
                let real = File.real(file)
                return File.methods(real).pointee.xLock!(real, level)
            }
            methods.xUnlock = { file, level in
                let real = File.real(file)
                return File.methods(real).pointee.xUnlock!(real, level)
            }
            methods.xCheckReservedLock = { file, result in
                let real = File.real(file)
                return File.methods(real).pointee.xCheckReservedLock!(real, result)
            }
            methods.xFileControl = { file, operation, argument in
                let real = File.real(file)
                return File.methods(real).pointee.xFileControl!(real, operation, argument)
            }
            methods.xSectorSize = { file in
                let real = File.real(file)
                return File.methods(real).pointee.xSectorSize!(real)
            }
            methods.xDeviceCharacteristics = { file in
                let real = File.real(file)
                return File.methods(real).pointee.xDeviceCharacteristics!(real)
            }
            guard version >= 2 else { return methods }
            methods.xShmMap = { file, region, size, extend, memory in
                let real = File.real(file)
                return File.methods(real).pointee.xShmMap!(real, region, size, extend, memory)
            }
            methods.xShmLock = { file, offset, count, flags in
                let real = File.real(file)
                return File.methods(real).pointee.xShmLock!(real, offset, count, flags)
            }
            methods.xShmBarrier = { file in
                let real = File.real(file)
                File.methods(real).pointee.xShmBarrier!(real)
            }
            methods.xShmUnmap = { file, delete in
                let real = File.real(file)
                return File.methods(real).pointee.xShmUnmap!(real, delete)
            }
            guard version >= 3 else { return methods }
            methods.xFetch = { file, offset, count, pointer in
                let real = File.real(file)
                return File.methods(real).pointee.xFetch!(real, offset, count, pointer)
            }
            methods.xUnfetch = { file, offset, pointer in
                let real = File.real(file)
                return File.methods(real).pointee.xUnfetch!(real, offset, pointer)
            }
            return methods
        }
    }
}
