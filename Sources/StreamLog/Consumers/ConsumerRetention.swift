extension LogDatabase {
    /// What happens to a topic's events once every registered durable consumer and group of the
    /// topic has passed them (acknowledged, acked or dead-lettered). Stored per topic.
    ///
    /// A topic with no registered consumer and no group has nothing consumed: the policy then
    /// removes nothing. The policy runs in the transaction of every acknowledge, ack, seek,
    /// dead-lettering and consumer or group removal on the topic, and costs a lookup or two
    /// when there is nothing new to remove.
    public enum ConsumerRetention: Int, Sendable, Hashable, CaseIterable {
        /// Keep events and objects (the default). ``LogDatabase/evictConsumedObjects(topic:)``
        /// and ``LogDatabase/trimConsumed(topic:)`` still work when called.
        case keep = 0
        /// Delete the objects of consumed events from this file's object store, as
        /// ``LogDatabase/evictConsumedObjects(topic:)`` does: the events stay (a replay reports
        /// `.objectEvicted` for their objects). Objects in other files are left alone.
        case evictObjects = 1
        /// Delete consumed object events and the objects only they referenced, as
        /// ``LogDatabase/trimConsumed(topic:)`` does. The end-of-stream event stays.
        case deleteEvents = 2
    }
}
