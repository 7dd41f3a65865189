/// One schema migration: the SQL that moves a database from `version - 1` to `version`.
public struct MigrationScript: Sendable {
    /// The `PRAGMA user_version` the database has once this script has run.
    public let version: Int
    /// The file name in `Migrations/`, for example `v0001_initial.sql`.
    public let fileName: String
    /// The SQL text, run as one transaction.
    public let sql: String
    /// SQL run on every topic table that exists when the migration runs, in its transaction,
    /// after `sql`: a template like ``MigrationScripts/topicTableTemplate``, with the same
    /// placeholders. `nil`: the migration changes no topic table.
    public let perTopicSQL: String?

    init(version: Int, fileName: String, sql: String, perTopicSQL: String? = nil) {
        self.version = version
        self.fileName = fileName
        self.sql = sql
        self.perTopicSQL = perTopicSQL
    }
}

/// The SQL files of the `Migrations/` folder, compiled into the binary.
public enum MigrationScripts {
    /// Every migration, in the order it must be applied (versions 1, 2, 3, …).
    public static let all: [MigrationScript] = [
        MigrationScript(version: 1, fileName: "v0001_initial.sql", sql: text(PackageResources.v0001_initial_sql)),
        MigrationScript(version: 2, fileName: "v0002_consumers.sql", sql: text(PackageResources.v0002_consumers_sql)),
        MigrationScript(
            version: 3, fileName: "v0003_objects_by_key.sql", sql: text(PackageResources.v0003_objects_by_key_sql)),
        MigrationScript(
            version: 4, fileName: "v0004_counter_from_events.sql",
            sql: text(PackageResources.v0004_counter_from_events_sql),
            perTopicSQL: text(PackageResources.topic_table_v0004_sql)),
    ]

    /// The template of a topic's event table and its trigger; `{table}` stands for the table
    /// name, `{id}` for the topic's id.
    public static let topicTableTemplate = text(PackageResources.topic_table_sql)

    /// The schema version this build writes and understands.
    public static var latestVersion: Int { all.last?.version ?? 0 }

    private static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
