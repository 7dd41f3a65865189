extension LogDatabase {
    /// Sets what happens to events of `topic` every registered consumer and group has passed.
    ///
    /// - Throws: `.topicNotFound`.
    public func setConsumerRetention(_ policy: ConsumerRetention, topic: String) throws {
        try write { connection in
            let record = try existingTopic(topic, in: connection)
            try connection.cached(
                "INSERT INTO consumer_retention (topic_id, policy) VALUES (?1, ?2) "
                    + "ON CONFLICT (topic_id) DO UPDATE SET policy = ?2"
            ).run {
                $0.bind(record.id, at: 1)
                $0.bind(Int64(policy.rawValue), at: 2)
            }
            try applyConsumerRetention(record, in: connection)
        }
    }

    /// The consumer-driven retention policy of `topic` (`.keep` unless set).
    public func consumerRetention(topic: String) throws -> ConsumerRetention {
        try withConnection { connection in
            let record = try existingTopic(topic, in: connection)
            let raw = try connection.cached("SELECT policy FROM consumer_retention WHERE topic_id = ?1").queryOne({
                $0.bind(record.id, at: 1)
            }) { $0.int(0) }
            return raw.flatMap(ConsumerRetention.init(rawValue:)) ?? .keep
        }
    }

    /// The highest seq every registered consumer and group of `topic` has passed (the lowest of
    /// their positions), or `nil` when the topic has no registered consumer and no group.
    public func consumedThrough(topic: String) throws -> Int64? {
        try read { connection in try consumedThrough(try existingTopic(topic, in: connection), in: connection) }
    }

    /// Evicts from this file's object store the objects of the events of `topic` that every
    /// registered consumer and group has passed, recording them as evicted (a later resolve or
    /// replay reports `.objectEvicted`). Events stay. Returns how many objects were deleted.
    ///
    /// Nothing is evicted while the topic has no registered consumer and no group.
    @discardableResult
    public func evictConsumedObjects(topic: String) throws -> Int {
        try write { connection in
            let record = try existingTopic(topic, in: connection)
            guard let through = try consumedThrough(record, in: connection) else { return 0 }
            let watermark = try retentionRow(record, in: connection)?.handledThrough ?? 0
            return try evictObjects(record, after: min(watermark, through), through: through, in: connection)
        }
    }

    /// Deletes the object events of `topic` every registered consumer and group has passed, and
    /// the objects only they referenced (``trim(topic:before:)`` at the consumed position).
    /// The end-of-stream event stays; seqs are never reused.
    ///
    /// Nothing is deleted while the topic has no registered consumer and no group.
    @discardableResult
    public func trimConsumed(topic: String) throws -> TrimResult {
        try write { connection in
            let record = try existingTopic(topic, in: connection)
            guard let through = try consumedThrough(record, in: connection) else { return TrimResult(events: 0, objects: 0) }
            return try trimRows(record, before: through + 1, in: connection)
        }
    }

    // MARK: Internals (inside the caller's lock)

    /// The lowest position of the topic's cursors and groups, `nil` when it has neither.
    func consumedThrough(_ record: TopicRecord, in connection: Connection) throws -> Int64? {
        try connection.cached(
            "SELECT (SELECT min(position) FROM cursors WHERE topic_id = ?1), "
                + "(SELECT min(coalesce((SELECT min(l.seq) FROM leases l WHERE l.group_id = g.id), g.frontier + 1) - 1) "
                + "FROM consumer_groups g WHERE g.topic_id = ?1)"
        ).queryOne({ $0.bind(record.id, at: 1) }) { row -> Int64? in
            switch (row.optionalInt64(0), row.optionalInt64(1)) {
            case let (cursors?, groups?): return min(cursors, groups)
            case let (cursors?, nil): return cursors
            case let (nil, groups?): return groups
            case (nil, nil): return nil
            }
        } ?? nil
    }

    /// The topic's policy and how far it has been applied, or `nil` when never set.
    func retentionRow(_ record: TopicRecord, in connection: Connection) throws -> (policy: ConsumerRetention, handledThrough: Int64)? {
        try connection.cached("SELECT policy, applied_through FROM consumer_retention WHERE topic_id = ?1").queryOne({
            $0.bind(record.id, at: 1)
        }) { (ConsumerRetention(rawValue: $0.int(0)) ?? .keep, $0.int64(1)) }
    }

    /// Applies the topic's policy to what is newly consumed. Called after every change of a
    /// position; one indexed lookup when the topic keeps everything.
    func applyConsumerRetention(_ record: TopicRecord, in connection: Connection) throws {
        guard let row = try retentionRow(record, in: connection), row.policy != .keep,
            let through = try consumedThrough(record, in: connection), through > row.handledThrough
        else { return }
        switch row.policy {
        case .keep:
            return
        case .evictObjects:
            _ = try evictObjects(record, after: row.handledThrough, through: through, in: connection)
        case .deleteEvents:
            _ = try trimRows(record, before: through + 1, in: connection)
            try setHandledThrough(record, through, in: connection)
        }
    }

    /// Evicts the objects (in this file's store) of the object events with seq in
    /// `after + 1 ... through` and records `through` as handled.
    func evictObjects(_ record: TopicRecord, after: Int64, through: Int64, in connection: Connection) throws -> Int {
        var keys: [ObjectKey] = []
        try connection.cached(
            "SELECT key FROM \(record.table) WHERE seq > ?1 AND seq <= ?2 AND type = 0 AND key IS NOT NULL AND store IS NULL"
        ).queryEach({
            $0.bind(after, at: 1)
            $0.bind(through, at: 2)
        }) { row in
            if let key = row.withBytes(0, { $0.flatMap(ObjectKey.init(bytes:)) }) { keys.append(key) }
        }
        var evicted = 0
        for key in keys where try ObjectStore.evict(key, in: connection) { evicted += 1 }
        try setHandledThrough(record, through, in: connection)
        return evicted
    }

    func setHandledThrough(_ record: TopicRecord, _ seq: Int64, in connection: Connection) throws {
        try connection.cached(
            "INSERT INTO consumer_retention (topic_id, applied_through) VALUES (?1, ?2) "
                + "ON CONFLICT (topic_id) DO UPDATE SET applied_through = max(applied_through, ?2)"
        ).run {
            $0.bind(record.id, at: 1)
            $0.bind(seq, at: 2)
        }
    }
}
