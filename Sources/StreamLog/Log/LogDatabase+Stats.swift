extension LogDatabase {
    /// Counts and bounds of one topic.
    public struct TopicStats: Sendable, Hashable {
        /// The topic's name.
        public var name: String
        /// Retained object events (the end-of-stream event is not counted).
        public var events: Int
        /// Seq of the first retained object event; `nil` when there is none.
        public var firstSeq: Int64?
        /// Seq of the last retained object event; `nil` when there is none.
        public var lastSeq: Int64?
        /// Total payload size of the retained object events, inline and stored.
        public var bytes: Int64
        /// Whether the topic has its end-of-stream event.
        public var closed: Bool
        /// The highest seq ever given (retained or not); 0 for an empty topic.
        public var highestSeq: Int64
    }

    /// Statistics of `topic`. Counting is a scan of the topic's rows.
    public func stats(topic: String) throws -> TopicStats {
        try read { connection in try stats(try existingTopic(topic, in: connection), in: connection) }
    }

    /// Statistics of every topic, in creation order.
    public func allTopicStats() throws -> [TopicStats] {
        try read { connection in
            var records: [TopicRecord] = []
            try connection.cached("SELECT id, name FROM topics ORDER BY id").queryEach {
                records.append(TopicRecord(id: $0.int64(0), name: $0.string(1) ?? ""))
            }
            return try records.map { try stats($0, in: connection) }
        }
    }

    private func stats(_ record: TopicRecord, in connection: Connection) throws -> TopicStats {
        let counts = try connection.cached(
            "SELECT count(*), min(seq), max(seq), total(size) FROM \(record.table) WHERE type = 0"
        ).queryOne { ($0.int(0), $0.optionalInt64(1), $0.optionalInt64(2), Int64($0.double(3))) }!
        return TopicStats(
            name: record.name, events: counts.0, firstSeq: counts.1, lastSeq: counts.2, bytes: counts.3,
            closed: try topicIsClosed(record, in: connection), highestSeq: try highestSeq(record, in: connection))
    }
}
