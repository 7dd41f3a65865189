extension LogDatabase {
    /// Creates the competing-consumer group `group` on `topic`, or updates its options.
    ///
    /// A new group starts at the first retained event. Creating the group is optional:
    /// ``claim(group:topic:member:limit:lease:)`` creates a missing one with default options.
    ///
    /// - Throws: `.topicNotFound`; `.invalidArgument` for a bad name or options, or when the
    ///   dead-letter topic's name would exceed ``TopicName/maxBytes``.
    public func createGroup(_ group: String, topic: String, options: GroupOptions = GroupOptions()) throws {
        try Self.validateGroup(group, topic: topic, options: options)
        try write { connection in
            try insertGroup(group, record: try existingTopic(topic, in: connection), options: options, in: connection)
        }
    }

    /// Deletes the group and its leases (outstanding receipts become stale). Its dead-letter
    /// topic is kept. Returns whether the group existed.
    @discardableResult
    public func removeGroup(_ group: String, topic: String) throws -> Bool {
        try TopicName.validate(group, kind: "group")
        return try write { connection in
            let record = try existingTopic(topic, in: connection)
            try connection.cached("DELETE FROM consumer_groups WHERE name = ?1 AND topic_id = ?2").run {
                $0.bind(group, at: 1)
                $0.bind(record.id, at: 2)
            }
            let removed = connection.changes > 0
            if removed { try applyConsumerRetention(record, in: connection) }
            return removed
        }
    }

    /// The group's position on `topic` — every event up to it is acked or dead-lettered (the
    /// lowest unacked seq minus 1) — or `nil` when the group does not exist.
    public func groupPosition(group: String, topic: String) throws -> Int64? {
        try TopicName.validate(group, kind: "group")
        return try read { connection in
            let record = try existingTopic(topic, in: connection)
            return try groupRow(group, record: record, create: false, in: connection).map {
                try groupPosition($0, in: connection)
            }
        }
    }

    /// Leases up to `limit` events of `topic` to `member` of `group` for `lease`, creating the
    /// group if needed.
    ///
    /// Events whose lease expired or that were nacked (and whose delay passed) come first, in seq
    /// order; then events never delivered to the group. Each delivery has a new receipt; the
    /// member completes it with ``ack(_:)-(Receipt)`` before the lease ends, or extends the lease
    /// with ``extendLease(_:by:)``. An event already delivered `maxDeliveries` times is moved to
    /// the dead-letter topic instead (``GroupOptions/maxDeliveries``).
    ///
    /// `acking` acks receipts of earlier deliveries first, in the same transaction (as
    /// ``ack(_:)-([Receipt])``, all or nothing): a worker that handles one event at a time
    /// then needs one transaction per event instead of two.
    ///
    /// End of stream: once a member reaches the topic's end-of-stream event with no earlier event
    /// left to claim, the result ends with an end-of-stream delivery (not leased, not counted in
    /// `limit`, given to every member that gets there): the member should stop. Leases other
    /// members still hold are not waited for; if one expires it goes to any member still running.
    ///
    /// One `BEGIN IMMEDIATE` transaction: members in any thread or process never get the same
    /// event at the same time.
    ///
    /// ```swift
    /// var done: [LogDatabase.Receipt] = []
    /// while true {
    ///     let batch = try db.claim(group: "resize", topic: "images", member: "w1", limit: 100, acking: done)
    ///     done = []
    ///     if batch.isEmpty { wait(); continue }
    ///     for delivery in batch where !delivery.isEndOfStream {
    ///         try resize(delivery.event)
    ///         done.append(delivery.receipt)
    ///     }
    ///     if batch.last?.isEndOfStream == true { try db.ack(done); break }
    /// }
    /// ```
    /// - Returns: the deliveries, empty when nothing is due.
    /// - Throws: `.topicNotFound`; `.invalidArgument` for bad names, a limit below 1 or a lease
    ///   that is not positive; `.staleReceipt` when a receipt in `acking` is stale (then nothing
    ///   is acked and nothing claimed).
    public func claim(
        group: String, topic: String, member: String, limit: Int = 1, lease: Duration = .seconds(30),
        acking receipts: [Receipt] = []
    ) throws -> [Delivery] {
        try claim(
            group: group, topic: topic, member: member, limit: limit, lease: lease, acking: receipts,
            now: Timestamp.now())
    }

    /// ``claim(group:topic:member:limit:lease:acking:)`` at a given wall-clock time.
    func claim(
        group: String, topic: String, member: String, limit: Int, lease: Duration, acking receipts: [Receipt] = [],
        now: Timestamp
    ) throws -> [Delivery] {
        try Self.validateGroup(group, topic: topic)
        try TopicName.validate(member, kind: "member")
        guard limit >= 1 else {
            throw StreamLogError(.invalidArgument, "cannot claim \(limit) events: the limit must be 1 or more")
        }
        guard lease > .zero else {
            throw StreamLogError(.invalidArgument, "a lease must be longer than zero (got \(lease))")
        }
        let expiry = LeaseClock.adding(lease, to: now)
        return try write { connection in
            if receipts.contains(where: { !$0.isEndOfStream }) { try ackRows(receipts, in: connection) }
            let record = try existingTopic(topic, in: connection)
            guard var row = try groupRow(group, record: record, create: true, in: connection) else {
                throw StreamLogError(.sqlite, "group \(quoted(group)) vanished while it was being created")
            }
            let before = (frontier: row.frontier, nextDue: row.nextDue)
            var deliveries: [Delivery] = []
            deliveries.reserveCapacity(min(limit, 1024))
            func deliver(_ event: Event, token: Int64, attempt: Int) {
                let receipt = Receipt(
                    group: group, topic: topic, seq: event.seq, token: token, groupID: row.id, topicID: record.id)
                deliveries.append(Delivery(event: event, receipt: receipt, attempt: attempt, leaseExpiry: expiry))
            }

            // 1. Events whose lease expired or whose nack delay passed, lowest seq first.
            var deadLettered = false
            if let due = row.nextDue, due <= now.microsecondsSinceEpoch {
                let nextDue = try claimDue(
                    row, record: record, member: member, limit: limit, now: now, expiry: expiry,
                    deadLettered: &deadLettered, in: connection, deliver: deliver)
                row.nextDue = nextDue
            }

            // 2. Events never delivered to the group, after its frontier.
            if deliveries.count < limit {
                let insert = try connection.cached(
                    "INSERT INTO leases (group_id, seq, member, receipt, visible_at, attempts) VALUES (?1, ?2, ?3, ?4, ?5, 1)")
                try scan(record, after: row.frontier, limit: limit - deliveries.count, in: connection) { event in
                    guard !event.isEndOfStream else {
                        // Never leased and the frontier stays before it, so every member gets it.
                        let receipt = Receipt(
                            group: group, topic: topic, seq: event.seq, token: 0, groupID: row.id, topicID: record.id)
                        deliveries.append(Delivery(event: event, receipt: receipt, attempt: 0, leaseExpiry: nil))
                        return
                    }
                    let token = LeaseClock.newToken()
                    try insert.run {
                        $0.bind(row.id, at: 1)
                        $0.bind(event.seq, at: 2)
                        $0.bind(member, at: 3)
                        $0.bind(token, at: 4)
                        $0.bind(expiry.microsecondsSinceEpoch, at: 5)
                    }
                    row.frontier = event.seq
                    row.nextDue = min(row.nextDue ?? .max, expiry.microsecondsSinceEpoch)
                    deliver(event, token: token, attempt: 1)
                }
            }
            if row.frontier != before.frontier || row.nextDue != before.nextDue {
                try connection.cached(
                    "UPDATE consumer_groups SET frontier = ?2, next_due = ?3, updated_at = ?4 WHERE id = ?1"
                ).run {
                    $0.bind(row.id, at: 1)
                    $0.bind(row.frontier, at: 2)
                    $0.bind(row.nextDue, at: 3)
                    $0.bind(now.microsecondsSinceEpoch, at: 4)
                }
            }
            if deadLettered { try applyConsumerRetention(record, in: connection) }
            return deliveries
        }
    }

    /// Moves the group's position on `topic` to `target`, creating the group if needed, and
    /// returns the new position. Every outstanding lease is dropped (its receipt becomes stale);
    /// events after the new position are delivered again as new.
    ///
    /// - Throws: `.topicNotFound`; `.invalidArgument` for a seq below 1 or beyond the next seq.
    @discardableResult
    public func seek(group: String, topic: String, to target: SeekTarget) throws -> Int64 {
        try Self.validateGroup(group, topic: topic)
        let resolved = try resolveTime(target, topic: topic)
        return try write { connection in
            let record = try existingTopic(topic, in: connection)
            guard let row = try groupRow(group, record: record, create: true, in: connection) else {
                throw StreamLogError(.sqlite, "group \(quoted(group)) vanished while it was being created")
            }
            let position = try seekPosition(resolved, record: record, in: connection)
            try connection.cached("DELETE FROM leases WHERE group_id = ?1").run { $0.bind(row.id, at: 1) }
            try connection.cached(
                "UPDATE consumer_groups SET frontier = ?2, next_due = NULL, updated_at = ?3 WHERE id = ?1"
            ).run {
                $0.bind(row.id, at: 1)
                $0.bind(position, at: 2)
                $0.bind(Timestamp.now().microsecondsSinceEpoch, at: 3)
            }
            try applyConsumerRetention(record, in: connection)
            return position
        }
    }

    // MARK: Internals (inside the caller's lock)

    /// Re-leases due lease rows (lowest seq first) until `limit` deliveries in all, dead-lettering
    /// spent ones and dropping those whose event retention deleted. Walks the group's rows in seq
    /// order and stops as soon as it has enough. Returns the group's new `next_due`.
    private func claimDue(
        _ row: GroupRow, record: TopicRecord, member: String, limit: Int, now: Timestamp, expiry: Timestamp,
        deadLettered: inout Bool, in connection: Connection, deliver: (Event, Int64, Int) -> Void
    ) throws -> Int64? {
        let walk = try connection.cached(
            "SELECT seq, attempts, last_error, visible_at FROM leases WHERE group_id = ?1 AND seq > ?2 ORDER BY seq")
        let relet = try connection.cached(
            "UPDATE leases SET member = ?3, receipt = ?4, visible_at = ?5, attempts = attempts + 1 "
                + "WHERE group_id = ?1 AND seq = ?2")
        var delivered = 0
        var after: Int64 = 0
        var laterDue: Int64?  // earliest visibility among rows not due now
        while true {
            // Collect first, change afterwards: rows are not modified while the walk is open.
            var due: [(seq: Int64, attempts: Int, error: String?)] = []
            var complete = true
            do {
                defer { walk.reset() }
                walk.bind(row.id, at: 1)
                walk.bind(after, at: 2)
                while try walk.step() {
                    let visibleAt = walk.int64(3)
                    if visibleAt > now.microsecondsSinceEpoch {
                        laterDue = min(laterDue ?? .max, visibleAt)
                    } else if due.count < limit - delivered {
                        due.append((walk.int64(0), walk.int(1), walk.string(2)))
                    } else {
                        complete = false
                        break
                    }
                }
            }
            for lease in due {
                after = lease.seq
                if let maxDeliveries = row.maxDeliveries, lease.attempts >= maxDeliveries {
                    let left = try moveToDeadLetters(
                        seq: lease.seq, attempts: lease.attempts, error: lease.error, group: row, record: record,
                        in: connection)
                    deadLettered = deadLettered || left
                    continue
                }
                guard let event = try event(record, seq: lease.seq, in: connection) else {
                    // Retention deleted the event while it waited: nothing is left to deliver.
                    try deleteLease(groupID: row.id, seq: lease.seq, in: connection)
                    continue
                }
                let token = LeaseClock.newToken()
                try relet.run {
                    $0.bind(row.id, at: 1)
                    $0.bind(lease.seq, at: 2)
                    $0.bind(member, at: 3)
                    $0.bind(token, at: 4)
                    $0.bind(expiry.microsecondsSinceEpoch, at: 5)
                }
                laterDue = min(laterDue ?? .max, expiry.microsecondsSinceEpoch)
                deliver(event, token, lease.attempts + 1)
                delivered += 1
            }
            // Rows the walk did not reach may be due: keep the hint at now.
            if !complete && delivered == limit { return now.microsecondsSinceEpoch }
            if complete { return laterDue }
        }
    }

    /// (Lowest seq with a lease row, else frontier + 1) - 1: everything up to it is done.
    func groupPosition(_ row: GroupRow, in connection: Connection) throws -> Int64 {
        let lowest = try connection.cached("SELECT min(seq) FROM leases WHERE group_id = ?1").queryOne({
            $0.bind(row.id, at: 1)
        }) { $0.optionalInt64(0) } ?? nil
        return (lowest ?? row.frontier + 1) - 1
    }

    func deleteLease(groupID: Int64, seq: Int64, in connection: Connection) throws {
        try connection.cached("DELETE FROM leases WHERE group_id = ?1 AND seq = ?2").run {
            $0.bind(groupID, at: 1)
            $0.bind(seq, at: 2)
        }
    }

    /// The retained event with this seq, or `nil`.
    func event(_ record: TopicRecord, seq: Int64, in connection: Connection) throws -> Event? {
        let select = try connection.cached(
            "SELECT seq, type, time, evict, encoding, size, payload, key, store, metadata FROM \(record.table) "
                + "WHERE seq = ?1")
        return try select.queryOne({ $0.bind(seq, at: 1) }) { row in
            try decodeEvent(row, topic: record.name, in: connection)
        }
    }
}
