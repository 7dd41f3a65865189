import Foundation

/// Sends objects to topics: buffers them per topic, puts them into an object store (or inlines
/// them), and publishes one event batch per flush. ProxyStore's `StreamProducer`, made durable.
///
/// ```swift
/// let publisher = try SQLitePublisher(path: "streams.db")
/// let producer = StreamProducer<String>(publisher: publisher, defaultStore: publisher.database.objects,
///                                       options: .init(batchSize: 100))
/// try producer.send("hello", to: "greetings", metadata: ["lang": "en"])
/// try producer.close()                      // flushes: nothing buffered is lost
/// ```
///
/// Thread-safe: every call takes the producer's lock, so sends from several threads interleave
/// whole and per-thread order is kept.
public final class StreamProducer<T: Sendable>: @unchecked Sendable {
    // @unchecked: all mutable state (`buffers`, `knownOpen`, `closedTopics`, `deferredError`,
    // `isClosed`) is only touched under `lock`; the rest is immutable and Sendable.

    /// Where a topic's objects go.
    public enum StoreChoice: Sendable {
        /// Inside the events themselves (no object store).
        case inline
        /// Into this object store; events carry the key.
        case store(ObjectStore)
    }

    /// What a send does when the topic has ``Options/maxPending`` un-consumed events.
    public enum Backpressure: Sendable, Hashable {
        /// Wait for consumers to catch up, up to the timeout, then fail with `.backpressure`.
        case wait(timeout: Duration)
        /// Fail at once with `.backpressure`.
        case fail
    }

    /// Tuning of a producer.
    public struct Options: Sendable {
        /// Objects buffered per topic before a flush; 1 publishes every send at once.
        public var batchSize: Int = 1
        /// Flush a partial batch once its oldest object has waited this long (`nil`: never).
        public var maxDelay: Duration?
        /// Bound on un-consumed object events per topic (counted after the slowest registered
        /// durable consumer or group); `nil` for no bound. A flush that would exceed it waits or
        /// fails (see ``backpressure``); one larger than the bound goes out when nothing is
        /// un-consumed. A send whose flush fails is not buffered: retrying it sends it once.
        public var maxPending: Int?
        /// What to do when ``maxPending`` is reached.
        public var backpressure: Backpressure = .wait(timeout: .seconds(30))

        /// Options with the given batch size and bounds.
        public init(batchSize: Int = 1, maxDelay: Duration? = nil, maxPending: Int? = nil,
                    backpressure: Backpressure = .wait(timeout: .seconds(30))) {
            self.batchSize = max(batchSize, 1)
            self.maxDelay = maxDelay
            self.maxPending = maxPending
            self.backpressure = backpressure
        }
    }

    /// The transport events are published to.
    public let publisher: any EventPublisher
    /// The producer's tuning.
    public let options: Options
    /// The store used for topics without an entry in ``stores``; `nil` means inline.
    public let defaultStore: ObjectStore?
    /// Per-topic store choices.
    public let stores: [String: StoreChoice]

    private let encoding: String
    private let encode: @Sendable (T) throws -> Data
    private let aggregator: (@Sendable ([T]) throws -> T)?
    private let filter: (any StreamFilter)?
    private let lock = NSLock()
    private var buffers: [String: ProducerTopicBuffer] = [:]
    /// The values sent to each topic since its last flush, for the aggregator only (without one,
    /// objects are encoded when sent and only their bytes are buffered).
    private var aggregatorValues: [String: [T]] = [:]
    private var topicOrder: [String] = []
    private var knownOpen: Set<String> = []
    private var closedTopics: Set<String> = []
    private var deferredError: (any Error)?
    private var isClosed = false
    private var timer: DispatchSourceTimer?

