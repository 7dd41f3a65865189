extension LogDatabase {
    /// The position of a named durable consumer on `topic`: the seq of its last acknowledged event
    /// (0 before any), or `nil` when the consumer is not registered on the topic.
    ///
    /// - Throws: `.topicNotFound`, `.invalidArgument` for an unacceptable consumer name.
    public func cursorPosition(consumer: String, topic: String) throws -> Int64? {
        try TopicName.validate(consumer, kind: "consumer")
        return try withConnection { connection in
            try cursorRow(consumer, try existingTopic(topic, in: connection), in: connection)
        }
    }

    /// Registers a named durable consumer on `topic` at the start (its first read gets the first
    /// retained event) and returns its position. Registering again changes nothing.
    ///
    /// Registered consumers hold back consumer-driven eviction and retention
    /// (``ConsumerRetention``) until they have passed an event: remove consumers that are gone
    /// with ``removeConsumer(_:topic:)``.
    ///
    /// - Throws: `.topicNotFound`, `.invalidArgument`.
    @discardableResult
    public func registerConsumer(_ consumer: String, topic: String) throws -> Int64 {
        try TopicName.validate(consumer, kind: "consumer")
        return try write { connection in
            try ensureCursor(consumer, try existingTopic(topic, in: connection), in: connection)
        }
    }

    /// Forgets a named consumer's cursor on `topic`. Returns whether it existed.
    @discardableResult
    public func removeConsumer(_ consumer: String, topic: String) throws -> Bool {
        try TopicName.validate(consumer, kind: "consumer")
        return try write { connection in
            let record = try existingTopic(topic, in: connection)
            try connection.cached("DELETE FROM cursors WHERE consumer = ?1 AND topic_id = ?2").run {
                $0.bind(consumer, at: 1)
                $0.bind(record.id, at: 2)
            }
            let removed = connection.changes > 0
            if removed { try applyConsumerRetention(record, in: connection) }
            return removed
        }
    }

    /// Acknowledges every event of `topic` up to and including `seq` for `consumer`, registering
    /// the consumer if needed, and returns its position.
    ///
    /// The position never moves backwards: acknowledging an older seq changes nothing (use
    /// ``seek(consumer:topic:to:)`` to go back). When the topic's ``ConsumerRetention`` policy
    /// says so, objects or events every consumer has now passed are evicted or trimmed in the
    /// same transaction.
    ///
    /// - Throws: `.topicNotFound`; `.invalidArgument` when `seq` is negative or beyond the
    ///   topic's last seq.
    @discardableResult
    public func acknowledge(consumer: String, topic: String, through seq: Int64) throws -> Int64 {
        try TopicName.validate(consumer, kind: "consumer")
        return try write { connection in
            try advanceCursor(consumer, try existingTopic(topic, in: connection), through: seq, in: connection)
        }
    }

    /// Moves `consumer`'s cursor on `topic` to `target` (backwards or forwards), registering the
    /// consumer if needed, and returns its new position.
    ///
    /// ```swift
    /// try db.seek(consumer: "indexer", topic: "orders", to: .time(yesterday))
    /// ```
    /// - Throws: `.topicNotFound`; `.invalidArgument` for a seq below 1 or beyond the next seq.
    @discardableResult
    public func seek(consumer: String, topic: String, to target: SeekTarget) throws -> Int64 {
        try TopicName.validate(consumer, kind: "consumer")
        let resolved = try resolveTime(target, topic: topic)
        return try write { connection in
            let record = try existingTopic(topic, in: connection)
            let position = try seekPosition(resolved, record: record, in: connection)
            try connection.cached(
                "INSERT INTO cursors (consumer, topic_id, position, updated_at) VALUES (?1, ?2, ?3, ?4) "
                    + "ON CONFLICT (consumer, topic_id) DO UPDATE SET position = ?3, updated_at = ?4"
            ).run {
                $0.bind(consumer, at: 1)
                $0.bind(record.id, at: 2)
                $0.bind(position, at: 3)
                $0.bind(Timestamp.now().microsecondsSinceEpoch, at: 4)
            }
            try applyConsumerRetention(record, in: connection)
            return position
        }
    }

    /// The next events of `topic` for the named durable consumer: up to `limit` events after its
    /// position, in seq order. Registers the consumer (at the start) on first use.
    ///
    /// Reading does not move the cursor: delivery is at-least-once and the application
    /// acknowledges explicitly with ``acknowledge(consumer:topic:through:)``. Passing
    /// `acknowledging` acknowledges through that seq first, in the same transaction, which is
    /// the "implicit ack by asking for the next batch" style:
    /// ```swift
    /// var batch = try db.read(topic: "orders", consumer: "mailer")
    /// while !batch.isEmpty {
    ///     for event in batch { try handle(event) }
    ///     batch = try db.read(topic: "orders", consumer: "mailer", acknowledging: batch.last!.seq)
    /// }
    /// ```
    /// - Throws: `.topicNotFound` (nothing is created), `.invalidArgument`.
    public func read(topic: String, consumer: String, limit: Int = 1000, acknowledging seq: Int64? = nil) throws -> [Event] {
        try TopicName.validate(consumer, kind: "consumer")
        guard limit >= 0 else {
            throw StreamLogError(.invalidArgument, "cannot read \(limit) events: the limit must be 0 or more")
        }
        // Only the first read of a consumer, and an acknowledging read, write.
        if seq == nil, let position = try cursorPosition(consumer: consumer, topic: topic) {
            return try read(topic: topic, after: position, limit: limit)
        }
        var events: [Event] = []
        events.reserveCapacity(min(limit, 4096))
        try write { connection in
            let record = try existingTopic(topic, in: connection)
            let position = try seq.map { try advanceCursor(consumer, record, through: $0, in: connection) }
                ?? ensureCursor(consumer, record, in: connection)
            try scan(record, after: position, limit: limit, in: connection) { events.append($0) }
        }
        return events
    }

    // MARK: Internals (inside the caller's lock)

    /// The stored position, or `nil` when the consumer has no cursor on the topic.
    func cursorRow(_ consumer: String, _ record: TopicRecord, in connection: Connection) throws -> Int64? {
        try connection.cached("SELECT position FROM cursors WHERE consumer = ?1 AND topic_id = ?2").queryOne({
            $0.bind(consumer, at: 1)
            $0.bind(record.id, at: 2)
        }) { $0.int64(0) }
    }

    /// The position, creating the cursor at 0 (the start) when missing. Inside a write transaction.
    func ensureCursor(_ consumer: String, _ record: TopicRecord, in connection: Connection) throws -> Int64 {
        if let position = try cursorRow(consumer, record, in: connection) { return position }
        try connection.cached("INSERT INTO cursors (consumer, topic_id, position, updated_at) VALUES (?1, ?2, 0, ?3)").run {
            $0.bind(consumer, at: 1)
            $0.bind(record.id, at: 2)
            $0.bind(Timestamp.now().microsecondsSinceEpoch, at: 3)
        }
        return 0
    }

    /// Moves the cursor forward to `seq` (never back) and applies the topic's consumer retention.
    func advanceCursor(_ consumer: String, _ record: TopicRecord, through seq: Int64, in connection: Connection) throws -> Int64 {
        let highest = try highestSeq(record, in: connection)
        guard seq >= 0, seq <= highest else {
            throw StreamLogError(
                .invalidArgument,
                "cannot acknowledge seq \(seq) of topic \(quoted(record.name)): its seqs run from 1 to \(highest)")
        }
        let position = try connection.cached(
            "INSERT INTO cursors (consumer, topic_id, position, updated_at) VALUES (?1, ?2, ?3, ?4) "
                + "ON CONFLICT (consumer, topic_id) DO UPDATE SET position = max(position, ?3), updated_at = ?4 "
                + "RETURNING position"
        ).queryOne({
            $0.bind(consumer, at: 1)
            $0.bind(record.id, at: 2)
            $0.bind(seq, at: 3)
            $0.bind(Timestamp.now().microsecondsSinceEpoch, at: 4)
        }) { $0.int64(0) } ?? seq
        try applyConsumerRetention(record, in: connection)
        return position
    }

    /// Turns `.time` into `.seq` (or `.end`) before the write transaction: the time search reads
    /// in its own snapshot, and event times never change.
    func resolveTime(_ target: SeekTarget, topic: String) throws -> SeekTarget {
        guard case .time(let time) = target else { return target }
        return try firstSeq(topic: topic, atOrAfter: time).map { .seq($0) } ?? .end
    }

    /// The position (seq of the last event to skip) that makes `target` the next delivery.
    func seekPosition(_ target: SeekTarget, record: TopicRecord, in connection: Connection) throws -> Int64 {
        let highest = try highestSeq(record, in: connection)
        switch target {
        case .start:
            let first = try connection.cached("SELECT min(seq) FROM \(record.table)").queryOne { $0.optionalInt64(0) } ?? nil
            return (first ?? highest + 1) - 1
        case .end:
            return highest
        case .seq(let seq):
            guard seq >= 1, seq <= highest + 1 else {
                throw StreamLogError(
                    .invalidArgument,
                    "cannot seek to seq \(seq) of topic \(quoted(record.name)): it must be between 1 and "
                        + "\(highest + 1) (the next seq)")
            }
            return seq - 1
        case .time:
            preconditionFailure("resolveTime(_:topic:) turns .time into .seq or .end first")
        }
    }
}
