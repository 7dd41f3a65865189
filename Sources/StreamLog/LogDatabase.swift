import Foundation
import Logging
import StreamLogCSQLite

/// A StreamLog database file: the log of every topic and the object store, in one SQLite file.
///
/// ```swift
/// let db = try LogDatabase(path: "/var/lib/app/streams.db")
/// try db.append([.inline(Data("hello".utf8))], to: "greetings")
/// for event in try db.read(topic: "greetings", after: 0) { print(event.seq) }
/// ```
///
/// A `LogDatabase` is `Sendable`: it owns one SQLite connection and serialises its use with a
/// lock. Several handles (threads, processes) may open the same file at once; writers queue on
/// SQLite's write lock for up to ``Options/busyTimeout``.
public final class LogDatabase: @unchecked Sendable {
    // @unchecked: `connection` and `caches` are only touched while `lock` is held, which makes
    // the one non-Sendable connection safe to share.

    /// The database file.
    public let path: String
    /// The options the file was opened with.
    public let options: Options
    let logger: Logger

    private let lock = NSLock()
    private var connection: Connection?
    private let checkpointer: Checkpointer?
    var caches = Caches()

    /// Per-connection memos of rows that never change once written (topic ids, store paths).
    struct Caches {
        /// By the names' bytes, as `topics.name` is compared.
        var topics: [BytewiseString: TopicRecord] = [:]
        var stores: [Int64: StoreReference] = [:]
        var externalStores: [String: ObjectStore] = [:]
    }

    /// Opens the database at `path`, creating it (with `options.create`) and migrating its schema.
    ///
    /// - Throws: `.fileNotFound` when the file is missing and `create` is false; `.notADatabase`
    ///   or `.corrupt` for a file that is not a whole SQLite database, `.schemaTooNew` for a file
    ///   written by a newer StreamLog — in each of these cases the file is left byte-identical.
    public init(path: String, options: Options = Options()) throws {
        self.path = path
        self.options = options
        self.logger = options.logger
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists && (!options.create || options.readOnly) {
            throw StreamLogError(.fileNotFound, "no database at \(path)")
        }
        try DatabaseFileCheck.validate(path: path)
        let vfs = options.combinesWALWrites ? try WALWriteCombiningVFS.name(over: options.vfsName) : options.vfsName
        let connection: Connection
        do {
            connection = try Connection(
                path: path, readOnly: options.readOnly, create: options.create, busyTimeout: options.busyTimeout,
                vfs: vfs)
            // Several processes may create and open one file at once; SQLite refuses some of these
            // steps at once (without its busy handler) while another connection holds a lock.
            try connection.retryingWhileBusy {
                try Migrator.checkBeforeConfiguring(connection)
                try Self.configure(connection, options: options)
            }
        } catch let error as StreamLogError where error.code == .io {
            throw DatabaseFileCheck.explainingReadOnlyDirectory(error, path: path)
        }
        try Migrator.prepare(connection, readOnly: options.readOnly)
        self.connection = connection
        if !options.readOnly && options.walAutocheckpointPages > 0 {
            let checkpointer = Checkpointer(
                path: path, threshold: options.walAutocheckpointPages, busyTimeout: options.busyTimeout,
                vfs: vfs)
            checkpointer.attach(to: connection.handle)
            self.checkpointer = checkpointer
        } else {
            self.checkpointer = nil
        }
        logger.debug("opened StreamLog database", metadata: ["path": "\(path)"])
    }

    deinit { closeConnection() }

    /// Closes the connection. Later calls fail with `.closed`; closing twice is harmless.
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        caches = Caches()
        closeConnection()
    }

    private func closeConnection() {
        if let connection, let checkpointer {
            checkpointer.detach(from: connection.handle)
            checkpointer.stop()
        }
        connection = nil
    }

    /// Runs `body` with exclusive use of the connection.
    func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        guard let connection else { throw StreamLogError(.closed, "database \(path) is closed") }
        return try body(connection)
    }

    /// Runs `body` in one write transaction (`BEGIN IMMEDIATE`), holding the connection.
    func write<T>(_ body: (Connection) throws -> T) throws -> T {
        try withConnection { connection in
            do {
                return try connection.writeTransaction { try body(connection) }
            } catch {
                // A rolled-back transaction may have created topics the memo now names.
                if !connection.isInTransaction { caches.topics.removeAll() }
                throw error
            }
        }
    }

    /// Runs `body` in one read transaction, so it sees a single snapshot.
    func read<T>(_ body: (Connection) throws -> T) throws -> T {
        try withConnection { connection in try connection.readTransaction { try body(connection) } }
    }

    private static func configure(_ connection: Connection, options: Options) throws {
        _ = streamlog_sqlite3_db_config_defensive(connection.handle, 1)
        if !options.readOnly {
            let mode = try Statement(connection: connection, sql: "PRAGMA journal_mode = WAL").queryOne { $0.string(0) }
            if mode??.lowercased() != "wal" {
                throw StreamLogError(.io, "cannot switch \(connection.path) to WAL mode (got \(mode.flatMap { $0 } ?? "nothing"))")
            }
        }
        // Debian's SQLite defaults WAL to FULL, so the level is always set explicitly.
        try connection.execute("PRAGMA synchronous = \(options.synchronous == .full ? "FULL" : "NORMAL")")
        try connection.execute("PRAGMA foreign_keys = ON")
        // Debian builds with SECURE_DELETE, which doubles the cost of deletes (eviction, trim).
        try connection.execute("PRAGMA secure_delete = \(options.secureDelete ? 1 : 0)")
        // Checkpoint policy: a background thread checkpoints passively once the WAL holds
        // `walAutocheckpointPages` pages (see Checkpointer; it replaces SQLite's automatic
        // checkpoint), and SQLite truncates the WAL file to the size limit when it restarts it.
        try connection.execute("PRAGMA wal_autocheckpoint = 0")
        try connection.execute("PRAGMA journal_size_limit = \(options.walSizeLimit)")
    }

    /// Copies every WAL frame into the database file and truncates the WAL.
    ///
    /// Call it after large deletions or imports. It cannot shrink the WAL while another
    /// connection holds an open read snapshot; it then returns `false`, after waiting at most
    /// ``truncatingCheckpointWait`` for it.
    @discardableResult
    public func checkpoint() throws -> Bool {
        try withConnection { connection in
            // Copying needs no lock that writers wait for; do it first.
            _ = try Statement(connection: connection, sql: "PRAGMA wal_checkpoint(PASSIVE)").queryOne { $0.int64(0) }
            // A truncating checkpoint holds the write lock while it waits for readers: with the
            // connection's own busy timeout (30 s by default) every writer would wait that long
            // behind one long read.
            let busy = try connection.withBusyTimeout(Self.truncatingCheckpointWait) {
                try Statement(connection: connection, sql: "PRAGMA wal_checkpoint(TRUNCATE)").queryOne { $0.int64(0) }
            }
            return busy == 0
        }
    }

    /// How long ``checkpoint()`` waits for readers (holding up writers meanwhile) before it
    /// gives up truncating the WAL.
    public static let truncatingCheckpointWait: Duration = .milliseconds(100)
}

extension LogDatabase {
    /// `PRAGMA data_version` of this handle's connection: changes whenever another connection
    /// (in this process or another) commits.
    func dataVersion() throws -> Int64 {
        try withConnection { try $0.dataVersion() }
    }
}
