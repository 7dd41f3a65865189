extension LogDatabase {
    /// Settings of a competing-consumer group, stored in the file so every member (thread or
    /// process) applies the same ones.
    public struct GroupOptions: Sendable, Hashable {
        /// The default ``maxDeliveries``: 5, as in common work-queue brokers.
        public static let defaultMaxDeliveries = 5

        /// Deliveries of one event before it moves to the dead-letter topic instead of being
        /// delivered again (see ``LogDatabase/deadLetterTopic(group:topic:)``); `nil` never
        /// dead-letters. At least 1.
        public var maxDeliveries: Int?

        /// Options with `maxDeliveries` deliveries before dead-lettering (5 by default).
        public init(maxDeliveries: Int? = GroupOptions.defaultMaxDeliveries) {
            self.maxDeliveries = maxDeliveries
        }
    }
}
