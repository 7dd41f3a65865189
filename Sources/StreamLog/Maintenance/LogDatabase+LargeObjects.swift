import Foundation

extension LogDatabase {
    /// Streams one object of any size into this file's object store and appends its key event to
    /// `topic`, in one transaction: readers see the event and its object together or not at all,
    /// and a failure (closed topic, full disk, an error thrown by `source`) leaves nothing behind.
    ///
    /// `source` fills the buffer it is given and returns how many bytes it wrote; `0` ends the
    /// object. At most one chunk (``ObjectStore/chunkSize``) is in memory at a time.
    ///
    /// ```swift
    /// let file = try FileHandle(forReadingFrom: url)
    /// let seq = try db.appendObject(to: "uploads") { buffer in
    ///     read(file.fileDescriptor, buffer.baseAddress, buffer.count)
    /// }
    /// ```
    ///
    /// - Returns: the seq of the appended event.
    /// - Throws: `.topicClosed` when the topic has its end-of-stream event (checked before any byte
    ///   is read), `.invalidArgument` for a bad topic name, and whatever `source` throws.
    @discardableResult
    public func appendObject(
        to topic: String, encoding: String = "bytes", evict: Bool = true, metadata: Metadata = [:],
        from source: (UnsafeMutableRawBufferPointer) throws -> Int
    ) throws -> Int64 {
        try TopicName.validate(topic)
        let key = ObjectKey.random()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ObjectStore.chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        return try write { connection in
            let record = try topicRecord(topic, create: true, in: connection)!
            let closed = try connection.cached("SELECT closed_at IS NOT NULL FROM topics WHERE id = ?1").queryOne({
                $0.bind(record.id, at: 1)
            }) { $0.int64(0) != 0 } ?? false
            if closed {
                throw StreamLogError(.topicClosed, "topic \(quoted(topic)) is closed; nothing more can be sent to it")
            }
            let size = try insertObject(key: key, encoding: encoding, buffer: buffer, from: source, in: connection)
            let event = Event.stored(key: key, size: Int(size), encoding: encoding, evict: evict, metadata: metadata)
            return try appendRows([event], to: record, in: connection).lowerBound
        }
    }

    /// Inserts an object read from `source` through `buffer`, one chunk at a time, inside the
    /// caller's write transaction, and returns its size. Small objects keep their bytes in
    /// `objects.data`; larger ones are split into `object_chunks`, as ``ObjectStore`` does.
    private func insertObject(
        key: ObjectKey, encoding: String, buffer: UnsafeMutableRawBufferPointer,
        from source: (UnsafeMutableRawBufferPointer) throws -> Int, in connection: Connection
    ) throws -> Int64 {
        // Fill the first chunk: an object that fits in it is stored whole, in one row.
        var filled = try fill(buffer, from: source)
        if filled < buffer.count {
            try ObjectStore.insert(
                PendingObject(key: key, data: Data(UnsafeRawBufferPointer(rebasing: buffer[..<filled])), encoding: encoding),
                in: connection)
            return Int64(filled)
        }
        let objectID = try key.withBytes { keyBytes in
            try connection.cached(
                "INSERT INTO objects (key, size, encoding, created_at, chunks, data) "
                    + "VALUES (?1, 0, ?2, ?3, 0, NULL) RETURNING id"
            ).queryOne({
                $0.bindNoCopy(blob: keyBytes, at: 1)
                $0.bind(encoding, at: 2)
                $0.bind(Timestamp.now().microsecondsSinceEpoch, at: 3)
            }) { $0.int64(0) }!
        }
        var size: Int64 = 0
        var chunks = 0
        while filled > 0 {
            try ObjectStore.insertChunk(
                UnsafeRawBufferPointer(rebasing: buffer[..<filled]), index: chunks, objectID: objectID, in: connection)
            size += Int64(filled)
            chunks += 1
            if filled < buffer.count { break }
            filled = try fill(buffer, from: source)
        }
        try connection.cached("UPDATE objects SET size = ?2, chunks = ?3 WHERE id = ?1").run {
            $0.bind(objectID, at: 1)
            $0.bind(size, at: 2)
            $0.bind(chunks, at: 3)
        }
        return size
    }

    /// Calls `source` until `buffer` is full or it returns 0; returns the bytes filled. Chunk
    /// boundaries then do not depend on how much the source returns per call.
    private func fill(
        _ buffer: UnsafeMutableRawBufferPointer, from source: (UnsafeMutableRawBufferPointer) throws -> Int
    ) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = try source(UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            guard count > 0 else { break }
            filled += min(count, buffer.count - filled)
        }
        return filled
    }
}
