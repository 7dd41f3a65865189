extension LogDatabase {
    /// An event a group gave up on, as stored in the group's dead-letter topic.
    public struct DeadLetter: Sendable, Hashable {
        /// The event in the dead-letter topic: the original's payload (or a copy of its object),
        /// encoding and metadata, plus the ``LogDatabase/deadLetterMetadataKey`` entry.
        public let event: Event
        /// The seq of the original event in its topic.
        public let originalSeq: Int64
        /// How many times the group delivered the original event.
        public let attempts: Int
        /// The error text of the last nack, if any.
        public let error: String?
    }

    /// What ``LogDatabase/redrive(group:topic:)`` did.
    public struct RedriveResult: Sendable, Hashable {
        /// Dead letters whose original event is still retained: the group will deliver the
        /// original again (attempts start over).
        public var released: Int
        /// Dead letters whose original event is gone (trimmed, or its object evicted): appended to
        /// the topic again as new events, which every consumer of the topic will see.
        public var reappended: Int
        /// Dead letters left where they are: the original is gone and the topic is closed.
        public var kept: Int
    }
}
