import Foundation

extension ObjectStore {
    /// Inserts an object read from `source` through `buffer`, one chunk at a time, inside the
    /// caller's write transaction, and returns its size. Objects up to ``rowValueLimit`` keep
    /// their bytes in `objects.data`; larger ones are split into `object_chunks`, as
    /// ``ObjectStore`` does.
    static func insertStreaming(
        key: ObjectKey, encoding: String, buffer: UnsafeMutableRawBufferPointer,
        from source: (UnsafeMutableRawBufferPointer) throws -> Int, in connection: Connection
    ) throws -> Int64 {
        // Fill the first chunk: an object smaller than that is stored as `insert` stores it.
        var filled = try fill(buffer, from: source, key: key)
        if filled < buffer.count {
            try insert(
                PendingObject(key: key, data: Data(UnsafeRawBufferPointer(rebasing: buffer[..<filled])), encoding: encoding),
                in: connection)
            return Int64(filled)
        }
        // Chunks first, the object's row last, once its size and chunk count are known.
        var size = 0
        var chunks = 0
        while filled > 0 {
            try insertChunk(UnsafeRawBufferPointer(rebasing: buffer[..<filled]), index: chunks, key: key, in: connection)
            size += filled
            chunks += 1
            if filled < buffer.count { break }
            filled = try fill(buffer, from: source, key: key)
        }
        try insertRow(
            key: key, size: size, encoding: encoding, chunks: chunks, data: nil, using: insertRowStatement(in: connection))
        return Int64(size)
    }

    /// Calls `source` until `buffer` is full or it returns 0; returns the bytes filled. Chunk
    /// boundaries then do not depend on how much the source returns per call.
    ///
    /// - Throws: `.io` when `source` returns a negative count (`read(2)` returns -1 on error): the
    ///   object would otherwise end there and commit truncated.
    private static func fill(
        _ buffer: UnsafeMutableRawBufferPointer, from source: (UnsafeMutableRawBufferPointer) throws -> Int,
        key: ObjectKey
    ) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = try source(UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if count < 0 {
                throw StreamLogError(
                    .io, "the source of object \(key) returned \(count) bytes after \(filled) in this chunk "
                        + "(a read error); nothing was stored")
            }
            guard count > 0 else { break }
            filled += min(count, buffer.count - filled)
        }
        return filled
    }
}
