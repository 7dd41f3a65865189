import Foundation

/// An object to put into the log's own object store in the same transaction as an append.
public struct PendingObject: Sendable {
    /// The key the object is stored under.
    public let key: ObjectKey
    /// The object's bytes.
    public let data: Data
    /// The codec tag of the bytes.
    public let encoding: String

    /// An object to store under `key`.
    public init(key: ObjectKey = .random(), data: Data, encoding: String = "bytes") {
        self.key = key
        self.data = data
        self.encoding = encoding
    }
}

/// An object read back from a store.
public struct StoredObject: Sendable, Hashable {
    /// The object's bytes.
    public let data: Data
    /// The codec tag the bytes were stored with.
    public let encoding: String
}

/// The object store of a StreamLog file: the `objects` table, keyed by 16-byte UUIDs.
///
/// Eviction is a `DELETE`. Objects larger than ``chunkSize`` are split into chunks (SQLite values
/// cannot exceed about 1 GB), and ``write(encoding:from:)`` / ``read(_:chunk:)`` stream them so
/// memory stays bounded whatever the object's size.
///
/// The store of the log's own file is ``LogDatabase/objects``; a store in another file is opened
/// with ``init(path:options:)`` (it is a StreamLog file too, holding only objects).
public struct ObjectStore: Sendable {
    /// Objects above this size are stored in chunks of this size.
    public static let chunkSize = 4 << 20

    /// The database holding the objects.
    public let database: LogDatabase

    /// The store in the database's own file.
    public init(database: LogDatabase) {
        self.database = database
    }

    /// Opens (creating if needed) a store in the file at `path`.
    public init(path: String, options: LogDatabase.Options = .init()) throws {
        self.database = try LogDatabase(path: path, options: options)
    }

    /// The store's file.
    public var path: String { database.path }

    /// Stores `data` under a new random key, or under `key` when given.
    @discardableResult
    public func put(_ data: Data, encoding: String = "bytes", key: ObjectKey = .random()) throws -> ObjectKey {
        try database.write { connection in
            try Self.insert(PendingObject(key: key, data: data, encoding: encoding), in: connection)
        }
        return key
    }

    /// Stores every object in one transaction; returns their keys in order.
    @discardableResult
    public func putBatch(_ items: [Data], encoding: String = "bytes") throws -> [ObjectKey] {
        let pending = items.map { PendingObject(data: $0, encoding: encoding) }
        try putBatch(pending)
        return pending.map(\.key)
    }

    /// Stores every object in one transaction, under the keys they carry.
    public func putBatch(_ objects: [PendingObject]) throws {
        try database.write { connection in
            for object in objects { try Self.insert(object, in: connection) }
        }
    }

    /// The object stored under `key`.
    ///
    /// - Throws: `.objectEvicted` when eviction or retention deleted it, `.objectMissing` when it
    ///   was never stored here; both name the key and the store's file.
    public func get(_ key: ObjectKey) throws -> StoredObject {
        try get(key, evictable: false)
    }

    /// The object stored under `key`; when it is absent and `evictable` (an `evict: true` event
    /// refers to it, so a consumer deletes it on first read), it was evicted.
    func get(_ key: ObjectKey, evictable: Bool) throws -> StoredObject {
        try database.read { connection in
            guard let object = try Self.load(key, in: connection) else {
                throw try absenceError(key, evictable: evictable, in: connection)
            }
            return object
        }
    }

    /// Whether an object is stored under `key`.
    public func exists(_ key: ObjectKey) throws -> Bool {
        try database.withConnection { connection in
            try key.withBytes { bytes in
                try connection.cached("SELECT 1 FROM objects WHERE key = ?1").queryOne({
                    $0.bindNoCopy(blob: bytes, at: 1)
                }) { _ in true } ?? false
            }
        }
    }

    /// Deletes the object under `key` and records it as evicted.
    ///
    /// - Returns: `true` if an object was deleted, `false` if there was none.
    @discardableResult
    public func evict(_ key: ObjectKey) throws -> Bool {
        try database.write { connection in try Self.evict(key, in: connection) }
    }

    /// Stores an object of any size, reading it from `source` chunk by chunk.
    ///
    /// `source` fills the buffer it is given and returns how many bytes it wrote; `0` ends the
    /// object. At most one chunk is in memory at a time. The whole object commits at once; one
    /// that fits in a chunk is stored in one row.
    @discardableResult
    public func write(
        encoding: String = "bytes", key: ObjectKey = .random(),
        from source: (UnsafeMutableRawBufferPointer) throws -> Int
    ) throws -> ObjectKey {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        try database.write { connection in
            _ = try Self.insertStreaming(key: key, encoding: encoding, buffer: buffer, from: source, in: connection)
        }
        return key
    }

