import StreamLogMigrations

/// A row of `topics` that never changes once written: the id and the event table derived from it.
struct TopicRecord: Sendable, Hashable {
    let id: Int64
    let name: String

    /// `topic_<id>`: built from the integer id only, so the user's name never reaches SQL text.
    var table: String { Self.table(topicID: id) }

    /// The trigger that keeps the topic's counter when its newest event is deleted (named in
    /// `Migrations/topic_table.sql`).
    var counterTrigger: String { "\(table)_keeps_counter" }

    /// The DDL of this topic's event table and its trigger, from the template in
    /// `Migrations/topic_table.sql`.
    var createTableSQL: String { Self.sql(fromTemplate: MigrationScripts.topicTableTemplate, topicID: id) }

    /// `template` for the topic whose id is `topicID`: `{table}` becomes its table and `{id}` the
    /// id. Built from the integer only, so no user input reaches the SQL.
    static func sql(fromTemplate template: String, topicID: Int64) -> String {
        template.replacingOccurrences(of: "{table}", with: table(topicID: topicID))
            .replacingOccurrences(of: "{id}", with: String(topicID))
    }

    private static func table(topicID: Int64) -> String { "topic_\(topicID)" }
}
