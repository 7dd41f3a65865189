extension LogDatabase {
    /// Proof that a group member holds the lease of one event: ``ack(_:)-(Receipt)``,
    /// ``nack(_:delay:error:)`` and ``extendLease(_:by:)`` present it.
    ///
    /// The token changes on every delivery, so a member whose lease expired and whose event was
    /// delivered again cannot complete it: its receipt is then stale (`.staleReceipt`).
    /// The end-of-stream delivery carries a receipt with token 0; acking it does nothing.
    public struct Receipt: Sendable, Hashable, CustomStringConvertible {
        /// The group the event was delivered to.
        public let group: String
        /// The topic of the event.
        public let topic: String
        /// The event's seq.
        public let seq: Int64
        /// The delivery's fencing token: random, new on every delivery; 0 for end-of-stream.
        public let token: Int64
        /// Row ids resolved at claim time, so acks skip the name lookups.
        let groupID: Int64?
        let topicID: Int64?

        /// A receipt from its parts, for example one passed between processes as text.
        public init(group: String, topic: String, seq: Int64, token: Int64) {
            self.init(group: group, topic: topic, seq: seq, token: token, groupID: nil, topicID: nil)
        }

        init(group: String, topic: String, seq: Int64, token: Int64, groupID: Int64?, topicID: Int64?) {
            self.group = group
            self.topic = topic
            self.seq = seq
            self.token = token
            self.groupID = groupID
            self.topicID = topicID
        }

        /// Whether this is the receipt of an end-of-stream delivery (nothing to ack).
        public var isEndOfStream: Bool { token == 0 }

        public static func == (lhs: Receipt, rhs: Receipt) -> Bool {
            lhs.group == rhs.group && lhs.topic == rhs.topic && lhs.seq == rhs.seq && lhs.token == rhs.token
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(group)
            hasher.combine(topic)
            hasher.combine(seq)
            hasher.combine(token)
        }

        public var description: String {
            "receipt \(token) for event \(seq) of topic \(quoted(topic)) in group \(quoted(group))"
        }
    }
}