    /// Streams the object under `key` to `chunk`, piece by piece, and returns its encoding.
    ///
    /// The buffer passed to `chunk` is valid only during the call. All pieces come from one
    /// snapshot, so a concurrent eviction cannot cut the object short.
    @discardableResult
    public func read(_ key: ObjectKey, chunk: (UnsafeRawBufferPointer) throws -> Void) throws -> String {
        try database.read { connection in
            guard let encoding = try Self.read(key, in: connection, chunk: chunk) else {
                throw try absenceError(key, in: connection)
            }
            return encoding
        }
    }

    /// Reads the object and deletes it in one transaction: of several callers taking the same key,
    /// exactly one gets the object (evict-on-first-resolve).
    ///
    /// - Throws: `.objectEvicted` / `.objectMissing` naming the key.
    public func take(_ key: ObjectKey) throws -> StoredObject {
        try database.write { connection in
            guard let object = try Self.load(key, in: connection) else {
                throw try absenceError(key, in: connection)
            }
            _ = try Self.evict(key, in: connection)
            return object
        }
    }

    /// Values above this size are read with incremental blob I/O (no intermediate copy); below
    /// it a `SELECT` is cheaper (opening a blob handle compiles a statement each time).
    static let blobReadThreshold = 16 << 10

    /// Objects of this size or more are read with a small page cache.
    static let smallCacheThreshold = 256 << 10

    /// The whole object, read inside the caller's transaction into one buffer of its exact size;
    /// `nil` when there is none.
    static func load(_ key: ObjectKey, in connection: Connection) throws -> StoredObject? {
        guard let header = try header(key, in: connection) else { return nil }
        if header.chunks == 0 && header.size > blobReadThreshold {
            // The value's overflow pages pass through the page cache (pages still in the WAL
            // cannot be read around it). Read with a small cache, so that a large object does not
            // fill the cache (up to 2 MB of pages nobody reads again) on top of the object itself.
            let read = { try connection.readBlob(table: "objects", column: "data", rowID: header.id, size: header.size) }
            let data = header.size >= smallCacheThreshold ? try connection.withSmallPageCache(read) : try read()
            if let data { return StoredObject(data: data, encoding: header.encoding) }
        }
        var data = Data()
        data.reserveCapacity(header.size)
        try readContent(of: header, in: connection) { data.append(contentsOf: $0) }
        return StoredObject(data: data, encoding: header.encoding)
    }

    /// Streams the object to `chunk` inside the caller's transaction; `nil` when there is none.
    static func read(_ key: ObjectKey, in connection: Connection, chunk: (UnsafeRawBufferPointer) throws -> Void) throws -> String? {
        guard let header = try header(key, in: connection) else { return nil }
        try readContent(of: header, in: connection, chunk: chunk)
        return header.encoding
    }

    /// Where an object's bytes are: its row, size, encoding and number of chunks.
    struct Header {
        let id: Int64
        let size: Int
        let encoding: String
        let chunks: Int
    }

    static func header(_ key: ObjectKey, in connection: Connection) throws -> Header? {
        try key.withBytes { keyBytes in
            try connection.cached("SELECT id, size, encoding, chunks FROM objects WHERE key = ?1").queryOne({
                $0.bindNoCopy(blob: keyBytes, at: 1)
            }) { Header(id: $0.int64(0), size: $0.int(1), encoding: $0.string(2) ?? "bytes", chunks: $0.int(3)) }
        }
    }

    /// Streams the object's bytes (its row's value, or its chunks in order) to `chunk`.
    static func readContent(of header: Header, in connection: Connection, chunk: (UnsafeRawBufferPointer) throws -> Void) throws {
        let sql = header.chunks == 0
            ? "SELECT data FROM objects WHERE id = ?1"
            : "SELECT data FROM object_chunks WHERE object_id = ?1 ORDER BY idx"
        try connection.cached(sql).queryEach({ $0.bind(header.id, at: 1) }) {
            try $0.withBytes(0) { try chunk($0 ?? UnsafeRawBufferPointer(start: nil, count: 0)) }
        }
    }

