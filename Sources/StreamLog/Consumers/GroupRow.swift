/// A row of `consumer_groups`, read inside the transaction that uses it (the frontier changes on
/// every claim, so it is never memoised).
struct GroupRow {
    let id: Int64
    let name: String
    /// Highest seq ever claimed by a member.
    var frontier: Int64
    /// Deliveries before dead-lettering; `nil` for never.
    let maxDeliveries: Int?
    /// No lease of the group becomes due before this time (microseconds); `nil` when none will.
    /// A lower bound: acks and lease extensions leave it alone.
    var nextDue: Int64?
}

extension LogDatabase {
    /// The group `name` on `record`'s topic; with `create`, makes it with default options inside
    /// the caller's write transaction.
    func groupRow(_ name: String, record: TopicRecord, create: Bool, in connection: Connection) throws -> GroupRow? {
        let select = try connection.cached(
            "SELECT id, frontier, max_deliveries, next_due FROM consumer_groups WHERE name = ?1 AND topic_id = ?2")
        let read = {
            try select.queryOne({
                $0.bind(name, at: 1)
                $0.bind(record.id, at: 2)
            }) {
                GroupRow(
                    id: $0.int64(0), name: name, frontier: $0.int64(1), maxDeliveries: $0.optionalInt64(2).map(Int.init),
                    nextDue: $0.optionalInt64(3))
            }
        }
        if let row = try read() { return row }
        guard create else { return nil }
        try insertGroup(name, record: record, options: GroupOptions(), in: connection)
        return try read()
    }

    /// The group, or an `.invalidArgument` error naming it and the topic.
    func existingGroup(_ name: String, record: TopicRecord, in connection: Connection) throws -> GroupRow {
        guard let row = try groupRow(name, record: record, create: false, in: connection) else {
            throw StreamLogError(.invalidArgument, "group \(quoted(name)) does not exist on topic \(quoted(record.name))")
        }
        return row
    }

    /// Inserts the group, or updates its options when it exists.
    func insertGroup(_ name: String, record: TopicRecord, options: GroupOptions, in connection: Connection) throws {
        try Self.validateGroup(name, topic: record.name, options: options)
        let now = Timestamp.now().microsecondsSinceEpoch
        try connection.cached(
            "INSERT INTO consumer_groups (name, topic_id, max_deliveries, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4) "
                + "ON CONFLICT (name, topic_id) DO UPDATE SET max_deliveries = ?3, updated_at = ?4"
        ).run {
            $0.bind(name, at: 1)
            $0.bind(record.id, at: 2)
            $0.bind(options.maxDeliveries.map(Int64.init), at: 3)
            $0.bind(now, at: 4)
        }
    }

    /// Lowers the group's `next_due` hint to `time` when it is later (a lease row will be due then).
    func lowerNextDue(groupID: Int64, to time: Int64, in connection: Connection) throws {
        try connection.cached("UPDATE consumer_groups SET next_due = min(coalesce(next_due, ?2), ?2) WHERE id = ?1").run {
            $0.bind(groupID, at: 1)
            $0.bind(time, at: 2)
        }
    }

    /// Checks the group's name, its dead-letter topic's name and its options.
    static func validateGroup(_ name: String, topic: String, options: GroupOptions = GroupOptions()) throws {
        try TopicName.validate(name, kind: "group")
        try TopicName.validate(deadLetterTopic(group: name, topic: topic), kind: "dead-letter topic")
        if let maxDeliveries = options.maxDeliveries, maxDeliveries < 1 {
            throw StreamLogError(
                .invalidArgument, "group \(quoted(name)): maxDeliveries is \(maxDeliveries); it must be 1 or more")
        }
    }
}
