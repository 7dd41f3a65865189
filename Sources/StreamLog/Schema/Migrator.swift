import StreamLogMigrations

/// Brings a database to the schema of this build, or refuses it without changing it.
enum Migrator {
    /// `PRAGMA application_id` of StreamLog files: 'STLG'.
    static let applicationID: Int64 = 0x5354_4C47

    /// Refuses a file this build must not touch, reading only: runs before any pragma that
    /// could write (switching to WAL rewrites the header of a rollback-journal database).
    ///
    /// - Throws: `.schemaTooNew` (names both versions), `.notADatabase` for another application's
    ///   database or a file SQLite does not recognise, `.corrupt`.
    static func checkBeforeConfiguring(_ connection: Connection) throws {
        // One snapshot: a process migrating a new file commits its schema and its user_version
        // together, and reading them in two transactions could see the schema without the version.
        try connection.readTransaction {
            try validate(connection, version: connection.scalarInt("PRAGMA user_version") ?? 0)
        }
    }

    /// Applies the migrations the file lacks, each in one `BEGIN IMMEDIATE` transaction.
    ///
    /// - Throws: `.readOnly` when a read-only handle would need a migration.
    static func prepare(_ connection: Connection, readOnly: Bool) throws {
        let latest = MigrationScripts.latestVersion
        var version = try connection.retryingWhileBusy { try connection.scalarInt("PRAGMA user_version") } ?? 0
        // A newer build may have migrated the file since the check made before configuring it.
        if version > latest { try validate(connection, version: version) }
        guard version < latest else { return }
        guard !readOnly else {
            throw StreamLogError(
                .readOnly,
                "\(connection.path) has schema version \(version) and needs migrating to \(latest); "
                    + "open it read-write once")
        }
        for script in MigrationScripts.all where script.version > version {
            try connection.writeTransaction {
                // Another process may have migrated between our read and taking the write lock.
                version = try connection.scalarInt("PRAGMA user_version") ?? 0
                try validate(connection, version: version)
                guard script.version == version + 1 else { return }
                try connection.execute(script.sql)
                if let perTopicSQL = script.perTopicSQL {
                    var ids: [Int64] = []
                    try connection.cached("SELECT id FROM topics ORDER BY id").queryEach { ids.append($0.int64(0)) }
                    for id in ids {
                        try connection.execute(TopicRecord.sql(fromTemplate: perTopicSQL, topicID: id))
                    }
                }
                // The version is an integer from our own list: no user input reaches this SQL.
                try connection.execute("PRAGMA user_version = \(script.version)")
            }
        }
    }

    private static func validate(_ connection: Connection, version: Int64) throws {
        let latest = MigrationScripts.latestVersion
        if version > latest {
            throw StreamLogError(
                .schemaTooNew,
                "\(connection.path) has schema version \(version), newer than this build of StreamLog "
                    + "understands (version \(latest)); upgrade StreamLog to open it")
        }
        let applicationID = try connection.scalarInt("PRAGMA application_id") ?? 0
        if applicationID != 0 && applicationID != Self.applicationID {
            throw StreamLogError(
                .notADatabase,
                "\(connection.path) belongs to another application (application_id \(applicationID)), "
                    + "not StreamLog")
        }
        if version == 0 {
            let objects = try connection.scalarInt("SELECT count(*) FROM sqlite_schema") ?? 0
            if objects > 0 {
                throw StreamLogError(
                    .notADatabase,
                    "\(connection.path) is an SQLite database but not a StreamLog one "
                        + "(it has \(objects) schema objects and no StreamLog schema version)")
            }
        }
    }
}
