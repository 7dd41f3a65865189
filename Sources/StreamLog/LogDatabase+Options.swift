import Logging

extension LogDatabase {
    /// How a ``LogDatabase`` opens its file.
    public struct Options: Sendable {
        /// SQLite's `synchronous` level in WAL mode.
        public enum Synchronous: Sendable, Hashable {
            /// Commits survive a process crash; the last commits before a power loss may be lost,
            /// but the file stays consistent. The default.
            case normal
            /// Every commit is on disk before it returns (one fsync per commit).
            case full
        }

        /// Durability of commits; `.normal` by default.
        public var synchronous: Synchronous = .normal
        /// How long a writer waits for another connection's write lock before failing with
        /// `.busyTimeout`.
        public var busyTimeout: Duration = .seconds(30)
        /// Create the file when it does not exist (ignored when `readOnly`).
        public var create: Bool = true
        /// Open without write access: nothing is written, migrations are refused.
        public var readOnly: Bool = false
        /// Overwrite deleted content with zeros (SQLite's `secure_delete`); off by default.
        public var secureDelete: Bool = false
        /// A background thread checkpoints (PASSIVE) once the WAL holds this many pages, and past
        /// 4× this also RESTARTs it (holding writers back for at most 20 ms of waiting, so the WAL
        /// starts over); a commit checkpoints itself past 8× this. 0 turns checkpointing off.
        public var walAutocheckpointPages: Int = 1000
        /// Size in bytes the WAL file is truncated to after a checkpoint (`journal_size_limit`).
        public var walSizeLimit: Int = 64 << 20
        /// Hand each transaction's WAL frames to the file system in a few large writes instead of
        /// two per page (see `WALWriteCombiningVFS`); on by default. Turning it off gives SQLite's
        /// own write pattern, for comparison or for a VFS that must see every frame write.
        public var combinesWALWrites: Bool = true
        /// The name of a registered SQLite VFS to open the file with (`sqlite3_vfs_register`);
        /// `nil`, the default, uses SQLite's default VFS. For tests (the power-loss tests record
        /// writes and syncs through one) and special storage. Every connection the handle opens
        /// uses it.
        public var vfsName: String?
        /// Where the library logs; a no-op logger unless the application passes one.
        public var logger: Logger = Logger(label: "streamlog", factory: { _ in SwiftLogNoOpLogHandler() })

        /// Default options: create if missing, `synchronous = NORMAL`, 30 s busy timeout.
        public init() {}

        /// Options with the most common settings changed.
        public init(synchronous: Synchronous = .normal, busyTimeout: Duration = .seconds(30), create: Bool = true,
                    readOnly: Bool = false) {
            self.synchronous = synchronous
            self.busyTimeout = busyTimeout
            self.create = create
            self.readOnly = readOnly
        }
    }
}
