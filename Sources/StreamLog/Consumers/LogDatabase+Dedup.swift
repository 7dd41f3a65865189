extension LogDatabase {
    /// How long a dedup key is remembered unless the append says otherwise: 2 minutes (as NATS
    /// JetStream's duplicate window), long enough for a producer's retries.
    public static let defaultDedupWindow: Duration = .seconds(120)

    /// Appends `events` to `topic` as one batch like ``append(_:objects:to:)``, dropping every
    /// event whose dedup key was already appended to the topic within `window` (or earlier in this
    /// batch): an idempotent producer retries a batch with the same keys and nothing is
    /// duplicated.
    ///
    /// `dedupKeys[i]` is the key of `events[i]` (`nil`: no dedup for that event). A key is
    /// remembered for `window` after the append that carried it, in the `dedup_keys` table;
    /// expired keys of the topic are deleted by later dedup appends. Objects in `objects` that
    /// only dropped events refer to are not stored.
    ///
    /// ```swift
    /// let result = try db.append([.inline(body)], dedupKeys: ["order-8812"], to: "orders")
    /// if !result.duplicates.isEmpty { log("order-8812 was already sent as \(result.duplicates[0].seq)") }
    /// ```
    /// - Throws: as ``append(_:objects:to:)``; `.invalidArgument` when the key count differs from
    ///   the event count or a key is empty. A batch made only of duplicates is reported, not
    ///   refused, even on a closed topic.
    @discardableResult
    public func append(
        _ events: [Event], dedupKeys: [String?], objects: [PendingObject] = [], to topic: String,
        window: Duration = LogDatabase.defaultDedupWindow
    ) throws -> DedupAppendResult {
        try TopicName.validate(topic)
        if let index = events.firstIndex(where: \.isEndOfStream), index != events.count - 1 {
            throw StreamLogError(
                .invalidArgument, "end-of-stream must be the last event of a batch (topic \(quoted(topic)))")
        }
        return try write { connection in
            try appendDeduplicated(
                events, dedupKeys: dedupKeys, objects: objects, to: topic, window: window, now: Timestamp.now(),
                in: connection)
        }
    }

    /// The dedup append inside the caller's write transaction.
    func appendDeduplicated(
        _ events: [Event], dedupKeys: [String?], objects: [PendingObject], to topic: String, window: Duration,
        now: Timestamp, in connection: Connection
    ) throws -> DedupAppendResult {
        guard dedupKeys.count == events.count else {
            throw StreamLogError(
                .invalidArgument, "\(dedupKeys.count) dedup keys for \(events.count) events (topic \(quoted(topic)))")
        }
        if dedupKeys.contains("") {
            throw StreamLogError(.invalidArgument, "a dedup key is empty (topic \(quoted(topic)))")
        }
        let record = try topicRecord(topic, create: true, in: connection)!
        try connection.cached("DELETE FROM dedup_keys WHERE topic_id = ?1 AND expires_at <= ?2").run {
            $0.bind(record.id, at: 1)
            $0.bind(now.microsecondsSinceEpoch, at: 2)
        }
        let lookup = try connection.cached("SELECT seq FROM dedup_keys WHERE topic_id = ?1 AND key = ?2")
        var kept: [Event] = []
        var keptKeys: [String?] = []
        var earlier: [(index: Int, key: String, seq: Int64)] = []  // keys appended by an earlier batch
        var repeated: [(index: Int, key: String, offset: Int)] = []  // keys first seen in this batch
        var offsetOfKey: [BytewiseString: Int] = [:]  // as the `dedup_keys` lookup compares keys
        kept.reserveCapacity(events.count)
        for (index, (event, key)) in zip(events, dedupKeys).enumerated() {
            if let key {
                if let seq = try lookup.queryOne({
                    $0.bind(record.id, at: 1)
                    $0.bind(key, at: 2)
                }, { $0.int64(0) }) {
                    earlier.append((index, key, seq))
                    continue
                }
                if let offset = offsetOfKey[BytewiseString(key)] {
                    repeated.append((index, key, offset))
                    continue
                }
                offsetOfKey[BytewiseString(key)] = kept.count
            }
            kept.append(event)
            keptKeys.append(key)
        }
        let dropped = Set((earlier.map(\.index) + repeated.map(\.index)).compactMap { events[$0].key })
        let needed = Set(kept.compactMap(\.key))
        for object in objects where !dropped.contains(object.key) || needed.contains(object.key) {
            try ObjectStore.insert(object, in: connection)
        }
        let appended = kept.isEmpty ? nil : try appendRows(kept, to: record, in: connection)
        if let appended {
            let remember = try connection.cached(
                "INSERT INTO dedup_keys (topic_id, key, seq, expires_at) VALUES (?1, ?2, ?3, ?4) "
                    + "ON CONFLICT (topic_id, key) DO UPDATE SET seq = ?3, expires_at = ?4")
            let expiry = LeaseClock.adding(window, to: now).microsecondsSinceEpoch
            for (offset, key) in keptKeys.enumerated() {
                guard let key else { continue }
                try remember.run {
                    $0.bind(record.id, at: 1)
                    $0.bind(key, at: 2)
                    $0.bind(appended.lowerBound + Int64(offset), at: 3)
                    $0.bind(expiry, at: 4)
                }
            }
        }
        let duplicates =
            (earlier.map { DedupAppendResult.Duplicate(index: $0.index, key: $0.key, seq: $0.seq) }
            + repeated.map {
                DedupAppendResult.Duplicate(index: $0.index, key: $0.key, seq: (appended?.lowerBound ?? 0) + Int64($0.offset))
            }).sorted { $0.index < $1.index }  // a repeat implies an append, so `appended` is set
        return DedupAppendResult(appended: appended, duplicates: duplicates)
    }
}
