import Foundation

/// The durable ``EventSubscriber``: reads its topics by cursor from a StreamLog file.
///
/// It uses its own connection, so it sees commits from every other connection and process.
/// While nothing is new it waits through a ``CommitWaiter`` (inotify on Linux) instead of
/// spinning, and confirms with `PRAGMA data_version` before querying.
///
/// Anonymous subscribers (``Start``) write nothing: replaying never changes the file.
public final class SQLiteSubscriber: EventSubscriber, @unchecked Sendable {
    // @unchecked: a subscriber is used by one consumer at a time (see EventSubscriber), and all of
    // its mutable state is touched only from that consumer's calls; `database` is Sendable.

    /// Where an anonymous subscriber starts.
    public enum Start: Sendable, Hashable {
        /// The first retained event.
        case beginning
        /// The first event appended after the subscriber was made.
        case end
        /// The first event with a seq greater than this one.
        case after(Int64)
    }

    public let topics: [String]
    /// The connection the subscriber reads with.
    public let database: LogDatabase
    /// Events read per query and topic.
    public let pageSize: Int
    /// Evictions of fetched objects written per transaction while events keep coming (each
    /// transaction takes the write lock from producers, so fewer, larger ones stream faster).
    static let evictionBatch = 1024

    /// One subscribed topic: its cursor and the page read ahead of delivery.
    private struct TopicState {
        let name: String
        /// Seq of the last event delivered.
        var cursor: Int64
        /// Whether the end of stream was delivered (or the cursor was past it from the start).
        var finished: Bool
        var page: [Event] = []
        /// Small objects read with the page, aligned with it.
        var objects: [StoredObject?] = []
        var head = 0
        /// Seqs of the last two delivered events whose object this file's store holds and the
        /// event says to evict: an eviction extends the open run only if nothing evictable was
        /// delivered between the run's end and it.
        var lastEvictable: Int64 = 0
        var previousEvictable: Int64 = 0
        /// The evictions not yet committed that can still grow.
        var openRun: EvictionRun?

        var hasBuffered: Bool { head < page.count }
    }

    /// The event ``nextMessage(timeout:)`` returned last, acknowledged by its next call.
    var lastMessage: Event?
    private let waiter: CommitWaiter
    private let position: CursorPosition
    private var states: [TopicState] = []
    private var lastDataVersion: Int64 = -1
    /// `data_version` at the last read of pages: when it is unchanged, nobody has committed since.
    private var dataVersionAtLastRead: Int64 = -1
    /// A `data_version` the last wait read and found new, for the next ``refill()`` to use
    /// instead of asking again: a version read before the page is as good as one read just
    /// before it (a commit in between is seen by the following refill).
    private var versionSeenByWait: Int64?
    private var unwrittenAcknowledgements: [String: Int64] = [:]
    private var unwrittenCount = 0
    /// The object read with the event delivered last: the one an eager consumer fetches next.
    private var deliveredObject: (topic: String, seq: Int64, object: StoredObject)?
    /// Uncommitted evictions that can no longer grow (the open ones are in the topic states).
    private var closedEvictionRuns: [EvictionRun] = []
    private var unwrittenEvictionCount = 0

    /// A subscriber to `topics` of the file at `path`, starting at `start`.
    ///
    /// Topics that do not exist yet are waited for.
    ///
    /// - Throws: `.invalidArgument` for an empty topic list or a bad name; the errors of
    ///   ``LogDatabase/init(path:options:)``.
    public convenience init(
        path: String, topics: [String], start: Start = .beginning, pageSize: Int = 256,
        options: LogDatabase.Options = .init()
    ) throws {
        try self.init(database: LogDatabase(path: path, options: options), topics: topics,
                      position: .anonymous(start), pageSize: pageSize)
    }

    /// A durable subscriber: the named consumer's cursor on each topic is kept in the file, so a
    /// restarted consumer resumes after the last acknowledged event. A consumer seen for the first
    /// time starts at the first retained event; topics that do not exist yet are created empty.
    ///
    /// Acknowledgements are written in batches of up to `acknowledgementBatch` events, and always
    /// before the subscriber waits for new events and on close: after a crash, at most that many
    /// events that were acknowledged are delivered again (at-least-once). Evictions of fetched
    /// objects are written with the acknowledgement of their event, never before, so an event
    /// delivered again comes with its object.
    public convenience init(
        path: String, topics: [String], consumer: String, pageSize: Int = 256, acknowledgementBatch: Int = 64,
        options: LogDatabase.Options = .init()
    ) throws {
        try TopicName.validate(consumer, kind: "consumer")
        try self.init(database: LogDatabase(path: path, options: options), topics: topics,
                      position: .durable(consumer: consumer, batch: max(acknowledgementBatch, 1)), pageSize: pageSize)
    }

