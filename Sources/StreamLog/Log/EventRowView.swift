import Foundation

/// A borrowed view of one stored event, for readers that must not pay for an ``Event`` per row
/// (replaying millions of events to a pipe, copying payloads into a buffer of their own).
///
/// Valid only during the call it is passed to: it reads the row SQLite holds for the current
/// step. Use ``event()`` to keep one.
public struct EventRowView {
    fileprivate let row: Statement
    fileprivate let topic: String
    fileprivate let encodingTag: String?
    fileprivate let storeReference: (Int64) throws -> StoreReference

    /// Position in the topic.
    public var seq: Int64 { row.int64(0) }
    /// Object or end of stream (an unknown stored type reads as `.object`; ``event()`` rejects it).
    public var kind: Event.Kind { Event.Kind(rawValue: row.int64(1)) ?? .object }
    /// When the event was appended.
    public var time: Timestamp { Timestamp(microsecondsSinceEpoch: row.int64(2)) }
    /// Whether the first resolve deletes the object.
    public var evict: Bool { row.int64(3) != 0 }
    /// The codec tag.
    public var encoding: String? { encodingTag }
    /// The object's size in bytes.
    public var size: Int { row.int(5) }
    /// The object's key when it is in a store.
    public var key: ObjectKey? { row.withBytes(7) { $0.flatMap { ObjectKey(bytes: $0) } } }
    /// Whether the object is in a store in another file.
    public var hasExternalStore: Bool { !row.isNull(8) }

    /// Calls `body` with the inline payload's bytes (`nil` when the object is in a store).
    public func withPayload<R>(_ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        try row.withBytes(6, body)
    }

    /// Calls `body` with the metadata's JSON text (`nil` when the event has no metadata).
    public func withMetadataJSON<R>(_ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        try row.withBytes(9, body)
    }

    /// The parsed metadata.
    public func metadata() throws -> Metadata {
        let seq = self.seq, topic = self.topic
        return try row.withBytes(9) { try MetadataCoding.decode($0, topic: topic, seq: seq) }
    }

    /// The event as a value that outlives the call.
    public func event() throws -> Event {
        var decoder = EventRowDecoder(topic: topic)
        return try decoder.decode(row, stores: storeReference)
    }
}

extension LogDatabase {
    /// Calls `body` with a borrowed view of every event of `topic` with seq in
    /// `after + 1 ... through`, in order, a page at a time; `body` returns `false` to stop.
    ///
    /// The fastest way to read: no value is built per event. Each page is read in one short
    /// transaction while this handle's lock is held, so `body` must not use this same
    /// `LogDatabase` (another handle on the file is fine).
    ///
    /// - Throws: `.topicNotFound` naming the topic; `.invalidArgument` for a page size below 1.
    public func forEachEventRow(
        topic: String, after: Int64 = 0, through: Int64 = .max, pageSize: Int = 1000,
        _ body: (EventRowView) throws -> Bool
    ) throws {
        try Self.validatePageSize(pageSize, topic: topic)
        var cursor = after
        var more = true
        while more && cursor < through {
            more = try read { connection in
                let record = try existingTopic(topic, in: connection)
                let select = try connection.cached(
                    "SELECT seq, type, time, evict, encoding, size, payload, key, store, metadata FROM \(record.table) "
                        + "WHERE seq > ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3")
                var decoder = EventRowDecoder(topic: record.name)
                var rows = 0
                var stopped = false
                try select.queryEach({
                    $0.bind(cursor, at: 1)
                    $0.bind(through, at: 2)
                    $0.bind(pageSize, at: 3)
                }) { row in
                    guard !stopped else { return }
                    rows += 1
                    cursor = row.int64(0)
                    let view = EventRowView(
                        row: row, topic: record.name, encodingTag: decoder.internedEncoding(row),
                        storeReference: { try self.storeReference(id: $0, in: connection) })
                    if try !body(view) { stopped = true }
                }
                return !stopped && rows == pageSize
            }
        }
    }
}
