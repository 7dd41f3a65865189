extension LogDatabase {
    /// What ``LogDatabase/append(_:dedupKeys:objects:to:window:)`` did with a batch.
    public struct DedupAppendResult: Sendable, Hashable {
        /// An event that was dropped because its key was already seen on the topic.
        public struct Duplicate: Sendable, Hashable {
            /// The event's index in the batch.
            public let index: Int
            /// Its dedup key.
            public let key: String
            /// The seq of the event first appended with that key.
            public let seq: Int64
        }

        /// The seqs of the events that were appended (in batch order), `nil` when none was.
        public let appended: ClosedRange<Int64>?
        /// The events that were dropped, in batch order.
        public let duplicates: [Duplicate]
    }
}
