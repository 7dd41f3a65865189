import Foundation
import StreamLogCSQLite

/// Checkpoints the WAL on a background thread, so committing threads never wait for one.
///
/// SQLite's automatic checkpoint runs inside whichever commit crosses the threshold, and that
/// commit then waits for the database file to be written and synced (measured here: a quarter of
/// a producer's wall time at 100-byte events). Instead, a WAL hook on each writing connection
/// wakes this thread once the WAL holds ``threshold`` pages, and the thread checkpoints on a
/// connection of its own: PASSIVE first, then RESTART once the WAL has reached 4× the threshold
/// without starting over (see ``checkpoint(_:)``). If the WAL still grows past ``hardLimit``
/// pages (the thread cannot keep up), the committing connection checkpoints itself, as SQLite
/// would.
final class Checkpointer: @unchecked Sendable {
    // @unchecked: `requested`, `requestedAt`, `inlineAt`, `stopped` and `thread` are only touched under
    // `condition`; the thread's connection is its own.
    let path: String
    let threshold: Int32
    let hardLimit: Int32
    /// WAL length (pages) past which a RESTART follows the PASSIVE checkpoint.
    let restartThreshold: Int32
    private let busyTimeout: Duration
    private let vfs: String?
    private let condition = NSCondition()
    private var requested = false
    private var requestedAt: Int32 = 0
    private var inlineAt: Int32 = 0
    private var stopped = false
    private var thread: Thread?

    init(path: String, threshold: Int, busyTimeout: Duration, vfs: String? = nil) {
        self.path = path
        self.vfs = vfs
        // Clamped before multiplying: a huge threshold must not overflow.
        let pages = min(max(threshold, 1), Int(Int32.max))
        self.threshold = Int32(clamping: pages)
        self.hardLimit = Int32(clamping: pages * 8)
        self.restartThreshold = Int32(clamping: pages * 4)
        self.busyTimeout = busyTimeout
    }

    /// Installs the WAL hook on a writing connection. The hook holds this checkpointer until
    /// ``detach(from:)``.
    func attach(to handle: OpaquePointer) {
        let context = Unmanaged.passRetained(self).toOpaque()
        sqlite3_wal_hook(handle, { context, db, _, pages in
            let checkpointer = Unmanaged<Checkpointer>.fromOpaque(context!).takeUnretainedValue()
            if checkpointer.shouldCheckpointInline(walPages: pages) {
                sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            } else if pages >= checkpointer.threshold {
                checkpointer.request(walPages: pages)
            }
            return SQLITE_OK
        }, context)
    }

    /// Removes the hook from `handle` and releases the reference it held.
    func detach(from handle: OpaquePointer) {
        sqlite3_wal_hook(handle, nil, nil)
        Unmanaged.passUnretained(self).release()
    }

    /// Whether the committing connection should checkpoint itself: past the hard limit, once per
    /// `threshold` pages of growth. (While readers keep the WAL from restarting it stays long;
    /// checkpointing on every commit then would sync the disk on every commit.)
    func shouldCheckpointInline(walPages pages: Int32) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if pages < inlineAt { inlineAt = 0 }  // the WAL was restarted
        guard pages >= hardLimit, inlineAt == 0 || pages >= inlineAt + threshold else { return false }
        inlineAt = pages
        return true
    }

    /// Asks for a checkpoint soon, once per `threshold` pages of WAL growth (the WAL only shrinks
    /// when a writer restarts it after a complete checkpoint, so every commit until then would
    /// ask again); starts the thread on first use.
    func request(walPages pages: Int32) {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped else { return }
        if pages < requestedAt { requestedAt = 0 }  // the WAL was restarted
        guard requestedAt == 0 || pages >= requestedAt + threshold else { return }
        requestedAt = pages
        requested = true
        if thread == nil {
            let thread = Thread { [self] in run() }
            thread.name = "streamlog.checkpointer"
            self.thread = thread
            thread.start()
        }
        condition.signal()
    }

    /// Stops the thread after any checkpoint under way.
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    /// How long a RESTART checkpoint may wait for a writer to finish or for readers of older
    /// snapshots to move on, holding new writers back meanwhile. Readers and writers here hold
    /// their transactions for microseconds to milliseconds; one that takes longer makes the
    /// RESTART give up (writers resume) and the next request tries again.
    static let restartWait: Duration = .milliseconds(20)

    /// One checkpoint cycle. PASSIVE copies what it can without blocking anyone. But the WAL only
    /// shrinks when a writer starts a transaction while every frame is copied and no reader uses
    /// the WAL, and with two processes committing in turn (a producer and a consumer evicting
    /// what it read) a passive checkpoint never catches up with the tip: the WAL grew without
    /// bound (270 MB in 1.7 s streaming 100-byte objects), and every commit and read paid for it.
    /// So once the WAL has reached ``restartThreshold`` pages, a RESTART follows the passive pass:
    /// it copies the rest, holding writers back only for that remainder, and waits for readers to
    /// leave the WAL so that the next commit starts it afresh. (Not at every request: a RESTART
    /// blocks writers for its copy and sync, and a lone writer's WAL usually starts over by
    /// itself; restarting at every request measured 0.91× the C floor on batched appends, this
    /// 0.98–1.00×.)
    private func checkpoint(_ connection: Connection) throws {
        var log: Int32 = 0
        var copied: Int32 = 0
        var rc = sqlite3_wal_checkpoint_v2(connection.handle, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
        if (rc & 0xFF) == SQLITE_BUSY { return }  // another process is checkpointing: its turn
        guard rc == SQLITE_OK else { throw connection.error(rc, sql: nil) }
        guard log >= restartThreshold else { return }  // short enough: leave it to PASSIVE
        rc = sqlite3_wal_checkpoint_v2(connection.handle, nil, SQLITE_CHECKPOINT_RESTART, &log, &copied)
        guard rc == SQLITE_OK || (rc & 0xFF) == SQLITE_BUSY else { throw connection.error(rc, sql: nil) }
    }

    private func run() {
        var connection: Connection?
        while true {
            condition.lock()
            while !requested && !stopped { condition.wait() }
            let done = stopped
            requested = false
            condition.unlock()
            if done { return }
            do {
                if connection == nil {
                    // A short busy timeout: it bounds how long a RESTART may hold writers back.
                    let opened = try Connection(
                        path: path, readOnly: false, create: false, busyTimeout: Self.restartWait, vfs: vfs)
                    // A connection opens the WAL on its first read; until then a checkpoint on
                    // it does nothing at all (and reports a WAL of -1 frames).
                    try opened.execute("SELECT count(*) FROM sqlite_schema")
                    connection = opened
                }
                if let connection { try checkpoint(connection) }
            } catch {
                connection = nil  // retried on the next request; the hard limit bounds the WAL meanwhile
            }
        }
    }
}
