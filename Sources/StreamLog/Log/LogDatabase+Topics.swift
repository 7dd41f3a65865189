extension LogDatabase {
    /// The topic named `name`, from the memo or the `topics` table; with `create`, makes it (row
    /// and event table) inside the caller's write transaction.
    func topicRecord(_ name: String, create: Bool, in connection: Connection) throws -> TopicRecord? {
        if let record = caches.topics[BytewiseString(name)] { return record }
        let found = try connection.cached("SELECT id FROM topics WHERE name = ?1").queryOne({
            $0.bind(name, at: 1)
        }) { TopicRecord(id: $0.int64(0), name: name) }
        if let found {
            caches.topics[BytewiseString(name)] = found
            return found
        }
        guard create else { return nil }
        try TopicName.validate(name)
        try connection.cached("INSERT INTO topics (name, created_at) VALUES (?1, ?2)").run {
            $0.bind(name, at: 1)
            $0.bind(Timestamp.now().microsecondsSinceEpoch, at: 2)
        }
        let record = TopicRecord(id: connection.lastInsertRowID, name: name)
        try connection.execute(record.createTableSQL)
        // Memoised now; if the transaction rolls back, `LogDatabase.write` clears the memo.
        caches.topics[BytewiseString(name)] = record
        return record
    }

    /// The topic named `name`, or `.topicNotFound` naming it.
    func existingTopic(_ name: String, in connection: Connection) throws -> TopicRecord {
        guard let record = try topicRecord(name, create: false, in: connection) else {
            throw StreamLogError(.topicNotFound, "topic \(quoted(name)) does not exist in \(path)")
        }
        return record
    }

    /// Creates the topic if it does not exist yet. Creating an existing topic does nothing.
    public func createTopic(_ name: String) throws {
        try TopicName.validate(name)
        try write { connection in _ = try topicRecord(name, create: true, in: connection) }
    }

    /// Whether a topic named `name` exists.
    public func topicExists(_ name: String) throws -> Bool {
        try withConnection { connection in try topicRecord(name, create: false, in: connection) != nil }
    }

    /// Whether the topic has its end-of-stream event (`.topicNotFound` when it does not exist).
    public func isClosed(topic name: String) throws -> Bool {
        try withConnection { connection in
            try topicIsClosed(existingTopic(name, in: connection), in: connection)
        }
    }

    /// Whether `name` is closed and has no event after `cursor`: a reader there has nothing left
    /// to read, not even the end of stream. Both are read in one transaction, so a batch that
    /// closes the topic is seen whole or not at all. `false` for a topic that does not exist.
    func topicEnded(_ name: String, at cursor: Int64) throws -> Bool {
        try read { connection in
            guard let record = try topicRecord(name, create: false, in: connection) else { return false }
            return try topicIsClosed(record, in: connection) && highestSeq(record, in: connection) <= cursor
        }
    }

    /// Whether the topic has its end-of-stream event, in the caller's transaction (if any).
    func topicIsClosed(_ record: TopicRecord, in connection: Connection) throws -> Bool {
        try connection.cached("SELECT closed_at IS NOT NULL FROM topics WHERE id = ?1").queryOne({
            $0.bind(record.id, at: 1)
        }) { $0.int64(0) != 0 } ?? false
    }

    /// The names of all topics, in creation order.
    public func topicNames() throws -> [String] {
        try withConnection { connection in
            var names: [String] = []
            try connection.cached("SELECT name FROM topics ORDER BY id").queryEach { names.append($0.string(0) ?? "") }
            return names
        }
    }
}

/// `name` in double quotes with quotes and control characters escaped, for error messages.
func quoted(_ name: String) -> String { TopicName.quoted(name) }
