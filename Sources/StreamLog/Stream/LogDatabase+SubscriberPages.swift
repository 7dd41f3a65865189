import Foundation

extension LogDatabase {
    /// Objects up to this size are read together with their events by subscribers, so an eager
    /// consumer needs no query per object; larger ones are fetched one at a time, keeping a
    /// page's memory bounded. It is the largest object kept in its `objects` row (the page query
    /// joins rows, not chunks).
    static let prefetchLimit = ObjectStore.rowValueLimit

    /// A subscriber's page stops growing once its payloads and prefetched objects hold this many
    /// bytes (it always holds at least one event): 256 events of 64 KiB, or of inline payloads of
    /// any size, would otherwise be read into memory at once.
    static let pageByteBudget = 1 << 20

    /// A page of events for a subscriber, with the small objects of this file's store that the
    /// key events refer to, read in the same query (one snapshot).
    func subscriberPage(topic: String, after: Int64, limit: Int) throws -> (events: [Event], objects: [StoredObject?]) {
        try withConnection { connection in
            let record = try existingTopic(topic, in: connection)
            let select = try connection.cached(.subscriberPage, topicID: record.id) {
                "SELECT t.seq, t.type, t.time, t.evict, t.encoding, t.size, t.payload, t.key, t.store, t.metadata, "
                    + "o.data, o.encoding FROM \(record.table) t LEFT JOIN objects o "
                    + "ON t.key IS NOT NULL AND t.store IS NULL AND t.size <= ?3 AND o.key = t.key AND o.chunks = 0 "
                    + "WHERE t.seq > ?1 ORDER BY t.seq LIMIT ?2"
            }
            var decoder = EventRowDecoder(topic: record.name)
            var events: [Event] = []
            var objects: [StoredObject?] = []
            var bytes = 0
            events.reserveCapacity(min(limit, 256))
            objects.reserveCapacity(min(limit, 256))
            try select.queryWhile({
                $0.bind(after, at: 1)
                $0.bind(limit, at: 2)
                $0.bind(Self.prefetchLimit, at: 3)
            }) { row in
                let event = try decoder.decode(row, stores: { try self.storeReference(id: $0, in: connection) })
                let object = row.data(10).map { StoredObject(data: $0, encoding: row.string(11) ?? "bytes") }
                bytes += (event.payload?.count ?? 0) + (object?.data.count ?? 0)
                objects.append(object)
                events.append(event)
                return bytes < Self.pageByteBudget
            }
            return (events, objects)
        }
    }

    /// Advances `consumer`'s cursors and deletes evicted objects of this file, in one transaction:
    /// a consumer that crashes before it commits gets both the events and their objects again.
    ///
    /// No eviction record is written: the events say `evict`, which is how a reader of an event
    /// whose object is gone knows it was evicted (``ObjectStore/absenceError(_:evictable:in:)``).
    /// Returns whether it wrote anything (it does not for an anonymous consumer's cursors alone).
    func commitConsumption(consumer: String?, positions: [String: Int64], evictions: [EvictionRun]) throws -> Bool {
        guard !evictions.isEmpty || (consumer != nil && !positions.isEmpty) else { return false }
        // Deleting a large object reads its overflow pages (for their links): with the normal
        // cache they would stay there, up to 2 MB that nobody reads again.
        let large = evictions.contains(where: \.mayBeChunked)
        try write { connection in
            if large {
                try connection.withSmallPageCache {
                    try writeConsumption(consumer: consumer, positions: positions, evictions: evictions, in: connection)
                }
            } else {
                try writeConsumption(consumer: consumer, positions: positions, evictions: evictions, in: connection)
            }
        }
        return true
    }

    private func writeConsumption(
        consumer: String?, positions: [String: Int64], evictions: [EvictionRun], in connection: Connection
    ) throws {
        if let consumer {
            for (topic, seq) in positions {
                _ = try advanceCursor(consumer, try existingTopic(topic, in: connection), through: seq, in: connection)
            }
        }
        for run in evictions {
            guard let record = try topicRecord(run.topic, create: false, in: connection) else { continue }  // deleted meanwhile
            // `record.table` comes from the integer id only; nothing user-supplied reaches the SQL.
            let keys = {
                "SELECT key FROM \(record.table) WHERE seq BETWEEN ?1 AND ?2 "
                    + "AND evict = 1 AND key IS NOT NULL AND store IS NULL"
            }
            let chunks = try run.mayBeChunked
                ? connection.cached(.evictChunks, topicID: record.id) { ObjectStore.deleteChunksSQL(keysFrom: keys()) }
                : nil
            let objects = try connection.cached(.evictObjects, topicID: record.id) {
                ObjectStore.deleteObjectsSQL(keysFrom: keys())
            }
            _ = try ObjectStore.deleteAll(chunks: chunks, objects: objects, in: connection) {
                $0.bind(run.first, at: 1)
                $0.bind(run.last, at: 2)
            }
        }
    }
}
