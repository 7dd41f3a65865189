import Foundation

extension LogDatabase {
    /// Up to `limit` events of `topic` with seq greater than `after`, in seq order.
    ///
    /// - Throws: `.topicNotFound` naming the topic; `.invalidArgument` for a negative limit.
    public func read(topic: String, after: Int64 = 0, limit: Int = 1000) throws -> [Event] {
        // SQLite reads LIMIT -1 as no limit: the whole topic would be loaded.
        guard limit >= 0 else {
            throw StreamLogError(
                .invalidArgument, "cannot read \(limit) events of topic \(quoted(topic)): the limit must be 0 or more")
        }
        return try withConnection { connection in
            try scan(try existingTopic(topic, in: connection), after: after, limit: limit, in: connection)
        }
    }

    /// Calls `body` for every event of `topic` with seq in `after + 1 ... through`, in order,
    /// reading in pages so memory stays bounded at any topic length. `body` returns `false` to stop.
    ///
    /// Each page is read in its own short transaction, so writers are never held up.
    ///
    /// - Throws: `.topicNotFound` naming the topic; `.invalidArgument` for a page size below 1.
    public func forEachEvent(
        topic: String, after: Int64 = 0, through: Int64 = .max, pageSize: Int = 1000,
        _ body: (Event) throws -> Bool
    ) throws {
        try Self.validatePageSize(pageSize, topic: topic)
        var cursor = after
        while cursor < through {
            let page: [Event]
            page = try withConnection { connection in
                try scan(try existingTopic(topic, in: connection), after: cursor, limit: pageSize, in: connection)
            }
            for event in page {
                guard event.seq <= through else { return }
                guard try body(event) else { return }
                cursor = event.seq
            }
            if page.count < pageSize { return }
        }
    }

    /// Throws `.invalidArgument` unless `pageSize` is 1 or more: an empty page never moves the
    /// cursor (the loop would not end), and SQLite reads a negative LIMIT as no limit.
    static func validatePageSize(_ pageSize: Int, topic: String) throws {
        guard pageSize >= 1 else {
            throw StreamLogError(
                .invalidArgument,
                "cannot read topic \(quoted(topic)) in pages of \(pageSize) events: the page size must be 1 or more")
        }
    }

    /// The highest seq ever given in the topic (0 when none), whether or not it is still retained.
    public func lastSeq(topic: String) throws -> Int64 {
        try withConnection { connection in
            try highestSeq(existingTopic(topic, in: connection), in: connection)
        }
    }

    /// The seq of the first retained event appended at or after `time`, or `nil` when there is none.
    ///
    /// Event times are non-decreasing within a topic, so this is a binary search on the primary
    /// key: O(log² n) row lookups, no scan.
    public func firstSeq(topic: String, atOrAfter time: Timestamp) throws -> Int64? {
        try read { connection in
            try firstSeq(try existingTopic(topic, in: connection), atOrAfter: time, in: connection)
        }
    }

    /// ``firstSeq(topic:atOrAfter:)`` inside the caller's transaction.
    func firstSeq(_ record: TopicRecord, atOrAfter time: Timestamp, in connection: Connection) throws -> Int64? {
        let bounds = try connection.cached("SELECT min(seq), max(seq) FROM \(record.table)").queryOne { statement in
            (statement.optionalInt64(0), statement.optionalInt64(1))
        }
        guard let low0 = bounds?.0, let high0 = bounds?.1 else { return nil }
        let timeAt = try connection.cached("SELECT seq, time FROM \(record.table) WHERE seq >= ?1 ORDER BY seq LIMIT 1")
        func firstAtOrAfter(_ seq: Int64) throws -> (Int64, Int64)? {
            try timeAt.queryOne({ $0.bind(seq, at: 1) }) { ($0.int64(0), $0.int64(1)) }
        }
        // Searches for the lowest `x` whose first retained event at or after it is late
        // enough; that event is the answer. Seqs may have gaps (rows deleted out of order), so
        // `high` moves to `middle`, not to the seq found: that seq can be `high` itself.
        var low = low0
        var high = high0
        guard let last = try firstAtOrAfter(high), last.1 >= time.microsecondsSinceEpoch else { return nil }
        while low < high {
            let middle = low + (high - low) / 2
            guard let (seq, eventTime) = try firstAtOrAfter(middle) else { break }
            // Every `x` in middle ... seq finds the same event.
            if eventTime >= time.microsecondsSinceEpoch { high = middle } else { low = seq + 1 }
        }
        return try firstAtOrAfter(low)?.0
    }

