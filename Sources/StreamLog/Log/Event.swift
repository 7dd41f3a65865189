import Foundation

/// One event of a topic, as stored in its table (one row of `topic_<id>`).
///
/// An event is an object carried inline (`payload`), an object held in an object store
/// (`key`, with `store` naming the store when it is not the log's own file), or the topic's
/// end-of-stream marker.
public struct Event: Sendable, Hashable {
    /// What an event is.
    public enum Kind: Int64, Sendable, Hashable {
        /// An object, inline or by key.
        case object = 0
        /// The end-of-stream marker: the topic is closed after it.
        case endOfStream = 1
    }

    /// The topic's name.
    public var topic: String
    /// Position in the topic: strictly increasing, never reused. 0 until appended.
    public var seq: Int64
    /// What the event is.
    public var kind: Kind
    /// When the event was appended; non-decreasing within a topic.
    public var time: Timestamp
    /// Whether the first consumer to resolve the object deletes it from its store.
    public var evict: Bool
    /// The codec tag of the object (`bytes`, `utf8`, `json`, or a custom codec's name).
    public var encoding: String?
    /// Size of the object in bytes.
    public var size: Int
    /// The object's bytes when it is carried inline.
    public var payload: Data?
    /// The object's key when it is held in an object store.
    public var key: ObjectKey?
    /// The object store holding `key`, when it is not the log's own file.
    public var store: StoreReference?
    /// User metadata (stored as JSON text).
    public var metadata: Metadata

    /// An event from all its fields; most callers use ``inline(_:encoding:metadata:)``,
    /// ``stored(key:size:encoding:evict:store:metadata:)`` or ``endOfStream(topic:)``.
    public init(
        topic: String = "", seq: Int64 = 0, kind: Kind, time: Timestamp = Timestamp(microsecondsSinceEpoch: 0),
        evict: Bool = false, encoding: String? = nil, size: Int = 0, payload: Data? = nil, key: ObjectKey? = nil,
        store: StoreReference? = nil, metadata: Metadata = [:]
    ) {
        self.topic = topic
        self.seq = seq
        self.kind = kind
        self.time = time
        self.evict = evict
        self.encoding = encoding
        self.size = size
        self.payload = payload
        self.key = key
        self.store = store
        self.metadata = metadata
    }

    /// An object carried inside the event.
    public static func inline(_ payload: Data, encoding: String = "bytes", metadata: Metadata = [:]) -> Event {
        Event(kind: .object, encoding: encoding, size: payload.count, payload: payload, metadata: metadata)
    }

    /// An object held in an object store under `key`.
    public static func stored(
        key: ObjectKey, size: Int, encoding: String = "bytes", evict: Bool = true, store: StoreReference? = nil,
        metadata: Metadata = [:]
    ) -> Event {
        Event(kind: .object, evict: evict, encoding: encoding, size: size, key: key, store: store, metadata: metadata)
    }

    /// The end-of-stream marker.
    public static func endOfStream(topic: String = "") -> Event {
        Event(topic: topic, kind: .endOfStream)
    }

    /// `true` for the end-of-stream marker.
    public var isEndOfStream: Bool { kind == .endOfStream }
}

/// A reference from a key event to the object store holding its object, when that store is a
/// file other than the log's own. Stored as a short id into the `stores` table.
public struct StoreReference: Sendable, Hashable {
    /// The row id in the `stores` table of the log's file.
    public let id: Int64
    /// The store's database file.
    public let path: String

    /// A reference to the store in `path`, registered under `id`.
    public init(id: Int64, path: String) {
        self.id = id
        self.path = path
    }
}
