extension LogDatabase {
    /// How far a consumer or group is behind its topic.
    public struct Lag: Sendable, Hashable {
        /// Object events not yet consumed (end-of-stream is not counted): for a consumer, those
        /// after its position; for a group, those not yet acked or dead-lettered.
        public var events: Int
        /// When the oldest unconsumed object event was appended; `nil` when there is none.
        public var oldestUnconsumed: Timestamp?
        /// How long the oldest unconsumed object event has waited, at the time of the query;
        /// `nil` when there is none.
        public var age: Duration?
    }

    /// One row of ``LogDatabase/cursors(topic:)``: a named durable consumer or a group.
    public struct ConsumerInfo: Sendable, Hashable {
        /// The consumer's name, or the group's name when ``isGroup``.
        public var name: String
        /// The topic.
        public var topic: String
        /// Whether this is a competing-consumer group.
        public var isGroup: Bool
        /// Seq of the last acknowledged event (0 before any); for a group, every event up to it
        /// is acked or dead-lettered.
        public var position: Int64
        /// What is left to consume.
        public var lag: Lag
        /// Events currently leased to a member whose lease has not expired (0 for a consumer).
        public var inFlight: Int
    }
}
