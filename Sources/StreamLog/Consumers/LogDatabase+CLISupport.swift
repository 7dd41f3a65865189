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

extension LogDatabase.DeadLetter {
    /// The dead letter an event of a dead-letter topic describes (read with any reader, for
    /// example page by page with ``LogDatabase/forEachEvent(topic:after:through:pageSize:_:)``),
    /// or `nil` for an event that is not one.
    public init?(_ event: Event) {
        guard let letter = LogDatabase.deadLetter(event) else { return nil }
        self = letter
    }
}