    /// Up to `limit` events after `after`, inside the caller's lock.
    func scan(_ record: TopicRecord, after: Int64, limit: Int, in connection: Connection) throws -> [Event] {
        let select = try connection.cached(
            "SELECT seq, type, time, evict, encoding, size, payload, key, store, metadata FROM \(record.table) "
                + "WHERE seq > ?1 ORDER BY seq LIMIT ?2")
        var decoder = EventRowDecoder(topic: record.name)
        var events: [Event] = []
        events.reserveCapacity(min(max(limit, 0), 4096))
        try select.queryEach({
            $0.bind(after, at: 1)
            $0.bind(limit, at: 2)
        }) { row in
            events.append(try decoder.decode(row, stores: { try self.storeReference(id: $0, in: connection) }))
        }
        return events
    }

    /// Calls `body` with up to `limit` events after `after`, inside the caller's lock.
    func scan(_ record: TopicRecord, after: Int64, limit: Int, in connection: Connection, _ body: (Event) throws -> Void) throws {
        for event in try scan(record, after: after, limit: limit, in: connection) { try body(event) }
    }

    /// The event in the current row of a `SELECT seq, type, time, evict, encoding, size, payload,
    /// key, store, metadata` statement (for one-off rows; ``scan`` decodes pages).
    func decodeEvent(_ row: Statement, topic: String, in connection: Connection) throws -> Event {
        var decoder = EventRowDecoder(topic: topic)
        return try decoder.decode(row, stores: { try storeReference(id: $0, in: connection) })
    }
}

/// Turns rows of `SELECT seq, type, time, evict, encoding, size, payload, key, store, metadata`
/// into events. Kept per scan so the encoding tag, the same on nearly every row, is made into a
/// `String` once rather than per row.
struct EventRowDecoder {
    let topic: String
    private var encodingBytes: [UInt8] = []
    private var encoding: String?

    init(topic: String) { self.topic = topic }

    mutating func decode(_ row: Statement, stores: (Int64) throws -> StoreReference) throws -> Event {
        let seq = row.int64(0)
        guard let kind = Event.Kind(rawValue: row.int64(1)) else {
            throw StreamLogError(.corrupt, "event \(seq) of topic \(quoted(topic)) has unknown type \(row.int64(1))")
        }
        let key: ObjectKey? = try row.withBytes(7) { bytes in
            guard let bytes else { return nil }
            guard let key = ObjectKey(bytes: bytes) else {
                throw StreamLogError(.corrupt, "event \(seq) of topic \(quoted(topic)) has a \(bytes.count)-byte key")
            }
            return key
        }
        let store = try row.optionalInt64(8).map(stores)
        let name = topic
        return Event(
            topic: name, seq: seq, kind: kind, time: Timestamp(microsecondsSinceEpoch: row.int64(2)),
            evict: row.int64(3) != 0, encoding: internedEncoding(row), size: row.int(5), payload: row.data(6), key: key,
            store: store, metadata: try row.withBytes(9) { try MetadataCoding.decode($0, topic: name, seq: seq) })
    }

    mutating func internedEncoding(_ row: Statement) -> String? {
        row.withBytes(4) { bytes -> String? in
            guard let bytes else { return nil }
            if let encoding, bytes.count == encodingBytes.count,
               bytes.isEmpty || encodingBytes.withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) {
                return encoding
            }
            encodingBytes = Array(bytes)
            encoding = String(decoding: bytes, as: UTF8.self)
            return encoding
        }
    }
}
