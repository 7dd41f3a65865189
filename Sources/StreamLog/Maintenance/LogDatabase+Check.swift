extension LogDatabase {
    /// Checks the file: SQLite's `PRAGMA integrity_check` and `foreign_key_check`, then StreamLog's
    /// own invariants, in one read snapshot (writers carry on meanwhile).
    ///
    /// StreamLog's invariants: every topic has its event table, with the trigger that keeps its
    /// counter when the newest event is deleted; seqs are at least 1; event times never decrease;
    /// at most one end-of-stream event, last, and only in a topic marked closed; each object event
    /// has either a payload or a 16-byte key; every key into this file's store names an object
    /// that is present, recorded as evicted, or referred to by an `evict: true` event (its
    /// consumer deletes it without a record); chunked objects add up to their size and every chunk
    /// belongs to an object; consumer cursors, group frontiers and leases (when the file has those
    /// tables) lie within their topic's seqs.
    /// Keys into stores in other files are not followed.
    ///
    /// - Parameter maxProblemsPerCheck: at most this many problems are listed per check and topic;
    ///   one more entry says when others were left out.
    /// - Returns: the report; damage is reported in it, not thrown.
    /// - Throws: only when the file cannot be read at all (`.corrupt`, `.io`, `.closed`).
    public func check(maxProblemsPerCheck: Int = 20) throws -> CheckReport {
        let limit = max(maxProblemsPerCheck, 1)
        return try read { connection in
            var checker = Checker(connection: connection, limit: limit)
            try checker.run()
            return checker.report
        }
    }
}

/// The checks of ``LogDatabase/check(maxProblemsPerCheck:)``, run on one connection in one snapshot.
private struct Checker {
    let connection: Connection
    let limit: Int
    var report = CheckReport()

    init(connection: Connection, limit: Int) {
        self.connection = connection
        self.limit = limit
    }

    mutating func run() throws {
        try guarded(nil) { try $0.checkIntegrity() }
        try guarded(nil) { try $0.checkForeignKeys() }
        let tables = try LogDatabase.tableNames(in: connection)
        var topics: [(record: TopicRecord, nextSeq: Int64, closed: Bool)] = []
        try connection.cached("SELECT id, name, next_seq, closed_at IS NOT NULL FROM topics ORDER BY id").queryEach {
            topics.append((TopicRecord(id: $0.int64(0), name: $0.string(1) ?? ""), $0.int64(2), $0.int64(3) != 0))
        }
        report.topics = topics.count
        var triggers: Set<String> = []
        try connection.cached("SELECT name FROM sqlite_schema WHERE type = 'trigger'").queryEach {
            triggers.insert($0.string(0) ?? "")
        }
        let topicTables = Set(topics.map(\.record.table))
        for table in tables.sorted() where isTopicTableName(table) && !topicTables.contains(table) {
            add(.topicTable, nil, "table \(table) looks like a topic's event table but no topic has its id")
        }
        for topic in topics {
            // `next_seq` is a floor: the highest seq given is the larger of `next_seq - 1` and the
            // newest event's seq (schema v0004).
            var highestSeq = topic.nextSeq - 1
            if !tables.contains(topic.record.table) {
                add(.topicTable, topic.record.name,
                    "topic \(quoted(topic.record.name)) has no event table (\(topic.record.table) is missing)")
            } else {
                if !triggers.contains(topic.record.counterTrigger) {
                    add(.topicTable, topic.record.name,
                        "topic \(quoted(topic.record.name)) has no trigger \(topic.record.counterTrigger): deleting "
                            + "its newest event would let that seq be given again")
                }
                try guarded(topic.record.name) {
                    highestSeq = max(highestSeq, try $0.checkTopic(topic.record, closed: topic.closed) ?? 0)
                }
            }
            try guarded(topic.record.name) {
                try $0.checkConsumers(of: topic.record, highestSeq: highestSeq, tables: tables)
            }
        }
        try guarded(nil) { try $0.checkObjects() }
    }

    /// Runs one check; damage that makes SQLite fail part-way is reported, not thrown.
    private mutating func guarded(_ topic: String?, _ body: (inout Checker) throws -> Void) throws {
        do {
            try body(&self)
        } catch let error as StreamLogError where error.code == .corrupt || error.code == .notADatabase {
            add(.integrity, topic, error.message)
        }
    }

    private mutating func add(_ kind: CheckReport.Kind, _ topic: String?, _ message: String) {
        report.problems.append(CheckReport.Problem(kind: kind, topic: topic, message: message))
    }