    /// A producer encoding objects with `codec`.
    ///
    /// - Parameters:
    ///   - aggregator: collapses each flushed batch into one object (its metadata is the union of
    ///     the items' metadata, later keys winning; it is evictable if any item was).
    ///   - filter: drops objects whose metadata it rejects, before they are buffered.
    public init<Codec: StreamCodec>(
        publisher: any EventPublisher, codec: Codec, defaultStore: ObjectStore? = nil,
        stores: [String: StoreChoice] = [:], options: Options = Options(),
        aggregator: (@Sendable ([T]) throws -> T)? = nil, filter: (any StreamFilter)? = nil
    ) where Codec.Value == T {
        self.publisher = publisher
        self.encoding = codec.encoding
        self.encode = { try codec.encode($0) }
        self.defaultStore = defaultStore
        self.stores = stores
        self.options = options
        self.aggregator = aggregator
        self.filter = filter
        if let maxDelay = options.maxDelay { startTimer(maxDelay) }
    }

    deinit { timer?.cancel() }

    /// Buffers `object` for `topic`, flushing the topic when its batch is full.
    ///
    /// - Parameters:
    ///   - evict: the first consumer to resolve the object deletes it from the store.
    ///   - metadata: seen by filters, stored as JSON with the event.
    /// - Throws: `.topicClosed` when the topic is closed (checked before the filter, by any
    ///   producer, across restarts); `.backpressure`; the publisher's errors.
    public func send(_ object: T, to topic: String, evict: Bool = true, metadata: Metadata = [:]) throws {
        lock.lock()
        defer { lock.unlock() }
        try throwDeferredError()
        try checkOpen(topic)
        if let filter, filter.shouldDrop(metadata) { return }
        if buffers[topic] == nil {
            topicOrder.append(topic)
            buffers[topic] = ProducerTopicBuffer()
        }
        // Encoded now: a codec error belongs to this call. The buffers hold no `T`, so the hot
        // path runs no unspecialised generic code (a caller in another module gets none).
        let data: Data
        if aggregator == nil {
            data = try encode(object)
        } else {
            data = Data()
            aggregatorValues[topic, default: []].append(object)
        }
        // Mutated in place: copying the buffer out of the dictionary would copy its items on
        // every send (quadratic in the batch size).
        let count = withBuffer(topic) { buffer in
            if buffer.items.isEmpty {
                buffer.oldest = .now
                buffer.items.reserveCapacity(options.batchSize)
            }
            buffer.items.append(BufferedObject(data: data, evict: evict, metadata: metadata))
            return buffer.items.count
        }
        guard count >= options.batchSize else { return }
        do {
            try flushLocked(topic, closing: false)
        } catch {
            // The call failed, so its object must not be published by a later flush: a caller
            // that retries the send would publish it twice. The objects of earlier sends stay
            // buffered for the next flush.
            withdrawLastSent(topic)
            throw error
        }
    }

    /// Publishes every buffered object of `topic` as one batch. Nothing happens when the buffer
    /// is empty.
    public func flushTopic(_ topic: String) throws {
        lock.lock()
        defer { lock.unlock() }
        try throwDeferredError()
        try flushLocked(topic, closing: false)
    }

    /// Flushes every topic this producer has sent to.
    public func flush() throws {
        lock.lock()
        defer { lock.unlock() }
        try throwDeferredError()
        for topic in topicOrder { try flushLocked(topic, closing: false) }
    }

    /// Closes each topic: flushes its buffer and appends the end-of-stream event in the same
    /// batch, so it is ordered after everything sent before. Closing a closed topic does nothing.
    public func closeTopics(_ topics: [String]) throws {
        lock.lock()
        defer { lock.unlock() }
        try throwDeferredError()
        for topic in topics {
            try TopicName.validate(topic)
            try flushLocked(topic, closing: true)
            closedTopics.insert(topic)
        }
    }

    /// Closes each topic; see ``closeTopics(_:)-([String])``.
    public func closeTopics(_ topics: String...) throws { try closeTopics(topics) }

    /// Closes the producer: closes `topics`, flushes every buffer (unless `discardBuffered`),
    /// then closes the publisher and, with `stores`, the object stores it used.
    ///
    /// Unlike ProxyStore, buffered objects are flushed by default: nothing is lost silently.
    ///
    /// If closing a topic or flushing fails, the call throws and the producer stays open with
    /// the objects not yet published still buffered, so that it can be retried (or called with
    /// `discardBuffered`). Closing a closed producer does nothing.
    public func close(topics: [String] = [], publisher closePublisher: Bool = true, stores closeStores: Bool = false,
                      discardBuffered: Bool = false) throws {
        lock.lock()
        let alreadyClosed = isClosed
        lock.unlock()
        if alreadyClosed { return }
        try closeTopics(topics)
        if !discardBuffered { try flush() }
        timer?.cancel()  // only now: a producer left open by a failed close still honours maxDelay
        lock.lock()
        buffers.removeAll()
        aggregatorValues.removeAll()
        isClosed = true
        lock.unlock()
        if closePublisher { publisher.close() }
        if closeStores {
            for store in usedStores() { store.database.close() }
        }
    }

