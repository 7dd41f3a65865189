extension LogDatabase {
    /// Sizes and counts of a whole StreamLog file.
    public struct FileStats: Sendable, Hashable {
        /// Size of the database file in bytes.
        public var fileBytes: Int64
        /// Size of the write-ahead log (`-wal` file) in bytes; 0 when there is none.
        public var walBytes: Int64
        /// SQLite's page size in bytes.
        public var pageSize: Int64
        /// Pages in the database (including free ones).
        public var pageCount: Int64
        /// Free pages, which ``vacuum()`` gives back to the file system.
        public var freePages: Int64
        /// The schema version (`PRAGMA user_version`).
        public var schemaVersion: Int64
        /// Topics in the registry.
        public var topics: Int
        /// Topics with their end-of-stream event.
        public var closedTopics: Int
        /// Objects in this file's store.
        public var objects: Int
        /// Their total size in bytes.
        public var objectBytes: Int64
        /// Keys recorded as evicted (tombstones).
        public var evictedObjects: Int
        /// Distinct durable consumers with a cursor; 0 when the file has no consumer tables.
        public var consumers: Int
        /// Distinct consumer groups; 0 when the file has no group tables.
        public var groups: Int
    }

    /// Sizes and counts of the file, read in one snapshot. Counting objects is a scan of the
    /// `objects` table; per-topic figures are in ``allTopicStats()``.
    public func fileStats() throws -> FileStats {
        let sizes = FileSizes(path: path)
        return try read { connection in
            func count(_ sql: String) throws -> Int64 { try connection.scalarInt(sql) ?? 0 }
            let objects = try connection.cached("SELECT count(*), total(size) FROM objects").queryOne {
                ($0.int(0), Int64($0.double(1)))
            } ?? (0, 0)
            let tables = try Self.tableNames(in: connection)
            return FileStats(
                fileBytes: sizes.file, walBytes: sizes.wal, pageSize: try count("PRAGMA page_size"),
                pageCount: try count("PRAGMA page_count"), freePages: try count("PRAGMA freelist_count"),
                schemaVersion: try count("PRAGMA user_version"), topics: Int(try count("SELECT count(*) FROM topics")),
                closedTopics: Int(try count("SELECT count(*) FROM topics WHERE closed_at IS NOT NULL")),
                objects: objects.0, objectBytes: objects.1,
                evictedObjects: Int(try count("SELECT count(*) FROM evicted_objects")),
                consumers: tables.contains("cursors") ? Int(try count("SELECT count(DISTINCT consumer) FROM cursors")) : 0,
                groups: tables.contains("consumer_groups")
                    ? Int(try count("SELECT count(DISTINCT name) FROM consumer_groups")) : 0)
        }
    }

    /// The names of the tables of the main schema.
    static func tableNames(in connection: Connection) throws -> Set<String> {
        var names: Set<String> = []
        try connection.cached("SELECT name FROM sqlite_schema WHERE type = 'table'").queryEach {
            names.insert($0.string(0) ?? "")
        }
        return names
    }
}
