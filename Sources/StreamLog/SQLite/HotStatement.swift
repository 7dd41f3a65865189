/// The statements run once per event batch, subscriber page or consumer commit, which the
/// connection finds by a small key (``Connection/cached(_:topicID:sql:)``) instead of by their
/// text.
///
/// The general cache hashes the SQL text on every lookup, and a topic's statements must first
/// be built by interpolating its table name: together 4–5 % of the instructions of an event at
/// batch 1 (callgrind, `streamlog send --batch-size 1`). Each case's SQL is fixed by the case and,
/// for a topic's statements, by the topic id (its table is `topic_<id>`), so the key names it
/// exactly; a topic recreated with the same id has the same table name and the same SQL.
enum HotStatement: UInt8, Hashable {
    /// `LogDatabase.reserveSeqs`: takes a batch's seqs from the topic row.
    case reserveSeqs
    /// `LogDatabase.reserveSeqs`: reads back what it took.
    case readReservedSeqs
    /// `LogDatabase.appendRows`: inserts an event into a topic's table.
    case appendEvent
    /// `ObjectStore.insert`: inserts an object's row.
    case insertObjectRow
    /// `LogDatabase.subscriberPage`: a page of a topic with its small objects.
    case subscriberPage
    /// `LogDatabase.commitConsumption`: deletes the objects of a run of a topic's seqs.
    case evictObjects
    /// `LogDatabase.commitConsumption`: deletes their chunks.
    case evictChunks
}

/// A ``HotStatement`` for one topic (`topicID` 0 for statements that name no topic table).
struct HotStatementKey: Hashable {
    let statement: HotStatement
    let topicID: Int64
}