    /// Runs `sql` with `LIMIT limit + 1` rows and reports each row with `describe`; the extra row
    /// only says that more were left out.
    private mutating func report(
        _ kind: CheckReport.Kind, topic: String?, sql: String, bind: (Statement) -> Void = { _ in },
        _ describe: (Statement) -> String
    ) throws {
        var rows = 0
        var messages: [String] = []
        try Statement(connection: connection, sql: sql + " LIMIT \(limit + 1)").queryEach(bind) { row in
            rows += 1
            if rows <= limit { messages.append(describe(row)) }
        }
        for message in messages { add(kind, topic, message) }
        if rows > limit {
            add(kind, topic, "more problems of kind \(kind)\(topic.map { " in topic \(quoted($0))" } ?? "") not listed")
        }
    }

    private func isTopicTableName(_ name: String) -> Bool {
        name.hasPrefix("topic_") && name.count > 6 && name.dropFirst(6).allSatisfy(\.isASCII) && Int64(name.dropFirst(6)) != nil
    }

    // MARK: SQLite's own checks

    private mutating func checkIntegrity() throws {
        var messages: [String] = []
        try Statement(connection: connection, sql: "PRAGMA integrity_check(\(limit))").queryEach {
            messages.append($0.string(0) ?? "")
        }
        for message in messages where message != "ok" { add(.integrity, nil, "integrity_check: \(message)") }
    }

    private mutating func checkForeignKeys() throws {
        try report(.foreignKey, topic: nil, sql: "SELECT \"table\", rowid, parent FROM pragma_foreign_key_check") {
            "row \($0.optionalInt64(1).map(String.init) ?? "?") of table \($0.string(0) ?? "?") refers to a "
                + "missing row of \($0.string(2) ?? "?")"
        }
    }

    // MARK: Topics and events

    /// Checks the events of `record`; returns the seq of its newest event (`nil`: none).
    private mutating func checkTopic(_ record: TopicRecord, closed: Bool) throws -> Int64? {
        let name = record.name
        let table = record.table
        let summary = try Statement(
            connection: connection,
            sql: "SELECT count(*), min(seq), max(seq), total(type = 1), max(CASE WHEN type = 1 THEN seq END) FROM \(table)"
        ).queryOne { ($0.int(0), $0.optionalInt64(1), $0.optionalInt64(2), Int($0.double(3)), $0.optionalInt64(4)) }!
        report.events += summary.0
        if let lowest = summary.1, lowest < 1 {
            add(.seqRange, name, "topic \(quoted(name)) has an event with seq \(lowest); seqs start at 1")
        }
        let ends = summary.3
        if ends > 1 {
            add(.endOfStream, name, "topic \(quoted(name)) has \(ends) end-of-stream events")
        }
        if let end = summary.4, let highest = summary.2, end != highest {
            add(.endOfStream, name, "the end-of-stream event \(end) of topic \(quoted(name)) is not its last event (\(highest))")
        }
        if ends > 0 && !closed {
            add(.endOfStream, name, "topic \(quoted(name)) has an end-of-stream event but is not marked closed")
        }
        if ends == 0 && closed {
            add(.endOfStream, name, "topic \(quoted(name)) is marked closed but has no end-of-stream event")
        }
        try report(
            .timeOrder, topic: name,
            sql: "SELECT seq, time, previous FROM (SELECT seq, time, lag(time) OVER (ORDER BY seq) AS previous "
                + "FROM \(table)) WHERE time < previous"
        ) {
            "event \($0.int64(0)) of topic \(quoted(name)) has time \($0.int64(1)) µs, earlier than the event "
                + "before it (\($0.int64(2)) µs)"
        }
        try report(
            .eventShape, topic: name,
            sql: "SELECT seq, type FROM \(table) WHERE type NOT IN (0, 1) "
                + "OR (type = 0 AND (payload IS NULL) = (key IS NULL)) "
                + "OR (type = 1 AND (payload IS NOT NULL OR key IS NOT NULL)) "
                + "OR (key IS NOT NULL AND (typeof(key) != 'blob' OR length(key) != 16))"
        ) {
            "event \($0.int64(0)) of topic \(quoted(name)) (type \($0.int64(1))) must have exactly one of a payload "
                + "or a 16-byte key if it is an object, and neither if it is an end-of-stream event"
        }
        try report(
            .missingObject, topic: name,
            // An evictable event's object is deleted, with no record, by the consumer that reads it.
            sql: "SELECT seq, key FROM \(table) AS event WHERE key IS NOT NULL AND store IS NULL AND evict = 0 "
                + "AND NOT EXISTS (SELECT 1 FROM objects WHERE objects.key = event.key) "
                + "AND NOT EXISTS (SELECT 1 FROM evicted_objects WHERE evicted_objects.key = event.key)"
        ) { row in
            let key = row.withBytes(1) { $0.flatMap { ObjectKey(bytes: $0) } }
            return "event \(row.int64(0)) of topic \(quoted(name)) refers to object "
                + "\(key.map(String.init(describing:)) ?? "?"), which is not in the store; neither an eviction record nor the event's evict flag explains why"
        }
        return summary.2
    }