    /// The error for a key with no object: evicted (`evictable`, or an eviction record exists)
    /// or missing.
    ///
    /// Consumers evicting the objects of `evict: true` events on first read write no eviction
    /// record (it would cost a b-tree insert per object on the hot path): such an event whose
    /// object is absent is evicted by definition. Records remain for deletions no event explains
    /// (``evict(_:)``, consumer-driven retention).
    func absenceError(_ key: ObjectKey, evictable: Bool = false, in connection: Connection) throws -> StreamLogError {
        let evicted = try evictable || key.withBytes { keyBytes in
            try connection.cached("SELECT 1 FROM evicted_objects WHERE key = ?1").queryOne({
                $0.bindNoCopy(blob: keyBytes, at: 1)
            }) { _ in true } ?? false
        }
        return evicted
            ? StreamLogError(.objectEvicted, "object \(key) was evicted from the store \(path)")
            : StreamLogError(.objectMissing, "object \(key) is not in the store \(path)")
    }
}

extension ObjectStore {
    /// Inserts one object inside the caller's write transaction, in chunks when it is large.
    static func insert(_ object: PendingObject, in connection: Connection) throws {
        let chunked = object.data.count > chunkSize
        // No RETURNING clause: SQLite buffers RETURNING rows in a temporary b-tree, a page
        // allocation per statement that cost more than the insert itself.
        try object.key.withBytes { keyBytes in
            try object.data.withUnsafeBytes { bytes in
                try connection.cached(
                    "INSERT INTO objects (key, size, encoding, created_at, chunks, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                ).run {
                    $0.bindNoCopy(blob: keyBytes, at: 1)
                    $0.bind(object.data.count, at: 2)
                    $0.bind(object.encoding, at: 3)
                    $0.bind(Timestamp.now().microsecondsSinceEpoch, at: 4)
                    $0.bind(chunked ? (object.data.count + chunkSize - 1) / chunkSize : 0, at: 5)
                    if chunked { $0.bindNull(at: 6) } else { $0.bindNoCopy(blob: bytes, at: 6) }
                }
            }
        }
        let objectID = connection.lastInsertRowID
        guard chunked else { return }
        try object.data.withUnsafeBytes { bytes in
            var index = 0
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + chunkSize, bytes.count)
                try insertChunk(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), index: index,
                                objectID: objectID, in: connection)
                offset = end
                index += 1
            }
        }
    }

    static func insertChunk(_ bytes: UnsafeRawBufferPointer, index: Int, objectID: Int64, in connection: Connection) throws {
        try connection.cached("INSERT INTO object_chunks (object_id, idx, data) VALUES (?1, ?2, ?3)").run {
            $0.bind(objectID, at: 1)
            $0.bind(index, at: 2)
            $0.bindNoCopy(blob: bytes, at: 3)
        }
    }

    /// Deletes the object and its chunks, inside the caller's write transaction. Returns whether
    /// there was an object.
    static func delete(_ key: ObjectKey, in connection: Connection) throws -> Bool {
        try key.withBytes { keyBytes in
            try connection.cached(
                "DELETE FROM object_chunks WHERE object_id = (SELECT id FROM objects WHERE key = ?1 AND chunks > 0)"
            ).run { $0.bindNoCopy(blob: keyBytes, at: 1) }
            try connection.cached("DELETE FROM objects WHERE key = ?1").run { $0.bindNoCopy(blob: keyBytes, at: 1) }
            return connection.changes > 0
        }
    }

    /// Deletes the objects (and their chunks, unless none `mayBeChunked`) whose keys `keysSQL`
    /// selects, inside the caller's write transaction; `bind` binds its parameters. Returns how
    /// many objects were deleted.
    static func deleteAll(
        keysFrom keysSQL: String, mayBeChunked: Bool = true, in connection: Connection, bind: (Statement) -> Void
    ) throws -> Int {
        if mayBeChunked {
            try connection.cached(
                "DELETE FROM object_chunks WHERE object_id IN (SELECT id FROM objects WHERE chunks > 0 AND key IN (\(keysSQL)))"
            ).run(bind)
        }
        try connection.cached("DELETE FROM objects WHERE key IN (\(keysSQL))").run(bind)
        return connection.changes
    }

    /// Deletes the object and its chunks and records the eviction, inside the caller's write
    /// transaction. Returns whether there was an object.
    static func evict(_ key: ObjectKey, in connection: Connection) throws -> Bool {
        guard try delete(key, in: connection) else { return false }
        return try key.withBytes { keyBytes in
            try connection.cached("INSERT OR REPLACE INTO evicted_objects (key, evicted_at) VALUES (?1, ?2)").run {
                $0.bindNoCopy(blob: keyBytes, at: 1)
                $0.bind(Timestamp.now().microsecondsSinceEpoch, at: 2)
            }
            return true
        }
    }
}

extension LogDatabase {
    /// The object store in this database's own file.
    public var objects: ObjectStore { ObjectStore(database: self) }
}
