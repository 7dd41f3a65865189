extension LogDatabase {
    /// Object events of `topic` after the slowest registered durable consumer or group, or `nil`
    /// when no consumer or group is registered on it (or the topic does not exist).
    ///
    /// Producers use it for backpressure (``StreamProducer/Options/maxPending``).
    public func unconsumedEvents(topic: String) throws -> Int? {
        try read { connection in
            guard let record = try topicRecord(topic, create: false, in: connection),
                  let slowest = try consumedThrough(record, in: connection)
            else { return nil }
            return try connection.cached("SELECT count(*) FROM \(record.table) WHERE seq > ?1 AND type = 0").queryOne({
                $0.bind(slowest, at: 1)
            }) { $0.int(0) } ?? 0
        }
    }
}
