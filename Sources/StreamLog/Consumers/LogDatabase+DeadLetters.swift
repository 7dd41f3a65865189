extension LogDatabase {
    /// The metadata key under which a dead-letter event records where it came from: an object
    /// `{"topic": …, "group": …, "seq": original seq, "attempts": n, "error": last error or null}`.
    /// It replaces any user entry of that name in the copy.
    public static let deadLetterMetadataKey = "deadLetter"

    /// The name of the topic where `group` puts the events of `topic` it gave up on:
    /// `"<topic>.dlq.<group>"`. It is an ordinary topic (data, never SQL), readable with any
    /// reader or consumer; ``deadLetters(group:topic:limit:)`` decodes it.
    public static func deadLetterTopic(group: String, topic: String) -> String {
        "\(topic).dlq.\(group)"
    }

    /// The dead letters of `group` on `topic`, oldest first; empty when there are none.
    ///
    /// - Throws: `.topicNotFound` when `topic` does not exist.
    public func deadLetters(group: String, topic: String, limit: Int = 1000) throws -> [DeadLetter] {
        try Self.validateGroup(group, topic: topic)
        return try read { connection in
            _ = try existingTopic(topic, in: connection)
            let name = Self.deadLetterTopic(group: group, topic: topic)
            guard let dlq = try topicRecord(name, create: false, in: connection) else { return [] }
            var letters: [DeadLetter] = []
            try scan(dlq, after: 0, limit: limit, in: connection) { event in
                guard let letter = Self.deadLetter(event, group: group, topic: topic) else { return }
                letters.append(letter)
            }
            return letters
        }
    }

    /// Puts the dead letters of `group` on `topic` back to work, in one transaction.
    ///
    /// A dead letter whose original event is still retained (with its object) is released in the
    /// group: the original is delivered again like a nacked event, with attempts starting over.
    /// Otherwise the dead letter's copy is appended to `topic` again (without the dead-letter
    /// metadata entry) as a new event — which every consumer of the topic then sees — unless
    /// the topic is closed, in which case it stays in the dead-letter topic (moved to its end,
    /// with a new seq). Redriven dead letters leave the dead-letter topic.
    ///
    /// Events the group gave up on while its dead-letter topic was closed (it can take no
    /// letters) are released too, and counted as released.
    ///
    /// - Throws: `.topicNotFound`; `.invalidArgument` when the group does not exist.
    @discardableResult
    public func redrive(group: String, topic: String) throws -> RedriveResult {
        try Self.validateGroup(group, topic: topic)
        return try write { connection in
            let record = try existingTopic(topic, in: connection)
            let row = try existingGroup(group, record: record, in: connection)
            var result = RedriveResult(released: 0, reappended: 0, kept: 0)
            let now = Timestamp.now().microsecondsSinceEpoch
            // Spent events parked while the dead-letter topic was closed (see moveToDeadLetters).
            try connection.cached("UPDATE leases SET visible_at = ?2, attempts = 0 WHERE group_id = ?1 AND visible_at = ?3").run {
                $0.bind(row.id, at: 1)
                $0.bind(now, at: 2)
                $0.bind(Self.parkedLeaseVisibleAt, at: 3)
            }
            if connection.changes > 0 {
                result.released += connection.changes
                try lowerNextDue(groupID: row.id, to: now, in: connection)
            }
            let name = Self.deadLetterTopic(group: group, topic: topic)
            guard let dlq = try topicRecord(name, create: false, in: connection) else { return result }
            let closed = try topicIsClosed(record, in: connection)
            let release = try connection.cached(
                "INSERT INTO leases (group_id, seq, member, receipt, visible_at, attempts) VALUES (?1, ?2, NULL, 0, ?3, 0) "
                    + "ON CONFLICT (group_id, seq) DO UPDATE SET member = NULL, receipt = 0, visible_at = ?3, attempts = 0")
            var after: Int64 = 0
            var kept: [Event] = []
            var handled: [Int64] = []
            var page: [Event] = []
            repeat {
                page.removeAll(keepingCapacity: true)
                try scan(dlq, after: after, limit: 1000, in: connection) { page.append($0) }
                for letter in page where letter.kind == .object {
                    after = letter.seq
                    // Not a letter, or another (topic, group)'s sharing this dead-letter topic's name.
                    guard let dead = Self.deadLetter(letter, group: group, topic: topic) else {
                        kept.append(letter)
                        continue
                    }
                    let original = try event(record, seq: dead.originalSeq, in: connection)
                    if let original, try objectIsAvailable(original, in: connection) {
                        // Past the frontier (the group was moved back) it will be delivered as new anyway.
                        if original.seq <= row.frontier {
                            try release.run {
                                $0.bind(row.id, at: 1)
                                $0.bind(original.seq, at: 2)
                                $0.bind(now, at: 3)
                            }
                            try lowerNextDue(groupID: row.id, to: now, in: connection)
                        }
                        if let copy = letter.key, letter.store == nil, copy != original.key {
                            try deleteObject(copy, in: connection)
                        }
                        result.released += 1
                    } else if !closed {
                        var again = letter
                        again.metadata[Self.deadLetterMetadataKey] = nil
                        _ = try appendRows([again], to: record, in: connection)  // the object moves with it
                        result.reappended += 1
                    } else {
                        kept.append(letter)
                        result.kept += 1
                        continue
                    }
                    handled.append(letter.seq)
                }
            } while page.count == 1000
            guard !handled.isEmpty else { return result }
            // Retained seqs stay contiguous (lag counts on it): letters that stay move to the end
            // of the dead-letter topic, then a prefix goes. A closed dead-letter topic (closed by
            // hand) can take nothing more: its redriven rows are deleted one by one instead.
            if try topicIsClosed(dlq, in: connection) {
                let remove = try connection.cached("DELETE FROM \(dlq.table) WHERE seq = ?1")
                for seq in handled { try remove.run { $0.bind(seq, at: 1) } }
            } else {
                if !kept.isEmpty { _ = try appendRows(kept, to: dlq, in: connection) }
                try connection.cached("DELETE FROM \(dlq.table) WHERE seq <= ?1 AND type = 0").run { $0.bind(after, at: 1) }
            }
            return result
        }
    }

    // MARK: Internals (inside the caller's write transaction)

    /// The `visible_at` of a parked lease: a spent event that could not be dead-lettered because
    /// its dead-letter topic is closed. It is never due again; ``redrive(group:topic:)`` releases
    /// it. Until then it counts as unfinished (position, lag, retention): its only copy is the
    /// original event.
    static let parkedLeaseVisibleAt = Int64.max

    /// Copies the event at `seq` to the group's dead-letter topic (with its own copy of the
    /// object, so trimming either topic never leaves the other dangling) and drops its lease.
    ///
    /// When the dead-letter topic is closed (closed before the group existed, or by another
    /// tool) it can take nothing: the lease is parked instead (``parkedLeaseVisibleAt``, `error`
    /// kept as its last error) rather than failing, which would roll back every later claim of
    /// the group, each meeting the same spent lease first.
    ///
    /// - Returns: whether the event left the group (dead-lettered, or its event was gone).
    @discardableResult
    func moveToDeadLetters(
        seq: Int64, attempts: Int, error: String?, group: GroupRow, record: TopicRecord, in connection: Connection
    ) throws -> Bool {
        guard var event = try event(record, seq: seq, in: connection) else {
            try deleteLease(groupID: group.id, seq: seq, in: connection)
            return true
        }
        let name = Self.deadLetterTopic(group: group.name, topic: record.name)
        let dlq = try topicRecord(name, create: true, in: connection)!
        if try topicIsClosed(dlq, in: connection) {
            try connection.cached(
                "UPDATE leases SET member = NULL, receipt = 0, visible_at = ?3, last_error = ?4 WHERE group_id = ?1 AND seq = ?2"
            ).run {
                $0.bind(group.id, at: 1)
                $0.bind(seq, at: 2)
                $0.bind(Self.parkedLeaseVisibleAt, at: 3)
                $0.bind(error, at: 4)
            }
            return false
        }
        try deleteLease(groupID: group.id, seq: seq, in: connection)
        if let key = event.key, event.store == nil, let copy = try copyObject(key, in: connection) {
            event.key = copy
        }
        event.metadata[Self.deadLetterMetadataKey] = .object([
            "topic": .string(record.name), "group": .string(group.name), "seq": .int(seq),
            "attempts": .int(Int64(attempts)), "error": error.map { .string($0) } ?? .null,
        ])
        _ = try appendRows([event], to: dlq, in: connection)
        return true
    }

    /// Throws `.invalidArgument` when `record` is the dead-letter topic of an existing group: a
    /// closed dead-letter topic could take none of the group's letters.
    func checkNotADeadLetterTopic(_ record: TopicRecord, in connection: Connection) throws {
        let owner = try connection.cached(
            "SELECT 1 FROM consumer_groups g JOIN topics t ON t.id = g.topic_id WHERE t.name = ?1 AND g.name = ?2")
        // Every split of the name at ".dlq." that could be (topic, group): names may contain it.
        let name = record.name
        var searchStart = name.startIndex
        while let marker = name.range(of: ".dlq.", range: searchStart..<name.endIndex) {
            searchStart = name.index(after: marker.lowerBound)
            let topic = String(name[..<marker.lowerBound])
            let group = String(name[marker.upperBound...])
            let exists = try owner.queryOne({
                $0.bind(topic, at: 1)
                $0.bind(group, at: 2)
            }) { _ in true } ?? false
            if exists {
                throw StreamLogError(
                    .invalidArgument,
                    "topic \(quoted(name)) is the dead-letter topic of group \(quoted(group)) of topic \(quoted(topic)) "
                        + "and cannot be closed while the group exists")
            }
        }
    }

    /// A new object with the bytes of the one under `key`, or `nil` when there is none.
    func copyObject(_ key: ObjectKey, in connection: Connection) throws -> ObjectKey? {
        let copy = ObjectKey.random()
        return try key.withBytes { source in
            try copy.withBytes { target in
                try connection.cached(
                    "INSERT INTO objects (key, size, encoding, created_at, chunks, data) "
                        + "SELECT ?1, size, encoding, ?3, chunks, data FROM objects WHERE key = ?2"
                ).run {
                    $0.bindNoCopy(blob: target, at: 1)
                    $0.bindNoCopy(blob: source, at: 2)
                    $0.bind(Timestamp.now().microsecondsSinceEpoch, at: 3)
                }
                guard connection.changes > 0 else { return nil }
                // A chunked object's chunks (none for one kept in its row).
                try connection.cached(
                    "INSERT INTO object_chunks (key, idx, data) SELECT ?1, idx, data FROM object_chunks WHERE key = ?2 ORDER BY idx"
                ).run {
                    $0.bindNoCopy(blob: target, at: 1)
                    $0.bindNoCopy(blob: source, at: 2)
                }
                return copy
            }
        }
    }

    /// Deletes an object that nothing refers to any more (no eviction tombstone).
    func deleteObject(_ key: ObjectKey, in connection: Connection) throws {
        try key.withBytes { bytes in
            _ = try ObjectStore.delete(key, in: connection)
            try connection.cached("DELETE FROM evicted_objects WHERE key = ?1").run { $0.bindNoCopy(blob: bytes, at: 1) }
        }
    }

    /// Whether the event's object can still be resolved: inline, in another store (not checked),
    /// or present in this file's store.
    func objectIsAvailable(_ event: Event, in connection: Connection) throws -> Bool {
        guard let key = event.key, event.store == nil else { return true }
        return try key.withBytes { bytes in
            try connection.cached("SELECT 1 FROM objects WHERE key = ?1").queryOne({
                $0.bindNoCopy(blob: bytes, at: 1)
            }) { _ in true } ?? false
        }
    }

    /// The dead letter of `group` on `topic` an event of their dead-letter topic describes, or
    /// `nil` for any other event. Two pairs can share a dead-letter topic's name (topic `a`, group
    /// `b.dlq.c` and topic `a.dlq.b`, group `c`): the letter's own `topic` and `group` tell them
    /// apart.
    static func deadLetter(_ event: Event, group: String, topic: String) -> DeadLetter? {
        guard let info = event.metadata[deadLetterMetadataKey]?.objectValue,
            info["topic"]?.stringValue == topic, info["group"]?.stringValue == group
        else { return nil }
        return deadLetter(event)
    }

    /// The dead letter an event of a dead-letter topic describes, or `nil` for any other event.
    static func deadLetter(_ event: Event) -> DeadLetter? {
        guard event.kind == .object, let info = event.metadata[deadLetterMetadataKey]?.objectValue,
            let seq = info["seq"]?.intValue
        else { return nil }
        return DeadLetter(
            event: event, originalSeq: seq, attempts: Int(info["attempts"]?.intValue ?? 0),
            error: info["error"]?.stringValue)
    }
}
