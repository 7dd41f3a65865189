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
/// Eviction is a `DELETE`. Objects up to ``rowValueLimit`` keep their bytes in their `objects`
/// row; larger ones are stored in `object_chunks` rows of at most ``chunkSize`` bytes (SQLite values
/// cannot exceed about 1 GB), and ``write(encoding:from:)`` / ``read(_:chunk:)`` stream them so
/// memory stays bounded whatever the object's size.
///
/// The store of the log's own file is ``LogDatabase/objects``; a store in another file is opened
/// with ``init(path:options:)`` (it is a StreamLog file too, holding only objects).
public struct ObjectStore: Sendable {
    /// Objects above ``rowValueLimit`` are stored in chunks of at most this size.
    public static let chunkSize = 4 << 20

    /// Objects up to this size keep their bytes in their `objects` row, a `WITHOUT ROWID` table
    /// keyed by the object's key, so that storing or evicting one touches one b-tree. Larger ones
    /// go to `object_chunks`, a rowid table: incremental blob I/O reads only rowid tables, and large
    /// rows would bloat the key b-tree. Migration v0003 holds the same number.
    static let rowValueLimit = 64 << 10

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
            try Self.insert(objects, in: connection)
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

    /// Deletes the objects under `keys` in one transaction, without recording them as evicted:
    /// for objects that were never published (a producer's flush that failed after putting them).
    func discard(_ keys: [ObjectKey]) throws {
        guard !keys.isEmpty else { return }
        try database.write { connection in
            for key in keys { _ = try Self.delete(key, in: connection) }
        }
    }

