import Foundation

extension LogDatabase {
    /// Appends `events` to `topic` as one batch: one transaction, so readers see all of it or
    /// none of it. Creates the topic on first use.
    ///
    /// Each event gets the next seq of the topic and the batch's append time (never earlier than
    /// the topic's newest event). An end-of-stream event may only come last; it closes the topic.
    ///
    /// - Returns: the seqs given to the batch, `nil` for an empty batch.
    /// - Throws: `.topicClosed` when the topic already has its end-of-stream event,
    ///   `.invalidArgument` for a bad topic name, an end-of-stream event before the last place, or
    ///   one for the dead-letter topic of an existing group.
    @discardableResult
    public func append(_ events: [Event], to topic: String) throws -> ClosedRange<Int64>? {
        try append(events, objects: [], to: topic)
    }

    /// Appends `events` and puts `objects` into this file's object store in the same transaction,
    /// so no event can refer to an object that was not committed (and no object is left behind
    /// when the append fails).
    @discardableResult
    public func append(_ events: [Event], objects: [PendingObject], to topic: String) throws -> ClosedRange<Int64>? {
        try TopicName.validate(topic)
        if let index = events.firstIndex(where: \.isEndOfStream), index != events.count - 1 {
            throw StreamLogError(
                .invalidArgument, "end-of-stream must be the last event of a batch (topic \(quoted(topic)))")
        }
        guard !events.isEmpty || !objects.isEmpty else { return nil }
        return try write { connection in
            try ObjectStore.insert(objects, in: connection)
            guard !events.isEmpty else { return nil }
            let record = try topicRecord(topic, create: true, in: connection)!
            return try appendRows(events, to: record, in: connection)
        }
    }

