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
    /// `LogDatabase.nextSeqAndTime`: the first seq and the time of a topic's next batch.
    case nextSeqAndTime
    /// `LogDatabase.appendRows`: inserts an event into a topic's table.
    case appendEvent
    /// `LogDatabase.appendRows`: inserts several events (``HotStatementKey/rows`` of them) into a
    /// topic's table (see ``MultiRowInsert``).
    case appendEvents
    /// `ObjectStore.insert`: inserts an object's row.
    case insertObjectRow
    /// `ObjectStore.insert`: inserts several objects' rows.
    case insertObjectRows
    /// `LogDatabase.subscriberPage`: a page of a topic with its small objects.
    case subscriberPage
    /// `LogDatabase.commitConsumption`: deletes the objects of a run of a topic's seqs.
    case evictObjects
    /// `LogDatabase.commitConsumption`: deletes their chunks.
    case evictChunks
}

/// A ``HotStatement`` for one topic (`topicID` 0 for statements that name no topic table) and,
/// for a multi-row insert, its number of rows (1 otherwise).
struct HotStatementKey: Hashable {
    let statement: HotStatement
    let topicID: Int64
    let rows: Int
}
