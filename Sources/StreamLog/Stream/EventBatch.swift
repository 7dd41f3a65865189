/// What one producer flush publishes: the events of one topic and the objects they carry into the
/// publisher's own store. A publisher commits a batch atomically (one transaction for SQLite).
public struct EventBatch: Sendable {
    /// The topic the events go to.
    public var topic: String
    /// The events, in order; an end-of-stream event may only come last.
    public var events: [Event]
    /// Objects to commit with the events, in the publisher's own object store.
    public var objects: [PendingObject]

    /// A batch of `events` for `topic`, with the objects they refer to.
    public init(topic: String, events: [Event], objects: [PendingObject] = []) {
        self.topic = topic
        self.events = events
        self.objects = objects
    }
}
