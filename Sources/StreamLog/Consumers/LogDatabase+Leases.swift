extension LogDatabase {
    /// Completes one delivery: the event will not be delivered to the group again.
    ///
    /// - Throws: `.staleReceipt` when the receipt no longer holds the event (its lease expired and
    ///   the event was delivered again, it was nacked, acked already, or the group was reset);
    ///   nothing changes then.
    public func ack(_ receipt: Receipt) throws {
        try ack([receipt])
    }

    /// Completes several deliveries in one transaction, all or nothing.
    ///
    /// End-of-stream receipts are accepted and change nothing. When the topic's
    /// ``ConsumerRetention`` policy says so, objects or events that every consumer and group has
    /// now passed are evicted or trimmed in the same transaction.
    ///
    /// - Throws: `.staleReceipt` naming the stale seqs when any receipt is stale; then no receipt
    ///   of the batch is acked (ack the others one by one if wanted).
    public func ack(_ receipts: [Receipt]) throws {
        guard receipts.contains(where: { !$0.isEndOfStream }) else { return }
        try write { connection in try ackRows(receipts, in: connection) }
    }

    /// Gives a delivery back: the event becomes deliverable again after `delay` (to any member),
    /// with `error` recorded as its last error. An event that has had `maxDeliveries` deliveries
    /// moves to the dead-letter topic now instead.
    ///
    /// - Throws: `.staleReceipt` (nothing changes), `.invalidArgument` for an end-of-stream receipt.
    public func nack(_ receipt: Receipt, delay: Duration = .zero, error: String? = nil) throws {
        try nack(receipt, delay: delay, error: error, now: Timestamp.now())
    }

    /// ``nack(_:delay:error:)`` at a given wall-clock time.
    func nack(_ receipt: Receipt, delay: Duration, error: String?, now: Timestamp) throws {
        guard !receipt.isEndOfStream else {
            throw StreamLogError(.invalidArgument, "the end-of-stream delivery of topic \(quoted(receipt.topic)) cannot be nacked")
        }
        try write { connection in
            guard let (groupID, record) = try resolve(receipt, in: connection),
                let lease = try connection.cached(
                    "SELECT l.attempts, g.max_deliveries, g.frontier FROM leases l JOIN consumer_groups g ON g.id = l.group_id "
                        + "WHERE l.group_id = ?1 AND l.seq = ?2 AND l.receipt = ?3"
                ).queryOne({
                    $0.bind(groupID, at: 1)
                    $0.bind(receipt.seq, at: 2)
                    $0.bind(receipt.token, at: 3)
                }, { (attempts: $0.int(0), maxDeliveries: $0.optionalInt64(1).map(Int.init), frontier: $0.int64(2)) })
            else {
                throw staleReceiptError([receipt])
            }
            if let maxDeliveries = lease.maxDeliveries, lease.attempts >= maxDeliveries {
                let row = GroupRow(
                    id: groupID, name: receipt.group, frontier: lease.frontier, maxDeliveries: maxDeliveries, nextDue: nil)
                try moveToDeadLetters(
                    seq: receipt.seq, attempts: lease.attempts, error: error, group: row, record: record, in: connection)
                try applyConsumerRetention(record, in: connection)
                return
            }
            let visibleAt = LeaseClock.adding(delay, to: now).microsecondsSinceEpoch
            try connection.cached(
                "UPDATE leases SET member = NULL, receipt = 0, visible_at = ?3, last_error = ?4 WHERE group_id = ?1 AND seq = ?2"
            ).run {
                $0.bind(groupID, at: 1)
                $0.bind(receipt.seq, at: 2)
                $0.bind(visibleAt, at: 3)
                $0.bind(error, at: 4)
            }
            try lowerNextDue(groupID: groupID, to: visibleAt, in: connection)
        }
    }

    /// Extends the lease of a delivery (a heartbeat for long work): it now ends `duration` after
    /// its current end, or after now if it already ended and no other member claimed the event.
    ///
    /// - Returns: the new end of the lease.
    /// - Throws: `.staleReceipt` (nothing changes), `.invalidArgument` for an end-of-stream
    ///   receipt or a negative duration.
    @discardableResult
    public func extendLease(_ receipt: Receipt, by duration: Duration) throws -> Timestamp {
        try extendLease(receipt, by: duration, now: Timestamp.now())
    }

    /// ``extendLease(_:by:)`` at a given wall-clock time.
    func extendLease(_ receipt: Receipt, by duration: Duration, now: Timestamp) throws -> Timestamp {
        guard !receipt.isEndOfStream else {
            throw StreamLogError(.invalidArgument, "the end-of-stream delivery of topic \(quoted(receipt.topic)) has no lease")
        }
        guard duration >= .zero else {
            throw StreamLogError(.invalidArgument, "cannot extend a lease by a negative duration (\(duration))")
        }
        return try write { connection in
            guard let (groupID, _) = try resolve(receipt, in: connection),
                let end = try connection.cached(
                    "UPDATE leases SET visible_at = max(visible_at, ?4) + ?5 "
                        + "WHERE group_id = ?1 AND seq = ?2 AND receipt = ?3 RETURNING visible_at"
                ).queryOne({
                    $0.bind(groupID, at: 1)
                    $0.bind(receipt.seq, at: 2)
                    $0.bind(receipt.token, at: 3)
                    $0.bind(now.microsecondsSinceEpoch, at: 4)
                    $0.bind(LeaseClock.microseconds(duration), at: 5)
                }, { $0.int64(0) })
            else {
                throw staleReceiptError([receipt])
            }
            return Timestamp(microsecondsSinceEpoch: end)
        }
    }

    // MARK: Internals (inside the caller's write transaction)

    /// Deletes the leases the receipts hold, then applies consumer retention; throws
    /// `.staleReceipt` (leaving the rollback to the caller's transaction) if any is stale.
    func ackRows(_ receipts: [Receipt], in connection: Connection) throws {
        let delete = try connection.cached("DELETE FROM leases WHERE group_id = ?1 AND seq = ?2 AND receipt = ?3")
        var stale: [Receipt] = []
        var topics: [TopicRecord] = []
        for receipt in receipts where !receipt.isEndOfStream {
            guard let (groupID, record) = try resolve(receipt, in: connection) else {
                stale.append(receipt)
                continue
            }
            try delete.run {
                $0.bind(groupID, at: 1)
                $0.bind(receipt.seq, at: 2)
                $0.bind(receipt.token, at: 3)
            }
            if connection.changes == 0 {
                stale.append(receipt)
            } else if !topics.contains(record) {
                topics.append(record)
            }
        }
        guard stale.isEmpty else { throw staleReceiptError(stale) }
        for record in topics { try applyConsumerRetention(record, in: connection) }
    }

    /// The group id and topic a receipt names: the ids it carries, or looked up by name.
    func resolve(_ receipt: Receipt, in connection: Connection) throws -> (Int64, TopicRecord)? {
        if let groupID = receipt.groupID, let topicID = receipt.topicID {
            return (groupID, TopicRecord(id: topicID, name: receipt.topic))
        }
        guard let record = try topicRecord(receipt.topic, create: false, in: connection),
            let row = try groupRow(receipt.group, record: record, create: false, in: connection)
        else { return nil }
        return (row.id, record)
    }

    func staleReceiptError(_ receipts: [Receipt]) -> StreamLogError {
        let first = receipts[0]
        let seqs = receipts.prefix(10).map { String($0.seq) }.joined(separator: ", ") + (receipts.count > 10 ? ", …" : "")
        return StreamLogError(
            .staleReceipt,
            "\(receipts.count == 1 ? "receipt" : "\(receipts.count) receipts") for seq \(seqs) of topic "
                + "\(quoted(first.topic)) in group \(quoted(first.group)) no longer hold\(receipts.count == 1 ? "s" : "") "
                + "the lease (it expired and the event was delivered again, or it was already acked or nacked)")
    }
}
