import StreamLogMigrations

/// A row of `topics` that never changes once written: the id and the event table derived from it.
struct TopicRecord: Sendable, Hashable {
    let id: Int64
    let name: String

    /// `topic_<id>`: built from the integer id only, so the user's name never reaches SQL text.
    var table: String { "topic_\(id)" }

    /// The DDL of this topic's event table, from the template in `Migrations/topic_table.sql`.
    var createTableSQL: String {
        MigrationScripts.topicTableTemplate.replacingOccurrences(of: "{table}", with: table)
    }
}
