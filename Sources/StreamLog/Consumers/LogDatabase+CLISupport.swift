extension LogDatabase {
    /// Acknowledges `consumer`'s events of `topic` through `seq` and evicts `keys` from this
    /// file's object store, in one transaction: an object resolved for an event is gone exactly
    /// when that event is acknowledged (`streamlog consume --objects`). Keys with no object are
    /// skipped.
    ///
    /// - Throws: as ``acknowledge(consumer:topic:through:)``; nothing changes then.
    @discardableResult
    public func acknowledge(consumer: String, topic: String, through seq: Int64, evicting keys: [ObjectKey]) throws -> Int64 {
        try TopicName.validate(consumer, kind: "consumer")
        return try write { connection in
            let position = try advanceCursor(consumer, try existingTopic(topic, in: connection), through: seq, in: connection)
            for key in keys { _ = try ObjectStore.evict(key, in: connection) }
            return position
        }
    }

    /// Completes group deliveries and evicts `keys` from this file's object store, in one
    /// transaction, all or nothing (`streamlog consume --group --objects`).
    ///
    /// - Throws: `.staleReceipt` as ``ack(_:)-([Receipt])``; nothing is acked or evicted then.
    public func ack(_ receipts: [Receipt], evicting keys: [ObjectKey]) throws {
        guard receipts.contains(where: { !$0.isEndOfStream }) || !keys.isEmpty else { return }
        try write { connection in
            try ackRows(receipts, in: connection)
            for key in keys { _ = try ObjectStore.evict(key, in: connection) }
        }
    }
}

extension LogDatabase {
    /// Gives deliveries back to their group as if they had never been claimed: visible again now,
    /// and their attempt not counted. For deliveries whose work never started (`streamlog consume
    /// --group` whose output closed before their lines were written); a delivery that was tried
    /// goes back with ``nack(_:delay:error:)``, which counts it. Stale receipts are skipped.
    public func giveBackUntried(_ receipts: [Receipt]) throws {
        let now = Timestamp.now().microsecondsSinceEpoch
        try write { connection in
            for receipt in receipts where !receipt.isEndOfStream {
                guard let (groupID, _) = try resolve(receipt, in: connection) else { continue }
                try connection.cached(
                    "UPDATE leases SET member = NULL, receipt = 0, visible_at = ?4, attempts = max(attempts - 1, 0) "
                        + "WHERE group_id = ?1 AND seq = ?2 AND receipt = ?3"
                ).run {
                    $0.bind(groupID, at: 1)
                    $0.bind(receipt.seq, at: 2)
                    $0.bind(receipt.token, at: 3)
                    $0.bind(now, at: 4)
                }
                if connection.changes > 0 { try lowerNextDue(groupID: groupID, to: now, in: connection) }
            }
        }
    }
}

extension LogDatabase.DeadLetter {
    /// The dead letter an event of a dead-letter topic describes (read with any reader, for
    /// example page by page with ``LogDatabase/forEachEvent(topic:after:through:pageSize:_:)``),
    /// or `nil` for an event that is not one.
    public init?(_ event: Event) {
        guard let letter = LogDatabase.deadLetter(event) else { return nil }
        self = letter
    }

    /// The dead letter `event` describes if it is one of `group` of `topic`: two (topic, group)
    /// pairs can share a dead-letter topic's name (`a` + `b.dlq.c` and `a.dlq.b` + `c`), and each
    /// letter records its own.
    public init?(_ event: Event, group: String, topic: String) {
        guard let letter = LogDatabase.deadLetter(event, group: group, topic: topic) else { return nil }
        self = letter
    }
}
