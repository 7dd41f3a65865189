extension LogDatabase {
    /// Where ``seek(consumer:topic:to:)`` and ``seek(group:topic:to:)`` move a position.
    public enum SeekTarget: Sendable, Hashable {
        /// The first retained event is delivered next.
        case start
        /// The next event appended is delivered next; everything retained now is skipped.
        case end
        /// The event with this seq (or the first retained one after it) is delivered next.
        case seq(Int64)
        /// The first event appended at or after this time is delivered next (`.end` when none).
        case time(Timestamp)
    }
}
