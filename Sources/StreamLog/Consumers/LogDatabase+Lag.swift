extension LogDatabase {
    /// How far the named durable consumer is behind `topic`, or `nil` when it is not registered.
    ///
    /// A few primary-key lookups, whatever the lag.
    public func lag(consumer: String, topic: String) throws -> Lag? {
        try TopicName.validate(consumer, kind: "consumer")
        return try read { connection in
            let record = try existingTopic(topic, in: connection)
            return try cursorRow(consumer, record, in: connection).map {
                try cursorLag(record, position: $0, now: Timestamp.now(), in: connection)
            }
        }
    }

    /// How far `group` is behind `topic` (events neither acked nor dead-lettered, leased ones
    /// included), or `nil` when the group does not exist.
    public func lag(group: String, topic: String) throws -> Lag? {
        try TopicName.validate(group, kind: "group")
        return try read { connection in
            let record = try existingTopic(topic, in: connection)
            return try groupRow(group, record: record, create: false, in: connection).map {
                try groupInfo($0, record: record, now: Timestamp.now(), in: connection).lag
            }
        }
    }

    /// Every named durable consumer and group, with position, lag and in-flight count: of one
    /// topic, or of all topics when `topic` is `nil`. Ordered by topic (creation order), then
    /// consumers before groups, then name. One read snapshot.
    public func cursors(topic: String? = nil) throws -> [ConsumerInfo] {
        try read { connection in
            var records: [Int64: TopicRecord] = [:]
            let filter = try topic.map { try existingTopic($0, in: connection) }
            try connection.cached("SELECT id, name FROM topics WHERE ?1 IS NULL OR id = ?1").queryEach({
                $0.bind(filter?.id, at: 1)
            }) { records[$0.int64(0)] = TopicRecord(id: $0.int64(0), name: $0.string(1) ?? "") }
            let now = Timestamp.now()
            var consumers: [(TopicRecord, String, Int64)] = []
            try connection.cached(
                "SELECT topic_id, consumer, position FROM cursors WHERE ?1 IS NULL OR topic_id = ?1 ORDER BY topic_id, consumer"
            ).queryEach({ $0.bind(filter?.id, at: 1) }) { row in
                guard let record = records[row.int64(0)] else { return }
                consumers.append((record, row.string(1) ?? "", row.int64(2)))
            }
            var groups: [(TopicRecord, GroupRow)] = []
            try connection.cached(
                "SELECT topic_id, id, name, frontier, max_deliveries FROM consumer_groups "
                    + "WHERE ?1 IS NULL OR topic_id = ?1 ORDER BY topic_id, name"
            ).queryEach({ $0.bind(filter?.id, at: 1) }) { row in
                guard let record = records[row.int64(0)] else { return }
                groups.append((record, GroupRow(
                    id: row.int64(1), name: row.string(2) ?? "", frontier: row.int64(3),
                    maxDeliveries: row.optionalInt64(4).map(Int.init), nextDue: nil)))
            }
            var infos: [(topicID: Int64, info: ConsumerInfo)] = []
            for (record, name, position) in consumers {
                let lag = try cursorLag(record, position: position, now: now, in: connection)
                infos.append((record.id, ConsumerInfo(
                    name: name, topic: record.name, isGroup: false, position: position, lag: lag, inFlight: 0)))
            }
            for (record, row) in groups {
                infos.append((record.id, try groupInfo(row, record: record, now: now, in: connection)))
            }
            // Both lists came sorted by (topic, name); a stable sort by topic keeps consumers first.
            return infos.enumerated().sorted { ($0.element.topicID, $0.offset) < ($1.element.topicID, $1.offset) }
                .map(\.element.info)
        }
    }

    // MARK: Internals (inside the caller's lock)

    /// Object events after `position` and the time of the first of them.
    func cursorLag(_ record: TopicRecord, position: Int64, now: Timestamp, in connection: Connection) throws -> Lag {
        let count = try objectEvents(record, after: position, in: connection)
        return try lag(record, count: count, oldestFrom: position + 1, now: now, in: connection)
    }

    /// The number of retained object events with seq greater than `position`.
    ///
    /// Retained seqs are contiguous (appends take consecutive seqs, a failed batch takes none,
    /// retention only removes a prefix, redrive empties a prefix of a dead-letter topic), so they
    /// are counted from the bounds of the primary key in O(log n) rather than by walking them.
    /// The only event that is not an object is the end-of-stream, always the last seq.
    func objectEvents(_ record: TopicRecord, after position: Int64, in connection: Connection) throws -> Int {
        let bounds = try connection.cached(
            "SELECT (SELECT min(seq) FROM \(record.table)), (SELECT max(seq) FROM \(record.table)), "
                + "(SELECT type FROM \(record.table) ORDER BY seq DESC LIMIT 1)"
        ).queryOne { ($0.optionalInt64(0), $0.optionalInt64(1), $0.optionalInt64(2)) }
        guard case let (first?, last?, lastType)? = bounds, last > position else { return 0 }
        return Int(last - max(position, first - 1)) - (lastType == Event.Kind.endOfStream.rawValue ? 1 : 0)
    }

    /// Position, lag and in-flight count of a group: unacked events are its lease rows plus the
    /// object events after its frontier.
    func groupInfo(_ row: GroupRow, record: TopicRecord, now: Timestamp, in connection: Connection) throws -> ConsumerInfo {
        let leases = try connection.cached(
            "SELECT count(*), min(seq), count(CASE WHEN member IS NOT NULL AND visible_at > ?2 THEN 1 END) "
                + "FROM leases WHERE group_id = ?1"
        ).queryOne({
            $0.bind(row.id, at: 1)
            $0.bind(now.microsecondsSinceEpoch, at: 2)
        }) { (count: $0.int(0), lowest: $0.optionalInt64(1), inFlight: $0.int(2)) }
        let fresh = try objectEvents(record, after: row.frontier, in: connection)
        let lowest = leases?.lowest ?? row.frontier + 1
        let lag = try lag(record, count: (leases?.count ?? 0) + fresh, oldestFrom: lowest, now: now, in: connection)
        return ConsumerInfo(
            name: row.name, topic: record.name, isGroup: true, position: lowest - 1, lag: lag,
            inFlight: leases?.inFlight ?? 0)
    }

    /// A ``Lag`` of `count` events, the oldest being the first object event at or after `seq`.
    private func lag(_ record: TopicRecord, count: Int, oldestFrom seq: Int64, now: Timestamp, in connection: Connection) throws -> Lag {
        guard count > 0 else { return Lag(events: 0, oldestUnconsumed: nil, age: nil) }
        let time = try connection.cached(
            "SELECT time FROM \(record.table) WHERE seq >= ?1 AND type = 0 ORDER BY seq LIMIT 1"
        ).queryOne({ $0.bind(seq, at: 1) }) { Timestamp(microsecondsSinceEpoch: $0.int64(0)) }
        return Lag(events: count, oldestUnconsumed: time, age: time.map { LeaseClock.elapsed(from: $0, to: now) })
    }
}
