import Foundation

/// Receives the objects of one or more topics in order: ProxyStore's `StreamConsumer`, made
/// durable.
///
/// ```swift
/// let consumer = try StreamConsumer<String>(subscriber: SQLiteSubscriber(path: "streams.db", topics: ["greetings"]))
/// while let greeting = try consumer.nextObject() { print(greeting) }   // ends at end of stream
/// ```
///
/// Iteration ends once every subscribed topic has delivered its end-of-stream event. Objects in
/// a store come as lazy ``Proxy`` values from ``next(timeout:)``, or fetched eagerly from
/// ``nextObject(timeout:)``. Asking for the next item acknowledges the previous one (durable
/// subscribers advance their cursor then), so delivery is at-least-once; call
/// ``acknowledge()`` to do it earlier.
///
/// Thread-safe: calls are serialised by a lock. Use ``objects`` / ``items`` for `for try await`.
public final class StreamConsumer<T: Sendable>: @unchecked Sendable {
    // @unchecked: the subscriber and `pending` are only used under `lock`.

    /// An object event as delivered: the item and where it came from.
    public struct Delivery: Sendable {
        /// The object, inline or as a proxy.
        public let item: StreamItem<T>
        /// The event's metadata.
        public let metadata: Metadata
        /// The topic it came from.
        public let topic: String
        /// Its seq in that topic.
        public let seq: Int64
    }

    private let subscriber: any EventSubscriber
    private let filter: (any StreamFilter)?
    private let decode: @Sendable (Data, String) throws -> T
    private let lock = NSLock()
    /// The event delivered last, acknowledged by the next call.
    private var pending: Event?
    /// An event taken from the subscriber whose delivery failed for a reason outside the event
    /// (a busy database, a store that cannot be opened): the next call hands it out again instead
    /// of acknowledging it.
    private var undelivered: Event?
    private var isClosed = false
    /// Runs blocking waits off the cooperative thread pool for the async API.
    let waitQueue = DispatchQueue(label: "streamlog.consumer.wait")

    /// A consumer decoding objects with `codec`; `filter` drops events whose metadata it rejects
    /// (deleting their object from the store when the event says `evict`).
    public init<Codec: StreamCodec>(subscriber: any EventSubscriber, codec: Codec, filter: (any StreamFilter)? = nil)
    where Codec.Value == T {
        self.subscriber = subscriber
        self.filter = filter
        self.decode = { try codec.decode($0, encoding: $1) }
    }

    /// Whether every subscribed topic has delivered its end of stream.
    public var isFinished: Bool {
        lock.lock()
        defer { lock.unlock() }
        return subscriber.isFinished
    }

    /// The next object event, with its proxy unresolved; `nil` at end of stream (or when
    /// `timeout` passes first: check ``isFinished``).
    public func nextDelivery(timeout: Duration? = nil) throws -> Delivery? {
        lock.lock()
        defer { lock.unlock() }
        guard let event = try nextObjectEvent(timeout: timeout) else { return nil }
        let item = try delivering(event) { try self.item(for: event) }
        return Delivery(item: item, metadata: event.metadata, topic: event.topic, seq: event.seq)
    }

    /// The next object event that passes the filter, acknowledging the previous one (under `lock`).
    private func nextObjectEvent(timeout: Duration?) throws -> Event? {
        guard !isClosed else { throw StreamLogError(.closed, "the consumer is closed") }
        try acknowledgeLocked()
        while let event = try takeUndelivered() ?? subscriber.nextEvent(timeout: timeout) {
            pending = event
            if event.isEndOfStream {
                try acknowledgeLocked()
                continue
            }
            if let filter, filter.shouldDrop(event.metadata) {
                if event.evict, let key = event.key {
                    try delivering(event) { _ = try subscriber.objectStore(for: event).evict(key) }
                }
                // Done with: a durable cursor moves past dropped events too.
                try acknowledgeLocked()
                continue
            }
            return event
        }
        try subscriber.commitAcknowledgements()
        return nil
    }

    private func takeUndelivered() -> Event? {
        defer { undelivered = nil }
        return undelivered
    }

    /// Runs a step of delivering `event` (under `lock`). When it fails for a reason outside the
    /// event, the event is handed out again by the next call rather than acknowledged: a caller
    /// that retries after a busy timeout or an I/O error loses nothing. When the event itself is
    /// at fault (its object evicted or missing, its bytes undecodable), the next call moves on.
    private func delivering<R>(_ event: Event, _ step: () throws -> R) throws -> R {
        do {
            return try step()
        } catch let error as StreamLogError where ![.objectEvicted, .objectMissing, .codec].contains(error.code) {
            pending = nil
            undelivered = event
            throw error
        }
    }

