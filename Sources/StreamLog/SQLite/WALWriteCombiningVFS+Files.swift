import Foundation
import StreamLogCSQLite

extension WALWriteCombiningVFS {
    /// One open file: the `sqlite3_file` SQLite sees (its methods, then a pointer to the file's
    /// ``State``, `nil` for files other than a database or its WAL), followed by the base VFS's
    /// own file object.
    enum File {
        /// Where the base VFS's file object starts in ours (after the methods pointer and the
        /// state pointer).
        static let realFileOffset = 2 * MemoryLayout<UnsafeRawPointer>.stride

        static func open(
            base: UnsafeMutablePointer<sqlite3_vfs>, name: UnsafePointer<CChar>?,
            file: UnsafeMutablePointer<sqlite3_file>, flags: Int32, outFlags: UnsafeMutablePointer<Int32>?
        ) -> Int32 {
            let raw = UnsafeMutableRawPointer(file)
            raw.storeBytes(of: nil, as: UnsafeMutablePointer<sqlite3_io_methods>?.self)
            setState(nil, of: file)
            let real = self.real(file)
            let rc = base.pointee.xOpen!(base, name, real, flags, outFlags)
            // SQLite calls xClose whenever pMethods is set, even after a failed open.
            guard let methods = real.pointee.pMethods else { return rc }
            if rc == SQLITE_OK, let name {
                // A WAL is named by its own path; a database by its WAL's (SQLite's
                // `sqlite3_filename_wal` is valid for the names a database is opened with).
                if flags & SQLITE_OPEN_WAL != 0 {
                    // Without powersafe overwrite SQLite pads each commit to a sector boundary and
                    // splits the frame that crosses it around a sync: a pattern this shim does not
                    // recognise as the end of a commit. Such a WAL is written as SQLite writes it.
                    if methods.pointee.xDeviceCharacteristics!(real) & SQLITE_IOCAP_POWERSAFE_OVERWRITE != 0 {
                        setState(State.make(kind: .wal, walPath: String(cString: name), real: real), of: file)
                    }
                } else if flags & SQLITE_OPEN_MAIN_DB != 0, let wal = sqlite3_filename_wal(name) {
                    setState(State.make(kind: .database, walPath: String(cString: wal), real: real), of: file)
                }
            }
            file.pointee.pMethods = UnsafePointer(IOMethods.table(version: methods.pointee.iVersion))
            return rc
        }

        static func real(_ file: UnsafeMutablePointer<sqlite3_file>?) -> UnsafeMutablePointer<sqlite3_file> {
            (UnsafeMutableRawPointer(file!) + realFileOffset).assumingMemoryBound(to: sqlite3_file.self)
        }

        static func state(_ file: UnsafeMutablePointer<sqlite3_file>?) -> UnsafeMutablePointer<State>? {
            UnsafeMutableRawPointer(file!).load(
                fromByteOffset: MemoryLayout<UnsafeRawPointer>.stride, as: UnsafeMutablePointer<State>?.self)
        }

        private static func setState(_ state: UnsafeMutablePointer<State>?, of file: UnsafeMutablePointer<sqlite3_file>) {
            UnsafeMutableRawPointer(file).storeBytes(
                of: state, toByteOffset: MemoryLayout<UnsafeRawPointer>.stride, as: UnsafeMutablePointer<State>?.self)
        }

        /// The real file's methods (set whenever ours are).
        static func methods(_ real: UnsafeMutablePointer<sqlite3_file>) -> UnsafePointer<sqlite3_io_methods> {
            real.pointee.pMethods!
        }

        /// Calls one of the real file's methods: `body` gets the real file and its methods.
        static func forward<R>(
            _ file: UnsafeMutablePointer<sqlite3_file>?,
            _ body: (UnsafeMutablePointer<sqlite3_file>, sqlite3_io_methods) -> R
        ) -> R {
            let real = real(file)
            return body(real, real.pointee.pMethods!.pointee)
        }

        /// ``forward(_:_:)`` after writing out a WAL's buffer; a failed write's error instead.
        static func forwardFlushingFirst(
            _ file: UnsafeMutablePointer<sqlite3_file>?,
            _ body: (UnsafeMutablePointer<sqlite3_file>, sqlite3_io_methods) -> Int32
        ) -> Int32 {
            let flushed = flush(file)
            guard flushed == SQLITE_OK else { return flushed }
            return forward(file, body)
        }

        /// Writes out whatever a WAL's buffer holds (nothing for any other file); after a failed
        /// write, its error.
        static func flush(_ file: UnsafeMutablePointer<sqlite3_file>?) -> Int32 {
            guard let state = state(file), state.pointee.kind == .wal else { return SQLITE_OK }
            return State.flush(state)
        }

        /// A read: writes out a WAL's buffer first (a read of a lost write fails with its error).
        static func read(
            _ file: UnsafeMutablePointer<sqlite3_file>?, _ data: UnsafeMutableRawPointer?, count: Int32, offset: Int64
        ) -> Int32 {
            let flushed = flush(file)
            guard flushed == SQLITE_OK else { return flushed }
            if let state = state(file), state.pointee.kind == .wal { state.pointee.lastReadOffset = offset }
            return forward(file) { real, io in io.xRead!(real, data, count, offset) }
        }

