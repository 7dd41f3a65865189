import Foundation

extension ObjectStore {
    /// Inserts an object read from `source` through `buffer`, one chunk at a time, inside the
    /// caller's write transaction, and returns its size. Small objects keep their bytes in
    /// `objects.data`; larger ones are split into `object_chunks`, as ``ObjectStore`` does.
    static func insertStreaming(
        key: ObjectKey, encoding: String, buffer: UnsafeMutableRawBufferPointer,
        from source: (UnsafeMutableRawBufferPointer) throws -> Int, in connection: Connection
    ) throws -> Int64 {
        // Fill the first chunk: an object that fits in it is stored whole, in one row.
        var filled = try fill(buffer, from: source)
        if filled < buffer.count {
            try insert(
                PendingObject(key: key, data: Data(UnsafeRawBufferPointer(rebasing: buffer[..<filled])), encoding: encoding),
                in: connection)
            return Int64(filled)
        }
        try key.withBytes { keyBytes in
            try connection.cached(
                "INSERT INTO objects (key, size, encoding, created_at, chunks, data) VALUES (?1, 0, ?2, ?3, 0, NULL)"
            ).run {
                $0.bindNoCopy(blob: keyBytes, at: 1)
                $0.bind(encoding, at: 2)
                $0.bind(Timestamp.now().microsecondsSinceEpoch, at: 3)
            }
        }
        let objectID = connection.lastInsertRowID
        var size: Int64 = 0
        var chunks = 0
        while filled > 0 {
            try insertChunk(
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
    private static func fill(
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
