/// Evictions a subscriber has made and not yet committed, as one range of a topic's seqs: every
/// `evict: true` event of this file's store in `first...last` had its object fetched, so one
/// statement deletes the objects the range's events refer to.
///
/// A range instead of a key list: one `DELETE … WHERE key IN (SELECT key FROM topic_N WHERE seq
/// BETWEEN …)` per range costs less than a statement per object, and an eager consumer fetches
/// every evictable object in order, so its evictions form one range per topic and batch.
struct EvictionRun: Sendable, Equatable {
    /// The topic the events are in.
    let topic: String
    /// Seq of the first evicted event.
    let first: Int64
    /// Seq of the last evicted event.
    var last: Int64
    /// Whether one of the objects may be stored in chunks (one not read whole with its page).
    var mayBeChunked: Bool

    /// Whether the event with `seq` of `topic` is in the range (then, if the event is evictable,
    /// its object is as good as gone).
    func contains(topic: String, seq: Int64) -> Bool {
        first <= seq && seq <= last && self.topic == topic
    }
}