    // MARK: Objects

    private mutating func checkObjects() throws {
        report.objects = Int(try connection.scalarInt("SELECT count(*) FROM objects") ?? 0)
        try report(
            .objectChunks, topic: nil,
            sql: "SELECT key, size, chunks, CASE chunks WHEN 0 THEN coalesce(length(data), -1) "
                + "ELSE (SELECT total(length(data)) FROM object_chunks WHERE object_chunks.key = objects.key) END AS stored, "
                + "(SELECT count(*) FROM object_chunks WHERE object_chunks.key = objects.key) AS pieces FROM objects "
                + "WHERE stored != size OR pieces != chunks"
        ) { row in
            let key = row.withBytes(0) { $0.flatMap { ObjectKey(bytes: $0) } }
            return "object \(key.map(String.init(describing:)) ?? "?") records \(row.int64(1)) bytes in "
                + "\(row.int64(2)) chunks but holds \(Int64(row.double(3))) bytes in \(row.int64(4)) chunks"
        }
        try report(
            .objectChunks, topic: nil,
            sql: "SELECT key, count(*) FROM object_chunks "
                + "WHERE NOT EXISTS (SELECT 1 FROM objects WHERE objects.key = object_chunks.key) GROUP BY key"
        ) { row in
            let key = row.withBytes(0) { $0.flatMap { ObjectKey(bytes: $0) } }
            return "\(row.int64(1)) chunks belong to object \(key.map(String.init(describing:)) ?? "?"), "
                + "which is not in the store"
        }
    }

    // MARK: Consumers

    /// Cursors, group frontiers and leases of `record`, against the highest seq it has given: a
    /// position beyond it names a seq that could be given again.
    private mutating func checkConsumers(of record: TopicRecord, highestSeq: Int64, tables: Set<String>) throws {
        let name = record.name
        if try hasColumns("cursors", ["consumer", "topic_id", "position"], tables: tables) {
            try report(
                .cursorRange, topic: name,
                sql: "SELECT consumer, position FROM cursors WHERE topic_id = ?1 AND (position < 0 OR position > ?2)",
                bind: { $0.bind(record.id, at: 1); $0.bind(highestSeq, at: 2) }
            ) {
                "consumer \(quoted($0.string(0) ?? "")) is at position \($0.int64(1)) of topic \(quoted(name)), "
                    + "whose last seq is \(highestSeq)"
            }
        }
        if try hasColumns("consumer_groups", ["id", "name", "topic_id", "frontier"], tables: tables) {
            try report(
                .cursorRange, topic: name,
                sql: "SELECT name, frontier FROM consumer_groups WHERE topic_id = ?1 AND (frontier < 0 OR frontier > ?2)",
                bind: { $0.bind(record.id, at: 1); $0.bind(highestSeq, at: 2) }
            ) {
                "group \(quoted($0.string(0) ?? "")) of topic \(quoted(name)) has claimed up to seq \($0.int64(1)), "
                    + "but the topic's last seq is \(highestSeq)"
            }
            if try hasColumns("leases", ["group_id", "seq"], tables: tables) {
                try report(
                    .cursorRange, topic: name,
                    sql: "SELECT consumer_groups.name, leases.seq, consumer_groups.frontier FROM leases "
                        + "JOIN consumer_groups ON consumer_groups.id = leases.group_id "
                        + "WHERE consumer_groups.topic_id = ?1 AND (leases.seq < 1 OR leases.seq > consumer_groups.frontier)",
                    bind: { $0.bind(record.id, at: 1) }
                ) {
                    "group \(quoted($0.string(0) ?? "")) of topic \(quoted(name)) holds a lease on seq \($0.int64(1)), "
                        + "beyond the highest seq it has claimed (\($0.int64(2)))"
                }
            }
        }
    }

    /// Whether `table` exists with every one of `columns` (the consumer tables belong to a layer
    /// that may evolve; a check that does not apply is skipped rather than failing).
    private func hasColumns(_ table: String, _ columns: [String], tables: Set<String>) throws -> Bool {
        guard tables.contains(table) else { return false }
        var present: Set<String> = []
        try connection.cached("SELECT name FROM pragma_table_info(?1)").queryEach({ $0.bind(table, at: 1) }) {
            present.insert($0.string(0) ?? "")
        }
        return columns.allSatisfy(present.contains)
    }
}