    init(database: LogDatabase, topics: [String], position: CursorPosition, pageSize: Int) throws {
        guard !topics.isEmpty else { throw StreamLogError(.invalidArgument, "a subscriber needs at least one topic") }
        for topic in topics { try TopicName.validate(topic) }
        self.topics = topics
        self.database = database
        self.pageSize = max(pageSize, 1)
        self.position = position
        self.waiter = CommitWaiter(databasePath: database.path)
        var seen: Set<String> = []
        for topic in topics where seen.insert(topic).inserted {
            let cursor = try position.initialCursor(topic: topic, database: database)
            // At or past the end of a closed topic (a durable consumer that read its end of stream,
            // a replay from the end), nothing is left to deliver, not even the end of stream.
            states.append(TopicState(name: topic, cursor: cursor, finished: try database.topicEnded(topic, at: cursor)))
        }
    }

    public var isFinished: Bool { states.allSatisfy(\.finished) }

    /// Whether the subscriber watches the file for commits (for tests: it stops while it reads a
    /// backlog and starts again when it waits).
    var isWatchingForCommits: Bool { waiter.isWatching }

    private var hasBufferedEvents: Bool { states.contains(where: \.hasBuffered) }

    public func nextEvent(timeout: Duration?) throws -> Event? {
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now.advanced(by: $0) }
        while true {
            if let event = takeBuffered() { return event }
            if isFinished {
                try commitAcknowledgements()
                return nil
            }
            if try refill() { continue }
            try commitAcknowledgements()  // caught up: a good moment to persist the cursor
            if let deadline, clock.now >= deadline { return nil }
            try waiter.wait(until: deadline) {
                let version = try database.dataVersion()
                guard version != lastDataVersion else { return false }
                versionSeenByWait = version
                return true
            }
        }
    }

    public func acknowledge(_ event: Event) throws {
        if case .durable = position {
            unwrittenAcknowledgements[event.topic] = max(unwrittenAcknowledgements[event.topic] ?? 0, event.seq)
        }
        unwrittenCount += 1
        if position.consumer != nil && unwrittenCount >= position.batch { try commitAcknowledgements() }
    }

    /// Writes the recorded acknowledgements and the evictions of fetched objects, in one
    /// transaction.
    public func commitAcknowledgements() throws {
        defer { unwrittenCount = 0 }
        guard !unwrittenAcknowledgements.isEmpty || unwrittenEvictionCount > 0 else { return }
        var evictions = closedEvictionRuns
        for state in states { if let run = state.openRun { evictions.append(run) } }
        if try database.commitConsumption(
            consumer: position.consumer, positions: unwrittenAcknowledgements, evictions: evictions)
        {
            waiter.discardOwnWakeup()
        }
        unwrittenAcknowledgements.removeAll(keepingCapacity: true)
        closedEvictionRuns.removeAll(keepingCapacity: true)
        for index in states.indices { states[index].openRun = nil }
        unwrittenEvictionCount = 0
    }

    /// Serves small objects of this file from the page they were read with, and defers their
    /// eviction to the next ``commitAcknowledgements()``; anything else goes to the store.
    public func fetchObject(for event: Event) throws -> StoredObject {
        guard let key = event.key else {
            throw StreamLogError(.invalidArgument, "event \(event.seq) of topic \(quoted(event.topic)) has no object key")
        }
        guard event.store == nil else {
            let store = try database.objectStore(for: event.store)
            return event.evict ? try store.take(key, evictable: true) : try store.get(key)
        }
        // An object this subscriber already fetched for eviction is gone as far as anyone is concerned.
        if event.evict && hasUncommittedEviction(of: event) {
            throw StreamLogError(.objectEvicted, "object \(key) was evicted from the store \(database.path)")
        }
        let object: StoredObject
        var chunked = true
        if let delivered = deliveredObject, delivered.seq == event.seq, delivered.topic == event.topic {
            object = delivered.object
            chunked = false  // only whole (unchunked) objects are read with their page
            deliveredObject = nil
        } else {
            object = try database.objects.get(key, evictable: event.evict)
        }
        if event.evict {
            recordEviction(of: event, mayBeChunked: chunked)
            // A durable subscriber commits an eviction with the acknowledgement of its event, never
            // before: a consumer that crashes while it handles the object gets the event and the
            // object again (at-least-once).
            guard position.consumer == nil else { return object }
            // Batch while events keep coming; commit at once when the consumer has caught up and
            // nobody has committed since (an idle stream), so a lone object is gone as soon as it
            // is fetched. Otherwise the next wait, or the batch filling up, commits it. Best
            // effort: the object is already the caller's, and a commit that fails here (a busy
            // timeout) is made again before the next wait, which reports its error.
            let idle = !hasBufferedEvents && (try? database.dataVersion()) == dataVersionAtLastRead
            if unwrittenEvictionCount >= Self.evictionBatch || idle { try? commitAcknowledgements() }
        }
        return object
    }

    /// Adds the fetched object of an evictable event to the uncommitted evictions: to its topic's
    /// open run when the event is the next evictable one after it, else as a new run.
    private func recordEviction(of event: Event, mayBeChunked: Bool) {
        unwrittenEvictionCount += 1
        guard let index = states.firstIndex(where: { $0.name == event.topic }) else { return }
        if var run = states[index].openRun, event.seq == states[index].lastEvictable,
           states[index].previousEvictable == run.last
        {
            run.last = event.seq
            run.mayBeChunked = run.mayBeChunked || mayBeChunked
            states[index].openRun = run
            return
        }
        if let run = states[index].openRun { closedEvictionRuns.append(run) }
        let run = EvictionRun(topic: event.topic, first: event.seq, last: event.seq, mayBeChunked: mayBeChunked)
        if event.seq == states[index].lastEvictable {
            states[index].openRun = run
        } else {
            // Fetched out of delivery order (a proxy resolved late): this run cannot grow.
            states[index].openRun = nil
            closedEvictionRuns.append(run)
        }
    }

    /// Whether this subscriber fetched the event's object for eviction and has not committed yet.
    private func hasUncommittedEviction(of event: Event) -> Bool {
        if states.contains(where: { $0.openRun?.contains(topic: event.topic, seq: event.seq) == true }) { return true }
        return closedEvictionRuns.contains { $0.contains(topic: event.topic, seq: event.seq) }
    }

    public func objectStore(for event: Event) throws -> ObjectStore {
        try database.objectStore(for: event.store)
    }

    public func close(stores: Bool) {
        try? commitAcknowledgements()
        if stores { database.closeStores() }
        database.close()
    }

    /// The buffered event to deliver next: the earliest appended across topics (ties go to the
    /// topic listed first), so one topic cannot starve another.
    private func takeBuffered() -> Event? {
        var best: Int?
        for index in states.indices where states[index].hasBuffered {
            if let current = best {
                let candidate = states[index].page[states[index].head].time
                if candidate < states[current].page[states[current].head].time { best = index }
            } else {
                best = index
            }
        }
        guard let index = best else { return nil }
        let head = states[index].head
        let event = states[index].page[head]
        states[index].head = head + 1
        states[index].cursor = event.seq
        if event.isEndOfStream { states[index].finished = true }
        if event.evict && event.key != nil && event.store == nil {
            states[index].previousEvictable = states[index].lastEvictable
            states[index].lastEvictable = event.seq
        }
        if let object = states[index].objects[head] {
            deliveredObject = (event.topic, event.seq, object)
        } else {
            deliveredObject = nil
        }
        return event
    }

    /// Reads the next page of every unfinished topic whose buffer is empty. Returns whether
    /// anything was read. Skips the queries when no other connection committed since last time.
    private func refill() throws -> Bool {
        let version = try versionSeenByWait ?? database.dataVersion()
        versionSeenByWait = nil
        guard version != lastDataVersion else { return false }
        waiter.sawCommit()
        dataVersionAtLastRead = version
        var readAny = false
        for index in states.indices where !states[index].finished && !states[index].hasBuffered {
            do {
                (states[index].page, states[index].objects) = try database.subscriberPage(
                    topic: states[index].name, after: states[index].cursor, limit: pageSize)
            } catch let error as StreamLogError where error.code == .topicNotFound {
                continue  // not created yet: a subscriber may start before its producer
            }
            states[index].head = 0
            if !states[index].page.isEmpty { readAny = true }
        }
        // Remember the version only once every topic is drained, so a page-sized read is
        // followed by another query rather than a wait.
        if !readAny { lastDataVersion = version }
        if readAny { waiter.readFoundEvents() }
        return readAny
    }
}

/// Where a subscriber's cursors come from.
enum CursorPosition: Sendable {
    /// Replay: cursors live in memory only; nothing is written.
    case anonymous(SQLiteSubscriber.Start)
    /// A named durable consumer: cursors live in the `cursors` table; acknowledgements are
    /// written every `batch` events.
    case durable(consumer: String, batch: Int)

    /// Acknowledgements (and evictions) written per transaction.
    var batch: Int {
        switch self {
        case .anonymous: return 64
        case .durable(_, let batch): return batch
        }
    }

    /// The durable consumer's name, `nil` for an anonymous subscriber.
    var consumer: String? {
        if case .durable(let consumer, _) = self { return consumer }
        return nil
    }

    func initialCursor(topic: String, database: LogDatabase) throws -> Int64 {
        switch self {
        case .anonymous(.beginning): return 0
        case .anonymous(.after(let seq)): return seq
        case .anonymous(.end): return try database.topicExists(topic) ? database.lastSeq(topic: topic) : 0
        case .durable(let consumer, _):
            try database.createTopic(topic)
            return try database.registerConsumer(consumer, topic: topic)
        }
    }
}