    // MARK: Internals (called with `lock` held)

    /// Removes the object the current send buffered for `topic` (nothing when a failed flush
    /// already dropped the buffer).
    private func withdrawLastSent(_ topic: String) {
        if buffers[topic]?.items.popLast() != nil, aggregator != nil {
            _ = aggregatorValues[topic]?.popLast()
        }
    }

    private func withBuffer<R>(_ topic: String, _ body: (inout ProducerTopicBuffer) throws -> R) rethrows -> R {
        try body(&buffers[topic, default: ProducerTopicBuffer()])
    }

    private func throwDeferredError() throws {
        if isClosed { throw StreamLogError(.closed, "the producer is closed") }
        if let error = deferredError {
            deferredError = nil
            throw error
        }
    }

    private func checkOpen(_ topic: String) throws {
        if closedTopics.contains(topic) { throw topicClosedError(topic) }
        guard !knownOpen.contains(topic) else { return }
        try TopicName.validate(topic)
        // Checked once per topic; a topic closed later by another producer fails at the append.
        if try publisher.isClosed(topic: topic) {
            closedTopics.insert(topic)
            throw topicClosedError(topic)
        }
        knownOpen.insert(topic)
    }

    private func topicClosedError(_ topic: String) -> StreamLogError {
        StreamLogError(.topicClosed, "topic \(quoted(topic)) is closed; nothing more can be sent to it")
    }

    private func store(for topic: String) -> ObjectStore? {
        switch stores[topic] {
        case .inline?: return nil
        case .store(let store)?: return store
        case nil: return defaultStore
        }
    }

    private func usedStores() -> [ObjectStore] {
        var seen: Set<String> = []
        return ([defaultStore].compactMap { $0 } + stores.values.compactMap {
            if case .store(let store) = $0 { return store }
            return nil
        }).filter { seen.insert(canonicalPath($0.path)).inserted }
    }

    private func flushLocked(_ topic: String, closing: Bool) throws {
        var items = buffers[topic]?.items ?? []
        guard !items.isEmpty || closing else { return }
        if let aggregator, !items.isEmpty {
            var metadata: Metadata = [:]
            for item in items { metadata.merge(item.metadata) { _, later in later } }
            let value = try aggregator(aggregatorValues[topic] ?? [])
            items = [BufferedObject(data: try encode(value), evict: items.contains { $0.evict }, metadata: metadata)]
        }
        var batch = EventBatch(topic: topic, events: [])
        batch.events.reserveCapacity(items.count + 1)
        // Objects for a store in another file, put before the events are published.
        var otherFileStore: (store: ObjectStore, objects: [PendingObject])?
        if let store = store(for: topic) {
            let reference = try publisher.storeReference(for: store)
            var objects: [PendingObject] = []
            objects.reserveCapacity(items.count)
            for item in items {
                let object = PendingObject(data: item.data, encoding: encoding)
                objects.append(object)
                batch.events.append(.stored(key: object.key, size: object.data.count, encoding: encoding,
                                            evict: item.evict, store: reference, metadata: item.metadata))
            }
            // Objects for the publisher's own file commit with their events.
            if reference == nil { batch.objects = objects } else { otherFileStore = (store, objects) }
        } else {
            for item in items {
                batch.events.append(.inline(item.data, encoding: encoding, metadata: item.metadata))
            }
        }
        if closing {
            if batch.events.isEmpty {
                try publisher.closeTopic(topic)
                return
            }
            batch.events.append(.endOfStream(topic: topic))
        }
        try waitForRoom(topic, adding: items.count)
        // A store in another file is written first, so that no event ever refers to an object
        // that is not there yet; if the events then fail, those objects are removed again
        // (best effort: one left behind by a crash in between is an orphan, never a dangling key).
        if let (store, objects) = otherFileStore, !objects.isEmpty { try store.putBatch(objects) }
        do {
            try publisher.publish(batch)
        } catch {
            if let (store, objects) = otherFileStore { try? store.discard(objects.map(\.key)) }
            if let error = error as? StreamLogError, error.code == .topicClosed {
                // Closed by another producer: these objects can never be sent; drop them with the error.
                buffers[topic] = nil
                aggregatorValues[topic] = nil
                closedTopics.insert(topic)
            }
            throw error
        }
        buffers[topic] = ProducerTopicBuffer()
        aggregatorValues[topic] = nil
    }

