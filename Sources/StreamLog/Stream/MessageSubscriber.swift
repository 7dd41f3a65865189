import Foundation

/// Receives raw messages (bytes) from topics, without objects or metadata: ProxyStore's
/// message-level `Subscriber`, the counterpart of ``MessagePublisher``. ``SQLiteSubscriber`` is
/// one: a message is the payload of an inline object event.
public protocol MessageSubscriber: AnyObject {
    /// The next message of any subscribed topic, waiting up to `timeout` (`nil`: as long as it
    /// takes); `nil` on timeout and once every topic has delivered its end of stream.
    ///
    /// - Throws: `.codec` for an event that is not an inline object (its object is in a store).
    func nextMessage(timeout: Duration?) throws -> Data?
}

extension SQLiteSubscriber: MessageSubscriber {
    /// The payload of the next inline object event, acknowledging the message returned before
    /// (so a durable subscriber that crashes while it handles a message gets it again); `nil` on
    /// timeout or at the end of every topic.
    public func nextMessage(timeout: Duration? = nil) throws -> Data? {
        if let message = lastMessage {
            try acknowledge(message)
            lastMessage = nil
        }
        while let event = try nextEvent(timeout: timeout) {
            if event.isEndOfStream {
                try acknowledge(event)
                continue
            }
            guard let payload = event.payload else {
                try acknowledge(event)  // not a message, and never will be: move past it
                throw StreamLogError(
                    .codec, "event \(event.seq) of topic \(TopicName.quoted(event.topic)) holds its object in a store, not a message")
            }
            lastMessage = event
            return payload
        }
        try commitAcknowledgements()
        return nil
    }
}
