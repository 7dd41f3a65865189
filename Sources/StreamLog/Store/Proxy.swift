import Foundation

/// A lazy reference to an object in an object store, as a consumer receives it.
///
/// It resolves at most once and caches the value. When the event said `evict`, the first
/// resolve deletes the object from its store; any other handle resolving the same key later gets
/// `.objectEvicted` naming the key. Thread-safe: concurrent resolves fetch once.
public final class Proxy<T: Sendable>: @unchecked Sendable {
    // @unchecked: `state` is only touched under `lock`; everything else is immutable and Sendable.
    /// The object's key.
    public let key: ObjectKey
    /// Whether resolving deletes the object from its store.
    public let evict: Bool
    /// The store holding the object.
    public let store: ObjectStore
    private let decode: @Sendable (Data, String) throws -> T
    private let lock = NSLock()
    private var state: T?

    init(key: ObjectKey, evict: Bool, store: ObjectStore, decode: @escaping @Sendable (Data, String) throws -> T) {
        self.key = key
        self.evict = evict
        self.store = store
        self.decode = decode
    }

    /// Whether the value has been fetched already.
    public var isResolved: Bool {
        lock.lock()
        defer { lock.unlock() }
        return state != nil
    }

    /// The object: fetched and decoded on first use, then cached.
    ///
    /// - Throws: `.objectEvicted` / `.objectMissing` naming the key; `.codec` when it cannot be
    ///   decoded.
    public func resolve() throws -> T {
        lock.lock()
        defer { lock.unlock() }
        if let state { return state }
        // With evict, read and delete in one transaction, so exactly one resolver anywhere wins.
        let object = evict ? try store.take(key, evictable: true) : try store.get(key)
        let value = try decode(object.data, object.encoding)
        state = value
        return value
    }
}

/// What a consumer hands out for an object event: the object itself when it was carried inline,
/// or a lazy ``Proxy`` when it sits in an object store.
public enum StreamItem<T: Sendable>: Sendable {
    /// An inline object.
    case value(T)
    /// A reference to an object in a store.
    case proxy(Proxy<T>)

    /// The object (resolving the proxy if needed).
    public func get() throws -> T {
        switch self {
        case .value(let value): return value
        case .proxy(let proxy): return try proxy.resolve()
        }
    }

    /// The proxy, when the object is in a store.
    public var proxy: Proxy<T>? {
        if case .proxy(let proxy) = self { return proxy }
        return nil
    }
}
