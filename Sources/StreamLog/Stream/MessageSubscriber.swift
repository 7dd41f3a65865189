import Foundation

/// Receives raw messages (bytes) from topics, without objects or metadata: ProxyStore's
/// message-level `Subscriber`, the counterpart of ``MessagePublisher``. Every
/// ``EventSubscriber`` is one: a message is the payload of an inline object event.
public protocol MessageSubscriber: AnyObject {
    /// The next message of any subscribed topic, waiting up to `timeout` (`nil`: as long as it
    /// takes); `nil` on timeout and once every topic has delivered its end of stream.
    ///
    /// - Throws: `.codec` for an event that is not an inline object (its object is in a store).
    func nextMessage(timeout: Duration?) throws -> Data?
}

extension MessageSubscriber where Self: EventSubscriber {
    /// The payload of the next inline object event, acknowledging the one before it; `nil` on
    /// timeout or at the end of every topic.
    public func nextMessage(timeout: Duration? = nil) throws -> Data? {
        while let event = try nextEvent(timeout: timeout) {
            try acknowledge(event)
            if event.isEndOfStream { continue }
            guard let payload = event.payload else {
                throw StreamLogError(
                    .codec, "event \(event.seq) of topic \(TopicName.quoted(event.topic)) holds its object in a store, not a message")
            }
            return payload
        }
        try commitAcknowledgements()
        return nil
    }
}

extension SQLiteSubscriber: MessageSubscriber {}