        /// A database file's shared-memory lock call: notes when its connection takes and gives
        /// up the WAL write lock (slot 0, SQLite's `WAL_WRITE_LOCK`).
        static func shmLock(_ file: UnsafeMutablePointer<sqlite3_file>?, offset: Int32, count: Int32, flags: Int32) -> Int32 {
            willUnlock(file, offset: offset, flags: flags)
            let rc = forward(file) { real, io in io.xShmLock!(real, offset, count, flags) }
            if rc == SQLITE_OK, offset == 0, let state = state(file), state.pointee.kind == .database {
                if flags & SQLITE_SHM_UNLOCK != 0 {
                    state.pointee.holdsWriteLock = false
                } else if flags & SQLITE_SHM_EXCLUSIVE != 0 {
                    state.pointee.holdsWriteLock = true
                }
            }
            return rc
        }

        /// A database file's memory barrier. SQLite calls it while it publishes a commit in the
        /// WAL index (between writing the index header's two copies): if the connection holds the
        /// write lock and its WAL's buffer still holds writes, they go to the file now, before
        /// any other connection can see the commit. By the rules of ``State/write(_:_:count:at:)``
        /// nothing is left by then; this is the backstop should SQLite write in a pattern they do
        /// not foresee. Its error cannot be reported (the call returns nothing): it stays with
        /// the WAL and fails the connection's next write.
        static func barrier(_ file: UnsafeMutablePointer<sqlite3_file>?) {
            if let state = state(file), state.pointee.kind == .database, state.pointee.holdsWriteLock {
                for wal in PendingWrites.shared.take(walPath: state.pointee.walPath) {
                    _ = State.flush(wal, registered: false)
                }
            }
            forward(file) { real, io in io.xShmBarrier!(real) }
        }

        /// Before a database file's connection gives up the WAL write lock (slot 0 of the
        /// shared-memory locks; SQLite's `WAL_WRITE_LOCK`): writes out what its WAL's buffer
        /// still holds. A commit has written its buffer out by then; what is left is a page-cache
        /// spill of a transaction that rolled back. Left in the buffer, it would be written later,
        /// over whatever another connection has committed at the same WAL offsets meanwhile.
        /// Written now, under the lock, it lands beyond the last commit, where SQLite itself
        /// would have written it. A failed write's error ends here too: the transaction it
        /// belonged to is over.
        private static func willUnlock(_ file: UnsafeMutablePointer<sqlite3_file>?, offset: Int32, flags: Int32) {
            guard offset == 0, flags & SQLITE_SHM_UNLOCK != 0, let state = state(file),
                  state.pointee.kind == .database
            else { return }
            for wal in PendingWrites.shared.take(walPath: state.pointee.walPath) {
                _ = State.flush(wal, registered: false)  // a rolled-back transaction's frames: an error changes nothing
                wal.pointee.failure = SQLITE_OK
                PendingWrites.shared.remove(wal)  // a failed write registered it again
            }
        }

        static func close(_ file: UnsafeMutablePointer<sqlite3_file>?) -> Int32 {
            var flushed = SQLITE_OK
            if let state = state(file) {
                if state.pointee.kind == .wal { flushed = State.flush(state) }
                State.free(state)
            }
            let real = real(file)
            let rc = methods(real).pointee.xClose!(real)
            return flushed != SQLITE_OK ? flushed : rc
        }
    }

    /// What the shim keeps for a database file or a WAL. For a WAL: the writes collected since
    /// the last flush, `count` bytes for the file from `offset`.
    struct State {
        enum Kind { case wal, database }
        let kind: Kind
        /// The WAL's path: this file's for a WAL, its WAL's for a database.
        let walPath: String
        /// The base VFS's file object.
        let real: UnsafeMutablePointer<sqlite3_file>
        /// Allocated at the first write: a connection that only reads never writes its WAL.
        var bytes: UnsafeMutableRawPointer?
        var offset: Int64 = 0
        var count = 0
        /// The commit frame's header was the last write: its page, next, completes the commit.
        var flushAfterNextWrite = false
        /// The offset of the last read, while no write has come since: SQLite reads a frame back
        /// before it rewrites its header with a new checksum.
        var lastReadOffset: Int64 = -1
        /// The error of a failed write of the buffer. The bytes are lost, so every later write,
        /// sync, size or truncate of the WAL fails with it, as the pager itself would after a
        /// failed write, until the connection gives up the write lock (the transaction is over).
        var failure = SQLITE_OK
        /// For a database file: whether its connection holds the WAL write lock.
        var holdsWriteLock = false

        static func make(kind: Kind, walPath: String, real: UnsafeMutablePointer<sqlite3_file>)
            -> UnsafeMutablePointer<State>
        {
            let state = UnsafeMutablePointer<State>.allocate(capacity: 1)
            state.initialize(to: State(kind: kind, walPath: walPath, real: real))
            return state
        }

