/// Hands out the events of some topics in order: the consumer side of a transport (ProxyStore's
/// `Subscriber`). ``SQLiteSubscriber`` is the durable implementation.
///
/// A subscriber is used by one consumer at a time.
public protocol EventSubscriber: AnyObject {
    /// The topics read, in the order given.
    var topics: [String] { get }

    /// The next event of any subscribed topic, waiting up to `timeout` (`nil`: as long as it
    /// takes). Returns `nil` on timeout and once every topic has delivered its end-of-stream.
    func nextEvent(timeout: Duration?) throws -> Event?

    /// Records that the application is done with `event` and every earlier event of its topic
    /// (a durable cursor advances; an anonymous subscriber does nothing). The subscriber may
    /// write acknowledgements in batches; ``commitAcknowledgements()`` writes them now.
    func acknowledge(_ event: Event) throws

    /// Writes every recorded acknowledgement durably.
    func commitAcknowledgements() throws

    /// The object store holding a key event's object.
    func objectStore(for event: Event) throws -> ObjectStore

    /// The object of a key event, for a consumer that fetches it now; when the event says
    /// `evict`, the object is deleted from its store (a subscriber may batch those deletions with
    /// its acknowledgements).
    ///
    /// - Throws: `.objectEvicted` / `.objectMissing` naming the key.
    func fetchObject(for event: Event) throws -> StoredObject

    /// Whether every subscribed topic has delivered its end-of-stream event.
    var isFinished: Bool { get }

    /// Releases the transport's resources; with `stores`, closes the object stores it opened.
    func close(stores: Bool)
}

extension EventSubscriber {
    /// Fetches from ``objectStore(for:)``: `take` (read and delete in one transaction) when the
    /// event says `evict`, else `get`.
    public func fetchObject(for event: Event) throws -> StoredObject {
        guard let key = event.key else {
            throw StreamLogError(.invalidArgument, "event \(event.seq) of topic \(quoted(event.topic)) has no object key")
        }
        let store = try objectStore(for: event)
        return event.evict ? try store.take(key, evictable: true) : try store.get(key)
    }
}
