import Foundation

/// The durable ``EventPublisher``: appends each batch to the topic's table in one transaction.
///
/// Objects destined for the publisher's own file travel inside the batch and commit with their
/// events; a store in another file is registered once and referred to by a short id.
public final class SQLitePublisher: EventPublisher, MessagePublisher, @unchecked Sendable {
    // @unchecked: `references` is only touched under `lock`; `database` is Sendable.
    /// The database appended to.
    public let database: LogDatabase
    private let ownsDatabase: Bool
    private let lock = NSLock()
    /// Store references by the store's path as given, `nil` for this file's own store: resolving
    /// a path (symlinks, `..`) costs syscalls, too much to repeat on every flush.
    private var references: [String: StoreReference?] = [:]
    private let canonicalDatabasePath: String

    /// A publisher appending to `database` (closing the publisher leaves the database open).
    public init(database: LogDatabase) {
        self.database = database
        self.ownsDatabase = false
        self.canonicalDatabasePath = canonicalPath(database.path)
    }

    /// A publisher on its own connection to the file at `path` (closed with the publisher).
    public init(path: String, options: LogDatabase.Options = .init()) throws {
        self.database = try LogDatabase(path: path, options: options)
        self.ownsDatabase = true
        self.canonicalDatabasePath = canonicalPath(path)
    }

    @discardableResult
    public func publish(_ batch: EventBatch) throws -> ClosedRange<Int64>? {
        try database.append(batch.events, objects: batch.objects, to: batch.topic)
    }

    public func closeTopic(_ topic: String) throws {
        try database.closeTopic(topic)
    }

    public func isClosed(topic: String) throws -> Bool {
        try database.topicExists(topic) && database.isClosed(topic: topic)
    }

    public func storeReference(for store: ObjectStore) throws -> StoreReference? {
        lock.lock()
        defer { lock.unlock() }
        if let known = references[store.path] { return known }
        let path = canonicalPath(store.path)
        let reference = path == canonicalDatabasePath ? nil : try database.registerStore(path: path)
        references[store.path] = .some(reference)
        return reference
    }

    public func pendingEvents(topic: String) throws -> Int? {
        try database.unconsumedEvents(topic: topic)
    }

    public func close() {
        if ownsDatabase { database.close() }
    }
}

/// The absolute, symlink-free form of `path`, to tell whether two paths name one file.
func canonicalPath(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
}