        static func free(_ state: UnsafeMutablePointer<State>) {
            if state.pointee.count > 0 || state.pointee.failure != SQLITE_OK { PendingWrites.shared.remove(state) }
            state.pointee.bytes?.deallocate()
            state.deinitialize(count: 1)
            state.deallocate()
        }

        /// Writes the buffer out. `registered`: whether it is still in ``PendingWrites`` (it is
        /// not once ``PendingWrites/take(walPath:)`` has returned it).
        static func flush(_ state: UnsafeMutablePointer<State>, registered: Bool = true) -> Int32 {
            state.pointee.flushAfterNextWrite = false
            guard state.pointee.failure == SQLITE_OK else { return state.pointee.failure }
            let length = state.pointee.count
            guard length > 0 else { return SQLITE_OK }
            state.pointee.count = 0
            let real = state.pointee.real
            let rc = File.methods(real).pointee.xWrite!(real, state.pointee.bytes!, Int32(length), state.pointee.offset)
            if rc == SQLITE_OK {
                if registered { PendingWrites.shared.remove(state) }
            } else {
                // Kept registered (or registered again), so that the release of the write lock
                // finds it and ends the failure.
                state.pointee.failure = rc
                if !registered { PendingWrites.shared.add(state) }
            }
            return rc
        }

        /// Collects one write of SQLite's to a WAL; writes through what does not fit.
        static func write(_ state: UnsafeMutablePointer<State>, _ data: UnsafeRawPointer, count length: Int,
                          at position: Int64) -> Int32 {
            guard state.pointee.failure == SQLITE_OK else { return state.pointee.failure }
            let rewritesHeaderJustRead = position == state.pointee.lastReadOffset
            state.pointee.lastReadOffset = -1
            if rewritesHeaderJustRead {
                // A frame header rewritten in place with a new checksum (SQLite's
                // `walRewriteChecksums`, when a transaction changed a page it had spilled): the
                // last one is the commit frame's, and no page follows it. Written at once, so it
                // is in the file before the commit is published, and its error fails the commit.
                let rc = flush(state)
                guard rc == SQLITE_OK else { return rc }
                return writeThrough(state, data, count: length, at: position)
            }
            let count = state.pointee.count
            if count > 0 && (position != state.pointee.offset + Int64(count) || count + length > capacity) {
                let flushAfter = state.pointee.flushAfterNextWrite
                let rc = flush(state)
                guard rc == SQLITE_OK else { return rc }
                state.pointee.flushAfterNextWrite = flushAfter
            }
            if length > capacity {  // a page as large as the buffer: nothing to combine it with
                state.pointee.flushAfterNextWrite = false
                return writeThrough(state, data, count: length, at: position)
            }
            if state.pointee.count == 0 {
                state.pointee.offset = position
                PendingWrites.shared.add(state)
            }
            let bytes = state.pointee.bytes ?? .allocate(byteCount: capacity, alignment: 16)
            state.pointee.bytes = bytes
            (bytes + state.pointee.count).copyMemory(from: data, byteCount: length)
            state.pointee.count += length
            if state.pointee.flushAfterNextWrite { return flush(state) }
            if WALWriteCombiningVFS.isCommitFrameHeader(data, count: length) {
                if length == frameHeaderSize {
                    state.pointee.flushAfterNextWrite = true
                } else {
                    return flush(state)
                }
            }
            return SQLITE_OK
        }

        /// Writes to the real file at once (the buffer is empty); SQLite gets its result.
        private static func writeThrough(_ state: UnsafeMutablePointer<State>, _ data: UnsafeRawPointer,
                                         count length: Int, at position: Int64) -> Int32 {
            let real = state.pointee.real
            return File.methods(real).pointee.xWrite!(real, data, Int32(length), position)
        }
    }

    /// The WALs of this process whose buffers hold writes, so that a database file giving up the
    /// WAL write lock finds its WAL's (``File/willUnlock(_:offset:flags:)``). Only the holder of
    /// a WAL's write lock writes it, and a buffer is written out before the lock is released, so
    /// this holds at most one buffer per WAL, and for a moment.
    final class PendingWrites: @unchecked Sendable {
        // @unchecked: `buffers` is only touched under `lock`; each state is used by its
        // connection's thread, or by the thread that took it from here under the write lock.
        static let shared = PendingWrites()

        private let lock = NSLock()
        private var buffers: [UnsafeMutablePointer<State>] = []

        func add(_ state: UnsafeMutablePointer<State>) {
            lock.lock()
            buffers.append(state)
            lock.unlock()
        }

        func remove(_ state: UnsafeMutablePointer<State>) {
            lock.lock()
            if let index = buffers.firstIndex(of: state) { buffers.remove(at: index) }
            lock.unlock()
        }

        /// Removes and returns the buffers of the WAL at `walPath`.
        func take(walPath: String) -> [UnsafeMutablePointer<State>] {
            lock.lock()
            defer { lock.unlock() }
            guard !buffers.isEmpty else { return [] }
            let taken = buffers.filter { $0.pointee.walPath == walPath }
            buffers.removeAll { $0.pointee.walPath == walPath }
            return taken
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
