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
    ///   is read), `.invalidArgument` for a bad topic name, `.io` when `source` returns a negative
    ///   count (`read(2)`'s -1 above), and whatever `source` throws.
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
            if try topicIsClosed(record, in: connection) {
                throw StreamLogError(.topicClosed, "topic \(quoted(topic)) is closed; nothing more can be sent to it")
            }
            let size = try ObjectStore.insertStreaming(key: key, encoding: encoding, buffer: buffer, from: source, in: connection)
            let event = Event.stored(key: key, size: Int(size), encoding: encoding, evict: evict, metadata: metadata)
            return try appendRows([event], to: record, in: connection).lowerBound
        }
    }
}