    /// Stores an object of any size, reading it from `source` chunk by chunk.
    ///
    /// `source` fills the buffer it is given and returns how many bytes it wrote; `0` ends the
    /// object. At most one chunk is in memory at a time. The whole object commits at once; one
    /// that fits in a chunk is stored in one row.
    ///
    /// - Throws: `.io` when `source` returns a negative count (as `read(2)` does on error), and
    ///   whatever `source` throws; nothing is stored then.
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
    ///
    /// - Throws: `.objectEvicted` / `.objectMissing` naming the key; `.corrupt` when its chunks do
    ///   not add up to its recorded size (checked before the first piece).
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
        try take(key, evictable: false)
    }

    /// ``take(_:)``; when the object is absent and `evictable` (an `evict: true` event refers to
    /// it), it was evicted: a consumer that evicted it on first read wrote no eviction record.
    func take(_ key: ObjectKey, evictable: Bool) throws -> StoredObject {
        try database.write { connection in
            guard let object = try Self.load(key, in: connection) else {
                throw try absenceError(key, evictable: evictable, in: connection)
            }
            _ = try Self.evict(key, in: connection)
            return object
        }
    }

    /// Objects of this size or more are read with a small page cache.
    static let smallCacheThreshold = 256 << 10

    /// The whole object, read inside the caller's transaction into one buffer of its exact size;
    /// `nil` when there is none.
    static func load(_ key: ObjectKey, in connection: Connection) throws -> StoredObject? {
        // One lookup: a value kept in its row comes with the header.
        var inRow: StoredObject?
        let header = try key.withBytes { keyBytes in
            try connection.cached("SELECT size, encoding, chunks, data FROM objects WHERE key = ?1").queryOne({
                $0.bindNoCopy(blob: keyBytes, at: 1)
            }) { row -> Header in
                let header = Header(key: key, size: row.int(0), encoding: row.string(1) ?? "bytes", chunks: row.int(2))
                if header.chunks == 0 { inRow = StoredObject(data: row.data(3) ?? Data(), encoding: header.encoding) }
                return header
            }
        }
        guard let header else { return nil }
        if let inRow { return inRow }
        // The chunks' overflow pages pass through the page cache (pages still in the WAL cannot
        // be read around it). Read with a small cache, so that a large object does not fill the
        // cache (up to 2 MB of pages nobody reads again) on top of the object itself.
        let read = { try readChunks(of: header, in: connection) }
        let data = header.size >= smallCacheThreshold ? try connection.withSmallPageCache(read) : try read()
        return StoredObject(data: data, encoding: header.encoding)
    }

    /// The chunks of the object, read with incremental blob I/O straight into one buffer of the
    /// object's size (a `SELECT` would have SQLite assemble each chunk into a buffer of its own
    /// first, twice the object in memory at once).
    ///
    /// - Throws: `.corrupt` naming the key when the chunks do not add up to the recorded size.
    private static func readChunks(of header: Header, in connection: Connection) throws -> Data {
        // A size no set of chunks could hold is damage, refused before allocating for it.
        let capacity = header.chunks.multipliedReportingOverflow(by: chunkSize)
        guard header.size > 0, header.chunks > 0, capacity.overflow || header.size <= capacity.partialValue else {
            throw chunkMismatch(header, in: connection)
        }
        // Not zero-filled first: the chunks are checked below to cover every byte.
        guard let base = malloc(header.size) else {
            throw StreamLogError(.io, "out of memory reading object \(header.key) (\(header.size) bytes) from \(connection.path)")
        }
        let buffer = UnsafeMutableRawBufferPointer(start: base, count: header.size)
        var offset = 0
        var pieces = 0
        do {
            try header.key.withBytes { keyBytes in
                try connection.cached("SELECT id, length(data) FROM object_chunks WHERE key = ?1 ORDER BY idx").queryEach({
                    $0.bindNoCopy(blob: keyBytes, at: 1)
                }) { row in
                    let length = row.int(1)
                    guard length <= buffer.count - offset,
                        try connection.readBlob(
                            table: "object_chunks", column: "data", rowID: row.int64(0),
                            into: UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + length)]))
                    else { throw chunkMismatch(header, in: connection) }
                    offset += length
                    pieces += 1
                }
            }
            guard offset == header.size, pieces == header.chunks else { throw chunkMismatch(header, in: connection) }
        } catch {
            free(base)
            throw error
        }
        return Data(bytesNoCopy: base, count: header.size, deallocator: .free)
    }

    private static func chunkMismatch(_ header: Header, in connection: Connection) -> StreamLogError {
        StreamLogError(
            .corrupt,
            "object \(header.key) in \(connection.path) records \(header.size) bytes in \(header.chunks) chunks, "
                + "but its chunks do not hold that; run `streamlog check`")
    }

    /// Streams the object to `chunk` inside the caller's transaction; `nil` when there is none.
    ///
    /// - Throws: `.corrupt` naming the key, before any piece is passed on, when the chunks do not
    ///   add up to the recorded size (as ``load(_:in:)`` does).
    static func read(_ key: ObjectKey, in connection: Connection, chunk: (UnsafeRawBufferPointer) throws -> Void) throws -> String? {
        guard let header = try header(key, in: connection) else { return nil }
        if header.chunks > 0 {
            // `length` of a blob reads no overflow pages: the check costs a walk of the chunks' rows.
            let (pieces, total) = try key.withBytes { keyBytes in
                try connection.cached("SELECT count(*), coalesce(sum(length(data)), 0) FROM object_chunks WHERE key = ?1")
                    .queryOne({ $0.bindNoCopy(blob: keyBytes, at: 1) }) { ($0.int(0), $0.int64(1)) } ?? (0, 0)
            }
            guard pieces == header.chunks, total == Int64(header.size) else { throw chunkMismatch(header, in: connection) }
        }
        let sql = header.chunks == 0
            ? "SELECT data FROM objects WHERE key = ?1"
            : "SELECT data FROM object_chunks WHERE key = ?1 ORDER BY idx"
        try key.withBytes { keyBytes in
            try connection.cached(sql).queryEach({ $0.bindNoCopy(blob: keyBytes, at: 1) }) {
                try $0.withBytes(0) { try chunk($0 ?? UnsafeRawBufferPointer(start: nil, count: 0)) }
            }
        }
        return header.encoding
    }

    /// What an object's row says: its size, encoding and number of chunks (0: the bytes are in
    /// the row).
    struct Header {
        let key: ObjectKey
        let size: Int
        let encoding: String
        let chunks: Int
    }

    static func header(_ key: ObjectKey, in connection: Connection) throws -> Header? {
        try key.withBytes { keyBytes in
            try connection.cached("SELECT size, encoding, chunks FROM objects WHERE key = ?1").queryOne({
                $0.bindNoCopy(blob: keyBytes, at: 1)
            }) { Header(key: key, size: $0.int(0), encoding: $0.string(1) ?? "bytes", chunks: $0.int(2)) }
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
        try insertOne(object, using: insertRowStatement(in: connection), in: connection)
    }

    /// Inserts objects inside the caller's write transaction, each in chunks when it is large.
    ///
    /// The row statement is looked up once for them all. By its text that cost about 1,000
    /// instructions an object (4 % of a store-backed `streamlog send` of 100-byte lines), and
    /// even by its ``HotStatement`` key about 400 (callgrind: 478.7 M against 486.8 M for 20 k
    /// objects at batch 100).
    ///
    /// Runs of small objects go in multi-row statements (``MultiRowInsert``).
    static func insert(_ objects: [PendingObject], in connection: Connection) throws {
        guard !objects.isEmpty else { return }
        let insertRow = try insertRowStatement(in: connection)
        var arena = BindingArena()
        var index = 0
        while index < objects.count {
            let rows = MultiRowInsert.rows(from: index, of: objects.count) {
                objects[$0].data.count <= MultiRowInsert.payloadLimit
            }
            if rows > 1 {
                try insertRows(objects[index..<index + rows], arena: &arena, in: connection)
            } else {
                try insertOne(objects[index], using: insertRow, in: connection)
            }
            index += rows
        }
    }

    /// Inserts one object's row, bound in place, then its chunks if it is large.
    private static func insertOne(_ object: PendingObject, using insertRow: Statement, in connection: Connection) throws {
        let chunked = object.data.count > rowValueLimit
        // The object's row first, so that a key already taken fails before any chunk is
        // written. No RETURNING clause: SQLite buffers RETURNING rows in a temporary b-tree,
        // a page allocation per statement that cost more than the insert itself.
        try object.data.withUnsafeBytes { bytes in
            try Self.insertRow(
                key: object.key, size: object.data.count, encoding: object.encoding,
                chunks: chunked ? (object.data.count + chunkSize - 1) / chunkSize : 0,
                data: chunked ? nil : bytes, using: insertRow)
        }
        guard chunked else { return }
        try object.data.withUnsafeBytes { bytes in
            var index = 0
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + chunkSize, bytes.count)
                try insertChunk(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), index: index,
                                key: object.key, in: connection)
                offset = end
                index += 1
            }
        }
    }

    /// Inserts the rows of small objects (kept whole in their rows) with one statement: their
    /// keys, encodings and bytes are copied into `arena` and bound from there.
    private static func insertRows(
        _ objects: ArraySlice<PendingObject>, arena: inout BindingArena, in connection: Connection
    ) throws {
        let insert = try connection.cached(.insertObjectRows, rows: objects.count) {
            "INSERT INTO objects (key, size, encoding, created_at, chunks, data) VALUES "
                + MultiRowInsert.placeholders(rows: objects.count, columns: 6)
        }
        defer { insert.reset() }  // unbinds the arena's pointers
        arena.removeAll()
        var ranges: [(key: Range<Int>, encoding: Range<Int>, data: Range<Int>)] = []
        ranges.reserveCapacity(objects.count)
        for object in objects {
            ranges.append((object.key.withBytes { arena.append($0) }, arena.append(object.encoding.utf8),
                           arena.append(object.data)))
        }
        let now = Timestamp.now()
        try arena.withBytes { bytes in
            for (row, object) in zip(0..., objects) {
                bindRow(key: bytes[ranges[row].key], size: object.data.count, encoding: bytes[ranges[row].encoding],
                        createdAt: now, chunks: 0, data: bytes[ranges[row].data], to: insert, row: row)
            }
            try insert.step()
        }
    }

    /// Binds the 6 columns of row `row` of `statement` (an object insert of one or more rows),
    /// without copies: the buffers must outlive the step. `data` is `nil` for a chunked object.
    private static func bindRow(
        key: UnsafeRawBufferPointer, size: Int, encoding: UnsafeRawBufferPointer, createdAt: Timestamp, chunks: Int,
        data: UnsafeRawBufferPointer?, to statement: Statement, row: Int
    ) {
        let column = Int32(row * 6)
        statement.bindNoCopy(blob: key, at: column + 1)
        statement.bind(size, at: column + 2)
        statement.bindNoCopy(text: encoding, at: column + 3)
        statement.bind(createdAt.microsecondsSinceEpoch, at: column + 4)
        statement.bind(chunks, at: column + 5)
        if let data { statement.bindNoCopy(blob: data, at: column + 6) } else { statement.bindNull(at: column + 6) }
    }

    /// The statement ``insertRow(key:size:encoding:chunks:data:using:)`` runs.
    static func insertRowStatement(in connection: Connection) throws -> Statement {
        try connection.cached(.insertObjectRow) {
            "INSERT INTO objects (key, size, encoding, created_at, chunks, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        }
    }

    /// Inserts an object's row with `statement` (``insertRowStatement(in:)``); `data` is `nil` for
    /// a chunked object.
    static func insertRow(
        key: ObjectKey, size: Int, encoding: String, chunks: Int, data: UnsafeRawBufferPointer?, using statement: Statement
    ) throws {
        var encoding = encoding
        try key.withBytes { keyBytes in
            try encoding.withUTF8 { encodingBytes in
                try statement.run {
                    bindRow(key: keyBytes, size: size, encoding: UnsafeRawBufferPointer(encodingBytes), createdAt: .now(),
                            chunks: chunks, data: data, to: $0, row: 0)
                }
            }
        }
    }

    static func insertChunk(_ bytes: UnsafeRawBufferPointer, index: Int, key: ObjectKey, in connection: Connection) throws {
        try key.withBytes { keyBytes in
            try connection.cached("INSERT INTO object_chunks (key, idx, data) VALUES (?1, ?2, ?3)").run {
                $0.bindNoCopy(blob: keyBytes, at: 1)
                $0.bind(index, at: 2)
                $0.bindNoCopy(blob: bytes, at: 3)
            }
        }
    }

    /// Deletes the object and its chunks, inside the caller's write transaction. Returns whether
    /// there was an object.
    static func delete(_ key: ObjectKey, in connection: Connection) throws -> Bool {
        try key.withBytes { keyBytes in
            try connection.cached("DELETE FROM object_chunks WHERE key = ?1").run { $0.bindNoCopy(blob: keyBytes, at: 1) }
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
        try deleteAll(
            chunks: mayBeChunked ? connection.cached(deleteChunksSQL(keysFrom: keysSQL)) : nil,
            objects: connection.cached(deleteObjectsSQL(keysFrom: keysSQL)), in: connection, bind: bind)
    }

    /// ``deleteAll(keysFrom:mayBeChunked:in:bind:)`` with its statements at hand: `chunks`
    /// (``deleteChunksSQL(keysFrom:)``, `nil` when no object may be chunked), then `objects`
    /// (``deleteObjectsSQL(keysFrom:)``), of the same key query.
    static func deleteAll(chunks: Statement?, objects: Statement, in connection: Connection, bind: (Statement) -> Void) throws -> Int {
        try chunks?.run(bind)
        try objects.run(bind)
        return connection.changes
    }

    /// Deletes the chunks of the objects whose keys `keysSQL` selects.
    static func deleteChunksSQL(keysFrom keysSQL: String) -> String {
        "DELETE FROM object_chunks WHERE key IN (\(keysSQL))"
    }

    /// Deletes the objects whose keys `keysSQL` selects.
    static func deleteObjectsSQL(keysFrom keysSQL: String) -> String {
        "DELETE FROM objects WHERE key IN (\(keysSQL))"
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
