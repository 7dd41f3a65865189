import Foundation

/// Appends event batches to topics: the producer side of a transport (ProxyStore's `Publisher`).
///
/// ``SQLitePublisher`` is the durable implementation; other transports can implement the same
/// protocol.
public protocol EventPublisher: Sendable {
    /// Commits `batch` atomically and returns the seqs it was given (`nil` for an empty batch).
    ///
    /// - Throws: `.topicClosed` when the topic has its end-of-stream event.
    @discardableResult
    func publish(_ batch: EventBatch) throws -> ClosedRange<Int64>?

    /// Appends the end-of-stream event unless the topic already has one.
    func closeTopic(_ topic: String) throws

    /// Whether the topic has its end-of-stream event (`false` for an unknown topic).
    func isClosed(topic: String) throws -> Bool

    /// How `store` is referred to from key events: `nil` when its objects travel inside the
    /// batch (the store is the publisher's own file), else a registered reference.
    func storeReference(for store: ObjectStore) throws -> StoreReference?

    /// Un-consumed events of `topic`: events after the slowest registered consumer or group;
    /// `nil` when the topic has no registered consumer (nothing to bound).
    func pendingEvents(topic: String) throws -> Int?

    /// Releases the transport's resources.
    func close()
}

/// Publishes raw messages (bytes) to topics, without objects or metadata: ProxyStore's
/// message-level `Publisher`. Every ``EventPublisher`` is one.
public protocol MessagePublisher: Sendable {
    /// Appends each message to `topic` as an inline event, in one batch.
    func send(_ messages: [Data], to topic: String) throws
}

extension EventPublisher {
    /// Appends each message to `topic` as one inline event, all in one batch.
    public func send(_ messages: [Data], to topic: String) throws {
        try publish(EventBatch(topic: topic, events: messages.map { .inline($0) }))
    }
}
