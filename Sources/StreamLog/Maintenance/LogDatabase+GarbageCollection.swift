extension LogDatabase {
    /// What ``collectGarbage(gracePeriod:includingStoreOnlyFile:)`` removed.
    public struct GarbageCollectionResult: Sendable, Hashable {
        /// Objects deleted from this file's store.
        public var objects: Int
        /// Their total size in bytes.
        public var bytes: Int64
        /// Eviction records (tombstones) deleted because no event refers to their key any more.
        public var evictionRecords: Int
    }

    /// How long an unreferenced object is kept before ``collectGarbage(gracePeriod:includingStoreOnlyFile:)``
    /// deletes it: one hour.
    ///
    /// An object appended with its event (``append(_:objects:to:)``, ``appendObject(to:encoding:evict:metadata:from:)``)
    /// commits in the same transaction as the event, so it is never unreferenced. An object put
    /// alone (``ObjectStore/put(_:encoding:key:)``) is referenced only once the application appends
    /// an event naming its key; until then it is young, not orphaned. Only objects older than the
    /// grace period with no event referring to them are orphans.
    public static let defaultGarbageGracePeriod: Duration = .seconds(3600)

    /// Deletes the objects of this file's store that no event of any topic refers to and that are
    /// older than `gracePeriod`, and the eviction records of keys no event refers to any more.
    ///
    /// Runs in one write transaction: appends wait for it, so an event committed concurrently
    /// either is seen (its object is kept) or commits after (its object, committed with it, is
    /// newer than the cut-off). Only this file's own `objects` table is collected; objects in a
    /// store in another file are referenced from this file and are not touched.
    ///
    /// A file with objects but no topics is most likely an object store that *other* files' events
    /// refer to; collecting it would delete every object, so it is refused unless
    /// `includingStoreOnlyFile` is `true`.
    ///
    /// - Throws: `.invalidArgument` for a negative grace period or a store-only file.
    @discardableResult
    public func collectGarbage(
        gracePeriod: Duration = defaultGarbageGracePeriod, includingStoreOnlyFile: Bool = false
    ) throws -> GarbageCollectionResult {
        guard gracePeriod >= .zero else {
            throw StreamLogError(.invalidArgument, "the garbage-collection grace period cannot be negative")
        }
        let (seconds, attoseconds) = gracePeriod.components
        let graceMicroseconds = seconds.multipliedReportingOverflow(by: 1_000_000)
        let cutoff = graceMicroseconds.overflow
            ? Int64.min
            : Timestamp.now().microsecondsSinceEpoch - graceMicroseconds.partialValue - attoseconds / 1_000_000_000_000
        return try write { connection in
            var records: [TopicRecord] = []
            try connection.cached("SELECT id, name FROM topics ORDER BY id").queryEach {
                records.append(TopicRecord(id: $0.int64(0), name: $0.string(1) ?? ""))
            }
            if records.isEmpty && !includingStoreOnlyFile {
                let objects = try connection.scalarInt("SELECT count(*) FROM objects") ?? 0
                if objects > 0 {
                    throw StreamLogError(
                        .invalidArgument,
                        "\(path) has \(objects) objects but no topics: it looks like an object store that other "
                            + "files' events refer to, and collecting it would delete every object")
                }
            }
            // The referenced keys of every topic, gathered in a temporary table (per connection,
            // never written to the file) so the deletion is one indexed anti-join.
            try connection.execute(
                "CREATE TEMP TABLE IF NOT EXISTS streamlog_gc_keys (key BLOB PRIMARY KEY) WITHOUT ROWID;"
                    + "DELETE FROM temp.streamlog_gc_keys")
            defer { try? connection.execute("DELETE FROM temp.streamlog_gc_keys") }
            for record in records {
                // `record.table` comes from the integer id only; nothing user-supplied reaches the SQL.
                try connection.execute(
                    "INSERT OR IGNORE INTO temp.streamlog_gc_keys "
                        + "SELECT key FROM \(record.table) WHERE key IS NOT NULL AND store IS NULL")
            }
            let unreferenced = "created_at < ?1 AND key NOT IN (SELECT key FROM temp.streamlog_gc_keys)"
            let doomed = try connection.cached("SELECT count(*), total(size) FROM objects WHERE \(unreferenced)")
                .queryOne({ $0.bind(cutoff, at: 1) }) { ($0.int(0), Int64($0.double(1))) } ?? (0, 0)
            _ = try ObjectStore.deleteAll(keysFrom: "SELECT key FROM objects WHERE \(unreferenced)", in: connection) {
                $0.bind(cutoff, at: 1)
            }
            var evictionRecords = 0
            // In a store-only file the tombstones answer for other files' events: they stay.
            if !records.isEmpty {
                try connection.cached(
                    "DELETE FROM evicted_objects WHERE key NOT IN (SELECT key FROM temp.streamlog_gc_keys)"
                ).run()
                evictionRecords = connection.changes
            }
            return GarbageCollectionResult(objects: doomed.0, bytes: doomed.1, evictionRecords: evictionRecords)
        }
    }
}
