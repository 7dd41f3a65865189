/// The result of ``LogDatabase/check(maxProblemsPerCheck:)``: SQLite's integrity check plus
/// StreamLog's own invariants.
public struct CheckReport: Sendable, Hashable {
    /// Which invariant a problem breaks. New kinds may be added over time.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// `PRAGMA integrity_check` reported damage (pages, indexes, records).
        public static let integrity = Kind("integrity")
        /// `PRAGMA foreign_key_check` found a row referring to a missing row.
        public static let foreignKey = Kind("foreignKey")
        /// A topic's event table or its counter trigger is missing, or an event table has no topic.
        public static let topicTable = Kind("topicTable")
        /// A seq below 1.
        public static let seqRange = Kind("seqRange")
        /// An event's time is earlier than the time of the event before it.
        public static let timeOrder = Kind("timeOrder")
        /// More than one end-of-stream event, one that is not last, or a closed flag that disagrees.
        public static let endOfStream = Kind("endOfStream")
        /// An event row whose columns do not describe an event (no payload and no key, a bad key…).
        public static let eventShape = Kind("eventShape")
        /// A key event whose object is not in the store, though the event does not say `evict` and
        /// no eviction is recorded.
        public static let missingObject = Kind("missingObject")
        /// An object whose chunks do not add up to its recorded size.
        public static let objectChunks = Kind("objectChunks")
        /// A consumer cursor, group frontier or lease outside the seqs its topic has given.
        public static let cursorRange = Kind("cursorRange")
    }

    /// One broken invariant.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// Which invariant.
        public var kind: Kind
        /// The topic concerned, if any.
        public var topic: String?
        /// A sentence naming the problem (seqs, keys, tables).
        public var message: String

        public var description: String { message }
    }

    /// Every problem found, in the order of the checks; empty when the file is healthy.
    public var problems: [Problem] = []
    /// Topics checked.
    public var topics = 0
    /// Event rows checked, end-of-stream events included.
    public var events = 0
    /// Objects of this file's store checked.
    public var objects = 0

    /// `true` when no problem was found.
    public var isHealthy: Bool { problems.isEmpty }
}
