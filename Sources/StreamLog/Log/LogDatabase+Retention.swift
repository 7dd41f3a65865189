extension LogDatabase {
    /// What a trim removed.
    public struct TrimResult: Sendable, Hashable {
        /// Object events deleted.
        public var events: Int
        /// Objects deleted from this file's store because only the deleted events referred to them.
        public var objects: Int
    }

    /// Deletes the object events of `topic` with seq below `seq`, and the objects only they
    /// referenced. The end-of-stream event is never removed (a closed topic stays closed), and
    /// seqs are never reused.
    @discardableResult
    public func trim(topic: String, before seq: Int64) throws -> TrimResult {
        try write { connection in
            let record = try existingTopic(topic, in: connection)
            return try trimRows(record, before: seq, in: connection)
        }
    }

    /// Keeps only the newest `count` object events of `topic`.
    @discardableResult
    public func trim(topic: String, keepingLast count: Int) throws -> TrimResult {
        guard count >= 0 else {
            throw StreamLogError(.invalidArgument, "cannot keep \(count) events: the count must be 0 or more")
        }
        return try write { connection in
            let record = try existingTopic(topic, in: connection)
            let boundary: Int64?
            if count == 0 {
                boundary = .max
            } else {
                boundary = try connection.cached(
                    "SELECT seq FROM \(record.table) WHERE type = 0 ORDER BY seq DESC LIMIT 1 OFFSET ?1"
                ).queryOne({ $0.bind(count - 1, at: 1) }) { $0.int64(0) }
            }
            guard let boundary else { return TrimResult(events: 0, objects: 0) }
            return try trimRows(record, before: boundary, in: connection)
        }
    }

    /// Deletes the object events of `topic` appended before `time`.
    @discardableResult
    public func trim(topic: String, olderThan time: Timestamp) throws -> TrimResult {
        try write { connection in
            let record = try existingTopic(topic, in: connection)
            // Found inside the trim's own transaction, and bounded by the newest seq: an event
            // appended while the trim waited for the write lock is newer than `time` and stays.
            let boundary = try firstSeq(record, atOrAfter: time, in: connection)
                ?? highestSeq(record, in: connection) + 1
            return try trimRows(record, before: boundary, in: connection)
        }
    }

    /// Deletes rows below `seq` and the objects of this file they referenced, in the caller's
    /// write transaction.
    func trimRows(_ record: TopicRecord, before seq: Int64, in connection: Connection) throws -> TrimResult {
        let doomedKeys = "SELECT key FROM \(record.table) WHERE seq < ?1 AND type = 0 AND key IS NOT NULL AND store IS NULL"
        let objects = try ObjectStore.deleteAll(keysFrom: doomedKeys, in: connection) { $0.bind(seq, at: 1) }
        try connection.cached("DELETE FROM evicted_objects WHERE key IN (\(doomedKeys))").run { $0.bind(seq, at: 1) }
        try connection.cached("DELETE FROM \(record.table) WHERE seq < ?1 AND type = 0").run { $0.bind(seq, at: 1) }
        return TrimResult(events: connection.changes, objects: objects)
    }
}
