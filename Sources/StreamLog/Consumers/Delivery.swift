extension LogDatabase {
    /// One event handed to a group member by ``claim(group:topic:member:limit:lease:)``.
    public struct Delivery: Sendable, Hashable {
        /// The event. For an end-of-stream delivery, the topic's end-of-stream event.
        public let event: Event
        /// What the member presents to ack, nack or extend the lease.
        public let receipt: Receipt
        /// Which delivery of this event this is within the group: 1 the first time; 0 for the
        /// end-of-stream delivery, which is given to every member and never leased.
        public let attempt: Int
        /// When the lease ends unless acked or extended; `nil` for the end-of-stream delivery.
        public let leaseExpiry: Timestamp?

        /// Whether this delivery is the topic's end-of-stream: the member should stop.
        public var isEndOfStream: Bool { event.isEndOfStream }
    }
}
