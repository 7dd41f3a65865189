import Foundation

extension LogDatabase {
    /// Registers the object store in the file at `storePath` so key events can refer to it by a
    /// short id. Registering the same path again returns the same reference.
    public func registerStore(path storePath: String) throws -> StoreReference {
        let absolute = URL(fileURLWithPath: storePath).standardizedFileURL.path
        let config = MetadataValue.jsonString(of: ["path": .string(absolute)])
        return try write { connection in
            try connection.cached("INSERT OR IGNORE INTO stores (kind, config) VALUES ('sqlite', ?1)").run {
                $0.bind(config, at: 1)
            }
            let id = try connection.cached("SELECT id FROM stores WHERE kind = 'sqlite' AND config = ?1").queryOne({
                $0.bind(config, at: 1)
            }) { $0.int64(0) }!
            return StoreReference(id: id, path: absolute)
        }
    }

    /// The registered store with row id `id`, memoised (a `stores` row never changes).
    func storeReference(id: Int64, in connection: Connection) throws -> StoreReference {
        if let reference = caches.stores[id] { return reference }
        let config = try connection.cached("SELECT kind, config FROM stores WHERE id = ?1").queryOne({
            $0.bind(id, at: 1)
        }) { ($0.string(0) ?? "", $0.string(1) ?? "") }
        guard let (kind, text) = config, kind == "sqlite",
            let path = (try? MetadataValue.parseMetadata(json: text))?["path"]?.stringValue
        else {
            throw StreamLogError(.corrupt, "object store \(id) of \(self.path) has no usable configuration")
        }
        let reference = StoreReference(id: id, path: path)
        caches.stores[id] = reference
        return reference
    }

    /// The object store an event's key lives in: this file's own, or the registered store,
    /// opened on first use and kept open until ``closeStores()``.
    public func objectStore(for reference: StoreReference?) throws -> ObjectStore {
        guard let reference else { return objects }
        return try withConnection { _ in
            if let store = caches.externalStores[reference.path] { return store }
            let store = try ObjectStore(path: reference.path, options: options)
            caches.externalStores[reference.path] = store
            return store
        }
    }

    /// The object a key event refers to, read without side effects (nothing is evicted): for
    /// replaying and inspecting.
    ///
    /// - Throws: `.objectEvicted` when the object is gone and the event said `evict` (a consumer
    ///   deleted it on first read) or its deletion was recorded as an eviction; `.objectMissing`
    ///   when it is gone otherwise; `.invalidArgument` for an event without a key. Errors name
    ///   the key and the store's file.
    public func object(for event: Event) throws -> StoredObject {
        guard let key = event.key else {
            throw StreamLogError(.invalidArgument, "event \(event.seq) of topic \(quoted(event.topic)) has no object key")
        }
        return try objectStore(for: event.store).get(key, evictable: event.evict)
    }

    /// Closes the object stores in other files that ``objectStore(for:)`` opened.
    public func closeStores() {
        let stores: [ObjectStore] =
            (try? withConnection { _ in
                defer { caches.externalStores.removeAll() }
                return Array(caches.externalStores.values)
            }) ?? []
        for store in stores { store.database.close() }
    }
}