    /// Inserts the rows of one batch inside the caller's write transaction.
    func appendRows(_ events: [Event], to record: TopicRecord, in connection: Connection) throws -> ClosedRange<Int64> {
        for index in events.indices {
            try MetadataCoding.validateDepth(events[index].metadata, event: index + 1, topic: record.name)
        }
        let (first, time) = try nextSeqAndTime(for: record, in: connection)
        if events.last?.isEndOfStream == true { try checkNotADeadLetterTopic(record, in: connection) }
        let insert = try connection.cached(.appendEvent, topicID: record.id) {
            "INSERT INTO \(record.table) (seq, type, time, evict, encoding, size, payload, key, store, metadata) "
                + "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        }
        var metadataJSON: [UInt8] = []
        defer { insert.reset() }
        var arena = BindingArena()
        var index = events.startIndex
        while index < events.endIndex {
            let rows = MultiRowInsert.rows(from: index, of: events.endIndex) {
                (events[$0].payload?.count ?? 0) <= MultiRowInsert.payloadLimit
            }
            if rows > 1 {
                try insertEvents(events[index..<index + rows], firstSeq: first + Int64(index), time: time,
                                 into: record, arena: &arena, in: connection)
                index += rows
                continue
            }
            // The event is read in place (`events[index]`) rather than copied, and its payload, key,
            // encoding and metadata are bound without copies: the closures keep their buffers
            // alive until the row is stepped. Every parameter is rebound for every row.
            metadataJSON.removeAll(keepingCapacity: true)
            MetadataCoding.encode(events[index].metadata, into: &metadataJSON)
            try withOptionalText(events[index].encoding) { encoding in
                try withOptionalBytes(events[index].payload) { payload in
                    try withOptionalKey(events[index].key) { key in
                        try metadataJSON.withUnsafeBytes { metadata in
                            Self.bind(
                                seq: first + Int64(index), kind: events[index].kind, time: time, evict: events[index].evict,
                                encoding: encoding, size: events[index].size, payload: payload, key: key,
                                store: events[index].store?.id, metadata: metadata, to: insert, row: 0)
                            defer { insert.rewind() }
                            try insert.step()
                        }
                    }
                }
            }
            index += 1
        }
        let seq = first + Int64(events.count)
        if events.last?.isEndOfStream == true {
            try connection.cached("UPDATE topics SET closed_at = ?2 WHERE id = ?1").run {
                $0.bind(record.id, at: 1)
                $0.bind(time.microsecondsSinceEpoch, at: 2)
            }
        }
        return first...(seq - 1)
    }

    /// Inserts `events` (seqs from `firstSeq` on) with one statement (see ``MultiRowInsert``):
    /// their variable-length values are copied into `arena`, and bound from there.
    private func insertEvents(
        _ events: ArraySlice<Event>, firstSeq: Int64, time: Timestamp, into record: TopicRecord,
        arena: inout BindingArena, in connection: Connection
    ) throws {
        let insert = try connection.cached(.appendEvents, topicID: record.id, rows: events.count) {
            "INSERT INTO \(record.table) (seq, type, time, evict, encoding, size, payload, key, store, metadata) VALUES "
                + MultiRowInsert.placeholders(rows: events.count, columns: 10)
        }
        defer { insert.reset() }  // unbinds the arena's pointers
        arena.removeAll()
        // Where each row's values are in the arena: encoding, payload, key, metadata (nil: NULL).
        var ranges: [(Range<Int>?, Range<Int>?, Range<Int>?, Range<Int>)] = []
        ranges.reserveCapacity(events.count)
        // Fields are read in place (`events[index].…`): copying each Event costs retains.
        for index in events.indices {
            ranges.append((
                events[index].encoding.map { arena.append($0.utf8) },
                events[index].payload.map { arena.append($0) },
                events[index].key.map { key in key.withBytes { arena.append($0) } },
                arena.append { MetadataCoding.encode(events[index].metadata, into: &$0) }))
        }
        try arena.withBytes { bytes in
            for (row, index) in zip(0..., events.indices) {
                let (encoding, payload, key, metadata) = ranges[row]
                Self.bind(
                    seq: firstSeq + Int64(row), kind: events[index].kind, time: time, evict: events[index].evict,
                    encoding: encoding.map { bytes[$0] }, size: events[index].size, payload: payload.map { bytes[$0] },
                    key: key.map { bytes[$0] }, store: events[index].store?.id, metadata: bytes[metadata], to: insert,
                    row: row)
            }
            try insert.step()
        }
    }

    /// Binds the 10 columns of row `row` of `statement` (an event insert of one or more rows).
    /// Takes the event's fields rather than the `Event`, which callers would have to copy. The
    /// buffers are bound without copies: they must outlive the step. `nil` binds NULL; empty
    /// `metadata` is NULL too (no metadata).
    private static func bind(
        seq: Int64, kind: Event.Kind, time: Timestamp, evict: Bool, encoding: UnsafeRawBufferPointer?, size: Int,
        payload: UnsafeRawBufferPointer?, key: UnsafeRawBufferPointer?, store: Int64?, metadata: UnsafeRawBufferPointer,
        to statement: Statement, row: Int
    ) {
        let column = Int32(row * 10)
        statement.bind(seq, at: column + 1)
        statement.bind(kind.rawValue, at: column + 2)
        statement.bind(time.microsecondsSinceEpoch, at: column + 3)
        statement.bind(evict, at: column + 4)
        if let encoding { statement.bindNoCopy(text: encoding, at: column + 5) } else { statement.bindNull(at: column + 5) }
        statement.bind(size, at: column + 6)
        if let payload { statement.bindNoCopy(blob: payload, at: column + 7) } else { statement.bindNull(at: column + 7) }
        if let key { statement.bindNoCopy(blob: key, at: column + 8) } else { statement.bindNull(at: column + 8) }
        statement.bind(store, at: column + 9)
        if metadata.isEmpty { statement.bindNull(at: column + 10) } else { statement.bindNoCopy(text: metadata, at: column + 10) }
    }

    /// Appends the end-of-stream event to `topic` unless it already has one; creates the topic if
    /// needed. Idempotent: closing a closed topic appends nothing.
    ///
    /// - Returns: the seq of the end-of-stream event this call appended, `nil` if already closed.
    /// - Throws: `.invalidArgument` naming the group when `topic` is the dead-letter topic of an
    ///   existing group (``deadLetterTopic(group:topic:)``), which must stay open for its letters.
    @discardableResult
    public func closeTopic(_ topic: String) throws -> Int64? {
        try TopicName.validate(topic)
        return try write { connection in
            let record = try topicRecord(topic, create: true, in: connection)!
            guard try !topicIsClosed(record, in: connection) else { return nil }
            return try appendRows([.endOfStream(topic: topic)], to: record, in: connection).lowerBound
        }
    }
}

/// Calls `body` with the UTF-8 bytes of `text`, or with `nil`.
func withOptionalText<T>(_ text: String?, _ body: (UnsafeRawBufferPointer?) throws -> T) rethrows -> T {
    guard var text else { return try body(nil) }
    return try text.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
}

/// Calls `body` with the bytes of `data`, or with `nil`.
func withOptionalBytes<T>(_ data: Data?, _ body: (UnsafeRawBufferPointer?) throws -> T) rethrows -> T {
    guard let data else { return try body(nil) }
    return try data.withUnsafeBytes { try body($0) }
}

/// Calls `body` with the 16 bytes of `key`, or with `nil`.
func withOptionalKey<T>(_ key: ObjectKey?, _ body: (UnsafeRawBufferPointer?) throws -> T) rethrows -> T {
    guard let key else { return try body(nil) }
    return try key.withBytes { try body($0) }
}