    /// The next object's bytes, fetched now, with its event. Not generic: the per-object work
    /// runs no unspecialised generic code when the caller is in another module.
    private func nextFetched(timeout: Duration?) throws -> FetchedObject? {
        lock.lock()
        defer { lock.unlock() }
        guard let event = try nextObjectEvent(timeout: timeout) else { return nil }
        guard event.key != nil else {
            return FetchedObject(data: event.payload ?? Data(), encoding: event.encoding ?? "bytes", event: event)
        }
        let object = try delivering(event) { try subscriber.fetchObject(for: event) }
        return FetchedObject(data: object.data, encoding: object.encoding, event: event)
    }

    /// The fetched object, decoded.
    private func decoded(_ fetched: FetchedObject) throws -> T {
        try Self.decoding(topic: fetched.event.topic, seq: fetched.event.seq) { try decode(fetched.data, fetched.encoding) }
    }

    /// The next item: the inline object or a lazy proxy; `nil` at end of stream.
    public func next(timeout: Duration? = nil) throws -> StreamItem<T>? {
        try nextDelivery(timeout: timeout)?.item
    }

    /// The next item with its metadata; `nil` at end of stream.
    public func nextWithMetadata(timeout: Duration? = nil) throws -> (item: StreamItem<T>, metadata: Metadata)? {
        try nextDelivery(timeout: timeout).map { ($0.item, $0.metadata) }
    }

    /// The next object, fetched now (and evicted from its store when the event says so); `nil` at
    /// end of stream.
    ///
    /// - Throws: `.objectEvicted` / `.objectMissing` naming the store and key.
    public func nextObject(timeout: Duration? = nil) throws -> T? {
        guard let fetched = try nextFetched(timeout: timeout) else { return nil }
        return try decoded(fetched)
    }

    /// The next object, fetched now, with its metadata; `nil` at end of stream.
    public func nextObjectWithMetadata(timeout: Duration? = nil) throws -> (object: T, metadata: Metadata)? {
        guard let fetched = try nextFetched(timeout: timeout) else { return nil }
        return (try decoded(fetched), fetched.event.metadata)
    }

    /// Calls `body` with every object until the end of stream.
    public func forEachObject(_ body: (T) throws -> Void) throws {
        while let object = try nextObject() { try body(object) }
    }

    /// Acknowledges the last delivered event now, durably, rather than at the next call.
    public func acknowledge() throws {
        lock.lock()
        defer { lock.unlock() }
        try acknowledgeLocked()
        try subscriber.commitAcknowledgements()
    }

    /// Closes the consumer: acknowledges the last delivered event and writes the acknowledgements
    /// (and evictions) not yet written; then closes the subscriber (unless `subscriber` is
    /// `false`, so that a new consumer can reuse it) and, with `stores`, the object stores it
    /// opened. Closing a closed consumer does nothing.
    ///
    /// Proxies of objects in the subscriber's own file resolve through the subscriber's
    /// connection: resolve them before closing it, or close with `subscriber: false`.
    ///
    /// - Throws: when the acknowledgements cannot be written; the consumer stays open, so the
    ///   call can be retried.
    public func close(subscriber closeSubscriber: Bool = true, stores: Bool = false) throws {
        lock.lock()
        defer { lock.unlock() }
        guard !isClosed else { return }
        do {
            try acknowledgeLocked()
            try subscriber.commitAcknowledgements()
        } catch let error as StreamLogError where error.code == .closed {
            // The subscriber was closed first: nothing can be written any more, and retrying
            // would fail the same way.
        }
        isClosed = true
        if closeSubscriber { subscriber.close(stores: stores) }
    }

    private func acknowledgeLocked() throws {
        guard let event = pending else { return }
        try subscriber.acknowledge(event)
        pending = nil
    }

    private func item(for event: Event) throws -> StreamItem<T> {
        if let key = event.key {
            let decode = self.decode
            let topic = event.topic, seq = event.seq
            return .proxy(Proxy(key: key, evict: event.evict, store: try subscriber.objectStore(for: event)) { data, encoding in
                try Self.decoding(topic: topic, seq: seq) { try decode(data, encoding) }
            })
        }
        let payload = event.payload ?? Data()
        let encoding = event.encoding ?? "bytes"
        return .value(try Self.decoding(topic: event.topic, seq: event.seq) { try decode(payload, encoding) })
    }

    /// Adds the topic and seq to a decoding error, so a bad event can be found.
    private static func decoding<V>(topic: String, seq: Int64, _ body: () throws -> V) throws -> V {
        do { return try body() } catch let error as StreamLogError where error.code == .codec {
            throw StreamLogError(.codec, "event \(seq) of topic \(quoted(topic)): \(error.message)")
        }
    }
}

extension StreamConsumer where T: StreamCodable {
    /// A consumer using `T`'s default codec.
    public convenience init(subscriber: any EventSubscriber, filter: (any StreamFilter)? = nil) {
        self.init(subscriber: subscriber, codec: T.defaultCodec, filter: filter)
    }
}

/// An object event's bytes as fetched, before decoding.
struct FetchedObject {
    let data: Data
    let encoding: String
    let event: Event
}
