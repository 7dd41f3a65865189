extension LogDatabase {
    // A topic's counter (schema v0004): the highest seq the topic has given is the larger of its
    // newest event's seq and `topics.next_seq - 1`, and its newest time the larger of that
    // event's time and `topics.last_time`. An append reads the two and writes only its events.
    //
    // Until v0003 every append also updated the topic's row, which put one more page in the WAL
    // per commit: a quarter of a one-object commit of a store-backed stream (the C floor, batch 1:
    // 20–22 k objects/s with the update, 25–28 k without, 4 of 4 pairs). The row is written now
    // only when the newest event is deleted, by the trigger every topic table has (see
    // `Migrations/topic_table.sql`), so that no seq is ever given twice and no time goes back,
    // whoever deletes it: the library (trim, retention, redrive) or any other SQLite client.

    /// The first seq and the time of the next batch of `record`, inside the caller's write
    /// transaction (which keeps other writers out until the batch is committed). The time is now,
    /// or the topic's newest time when the clock went back.
    ///
    /// - Throws: `.topicClosed` when the topic has its end-of-stream event.
    func nextSeqAndTime(for record: TopicRecord, in connection: Connection) throws -> (Int64, Timestamp) {
        // One statement: `max(seq)` of the rowid is one seek to the b-tree's last entry, the page
        // the batch is about to write.
        let next = try connection.cached(.nextSeqAndTime, topicID: record.id) {
            "SELECT closed_at IS NULL, max(next_seq, ifnull((SELECT max(seq) FROM \(record.table)), 0) + 1), "
                + "max(last_time, ifnull((SELECT time FROM \(record.table) ORDER BY seq DESC LIMIT 1), 0)) "
                + "FROM topics WHERE id = ?1"
        }.queryOne({ $0.bind(record.id, at: 1) }) { ($0.int64(0) != 0, $0.int64(1), $0.int64(2)) }
        guard let (open, seq, lastTime) = next else {
            throw StreamLogError(.topicNotFound, "topic \(quoted(record.name)) does not exist in \(path)")
        }
        guard open else {
            throw StreamLogError(.topicClosed, "topic \(quoted(record.name)) is closed; nothing more can be sent to it")
        }
        let now = Timestamp.now().microsecondsSinceEpoch
        return (seq, Timestamp(microsecondsSinceEpoch: max(now, lastTime)))
    }

    /// The highest seq `record` has ever given (0 when none), whether or not it is still retained.
    func highestSeq(_ record: TopicRecord, in connection: Connection) throws -> Int64 {
        try connection.cached(
            "SELECT max(next_seq - 1, ifnull((SELECT max(seq) FROM \(record.table)), 0)) FROM topics WHERE id = ?1"
        ).queryOne({ $0.bind(record.id, at: 1) }) { $0.int64(0) } ?? 0
    }
}