    /// Backpressure: waits (or fails) while adding `count` events would take the topic past
    /// `maxPending` un-consumed events.
    private func waitForRoom(_ topic: String, adding count: Int) throws {
        guard let maxPending = options.maxPending, count > 0 else { return }
        let clock = ContinuousClock()
        let deadline: ContinuousClock.Instant?
        switch options.backpressure {
        case .fail: deadline = nil
        case .wait(let timeout): deadline = clock.now.advanced(by: timeout)
        }
        var pause: Duration = .microseconds(100)
        // A batch larger than the bound goes out once consumers have caught up completely:
        // otherwise it could never be sent.
        while let pending = try publisher.pendingEvents(topic: topic), pending > 0, pending + count > maxPending {
            guard let deadline, clock.now < deadline else {
                throw StreamLogError(
                    .backpressure,
                    "topic \(quoted(topic)) has \(pending) un-consumed events and this flush adds \(count); "
                        + "the producer allows \(maxPending)")
            }
            Thread.sleep(forTimeInterval: Double(pause.milliseconds) / 1000 + 0.0001)
            pause = min(pause * 2, .milliseconds(20))
        }
    }

    /// Flushes partial batches whose oldest object has waited `maxDelay`.
    private func startTimer(_ maxDelay: Duration) {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "streamlog.producer.max-delay"))
        let tick = max(maxDelay / 4, .milliseconds(1))
        timer.schedule(deadline: .now(), repeating: .milliseconds(Int(max(tick.milliseconds, 1))))
        timer.setEventHandler { [weak self] in self?.flushExpired(maxDelay) }
        self.timer = timer
        timer.resume()
    }

    private func flushExpired(_ maxDelay: Duration) {
        lock.lock()
        defer { lock.unlock() }
        guard !isClosed, deferredError == nil else { return }
        let now = ContinuousClock.now
        for topic in topicOrder {
            guard let oldest = buffers[topic]?.oldest, !(buffers[topic]?.items.isEmpty ?? true),
                  oldest.duration(to: now) >= maxDelay else { continue }
            do { try flushLocked(topic, closing: false) } catch {
                // Reported by the next call on the producer rather than lost on the timer thread.
                deferredError = error
                return
            }
        }
    }
}

extension StreamProducer where T: StreamCodable {
    /// A producer using `T`'s default codec (`Data`, `[UInt8]`, `String`, or JSON for `Codable`).
    public convenience init(
        publisher: any EventPublisher, defaultStore: ObjectStore? = nil, stores: [String: StoreChoice] = [:],
        options: Options = Options(), aggregator: (@Sendable ([T]) throws -> T)? = nil,
        filter: (any StreamFilter)? = nil
    ) {
        self.init(publisher: publisher, codec: T.defaultCodec, defaultStore: defaultStore, stores: stores,
                  options: options, aggregator: aggregator, filter: filter)
    }
}

/// An object waiting in a producer's buffer: its encoded bytes (empty when an aggregator will
/// combine the values), whether it is evictable, and its metadata. Not generic, so buffering
/// needs no generic metadata at run time.
struct BufferedObject {
    var data: Data
    var evict: Bool
    var metadata: Metadata
}

/// A topic's buffered objects, and when the oldest was sent (for `maxDelay`).
struct ProducerTopicBuffer {
    var items: [BufferedObject] = []
    var oldest: ContinuousClock.Instant?
}
