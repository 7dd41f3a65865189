import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

/// How a consumer evicts the objects it fetches: in batches of seq ranges, exactly the objects it
/// fetched, with no eviction record, and still reported as evicted afterwards.
@Suite struct ConsumerEvictionTests {
    /// Sends `values` as stored objects of `topic`, evictable unless their index is in `kept`.
    private func send(_ values: [Data], to topic: String, path: String, kept: Set<Int> = [], batchSize: Int = 100) throws -> [ObjectKey] {
        let publisher = try SQLitePublisher(path: path)
        let producer = StreamProducer<Data>(
            publisher: publisher, defaultStore: publisher.database.objects, options: .init(batchSize: batchSize))
        for (index, value) in values.enumerated() { try producer.send(value, to: topic, evict: !kept.contains(index)) }
        try producer.close(topics: [topic])
        return try LogDatabase(path: path).read(topic: topic).compactMap(\.key)
    }

    @Test func onlyFetchedObjectsAreEvictedWhenLazyAndEagerReadsInterleave() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let keys = try send((0..<8).map { Data("object \($0)".utf8) }, to: "t", path: path, kept: [5])
        let consumer = StreamConsumer<Data>(subscriber: try SQLiteSubscriber(path: path, topics: ["t"]))
        #expect(try consumer.nextObject() == Data("object 0".utf8))
        let unresolved = try #require(try consumer.next()?.proxy)  // 1: delivered, never resolved
        #expect(unresolved.key == keys[1])
        #expect(try consumer.nextObject() == Data("object 2".utf8))
        #expect(try consumer.nextObject() == Data("object 3".utf8))
        let resolvedLater = try #require(try consumer.next()?.proxy)  // 4: resolved after 5 and 6
        #expect(try consumer.nextObject() == Data("object 5".utf8))  // kept: evict false
        #expect(try consumer.nextObject() == Data("object 6".utf8))
        #expect(try resolvedLater.resolve() == Data("object 4".utf8))
        #expect(try consumer.nextObject() == Data("object 7".utf8))
        #expect(try consumer.nextObject() == nil)
        try consumer.close()

        let store = try LogDatabase(path: path).objects
        let remaining = try (0..<8).filter { try store.exists(keys[$0]) }
        #expect(remaining == [1, 5], "the unresolved proxy's object and the kept one stay")
    }

    @Test func evictionsWaitForABatchWhileEventsKeepComingAndCommitWhenTheConsumerCatchesUp() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let keys = try send((0..<3000).map { Data("\($0)".utf8) }, to: "t", path: path, batchSize: 500)
        let subscriber = try SQLiteSubscriber(path: path, topics: ["t"])
        let consumer = StreamConsumer<Data>(subscriber: subscriber)
        let observer = try LogDatabase(path: path)
        // Objects fetched while more events are buffered are deleted in batches, not one by one.
        for _ in 0..<10 { _ = try consumer.nextObject() }
        #expect(try observer.objects.exists(keys[0]))
        // The consumer's own view of an object fetched for eviction is "evicted" at once.
        let first = try #require(try observer.read(topic: "t", limit: 1).first)
        let error = #expect(throws: StreamLogError.self) { try subscriber.fetchObject(for: first) }
        #expect(error?.code == .objectEvicted)
        var count = 10
        while try consumer.nextObject() != nil { count += 1 }
        #expect(count == 3000)
        #expect(try observer.fileStats().objects == 0)
        try consumer.close()
    }

    /// A consumer's batched eviction writes no eviction record; another consumer's proxy of the
    /// same evictable event must still report the object evicted, not missing.
    @Test func aProxyOfAnObjectAnotherConsumerEvictedReportsItEvicted() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let keys = try send([Data("shared".utf8)], to: "t", path: path)
        let first = StreamConsumer<Data>(subscriber: try SQLiteSubscriber(path: path, topics: ["t"]))
        #expect(try first.nextObject() == Data("shared".utf8))
        try first.close()
        let db = try LogDatabase(path: path)
        #expect(try !db.objects.exists(keys[0]))
        #expect(try db.fileStats().evictedObjects == 0)

        let second = StreamConsumer<Data>(subscriber: try SQLiteSubscriber(path: path, topics: ["t"]))
        let proxy = try #require(try second.next()?.proxy)
        let error = #expect(throws: StreamLogError.self) { try proxy.resolve() }
        #expect(error?.code == .objectEvicted, "\(String(describing: error))")
        #expect(error?.message.contains(keys[0].description) == true)
        try second.close()
    }

    @Test func aReplayReportsObjectsItsConsumerEvictedAsEvicted() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        _ = try send((0..<4).map { Data("\($0)".utf8) }, to: "t", path: path, kept: [2])
        let consumer = StreamConsumer<Data>(subscriber: try SQLiteSubscriber(path: path, topics: ["t"]))
        while try consumer.nextObject() != nil {}
        try consumer.close()

        let db = try LogDatabase(path: path)
        #expect(try db.fileStats().evictedObjects == 0, "evicting on read writes no record")
        for event in try db.read(topic: "t") where !event.isEndOfStream {
            if event.evict {
                let error = #expect(throws: StreamLogError.self) { try db.object(for: event) }
                #expect(error?.code == .objectEvicted)
                #expect(error?.message.contains(event.key!.description) == true)
            } else {
                #expect(try db.object(for: event).data == Data("2".utf8))
            }
        }
        #expect(try db.check().isHealthy)
        // Deleting a kept object by hand is damage, and reported as missing.
        let kept = try #require(try db.read(topic: "t").first { !$0.evict && !$0.isEndOfStream })
        try db.write { connection in _ = try ObjectStore.delete(kept.key!, in: connection) }
        let error = #expect(throws: StreamLogError.self) { try db.object(for: kept) }
        #expect(error?.code == .objectMissing)
    }

    @Test func largeAndChunkedObjectsAreEvictedWithTheirChunks() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let sizes = [100, LogDatabase.prefetchLimit + 1, ObjectStore.chunkSize + 1, 10]
        let values = sizes.enumerated().map { Data(repeating: UInt8($0.offset), count: $0.element) }
        _ = try send(values, to: "t", path: path)
        let consumer = StreamConsumer<Data>(subscriber: try SQLiteSubscriber(path: path, topics: ["t"]))
        var received: [Data] = []
        while let object = try consumer.nextObject() { received.append(object) }
        try consumer.close()
        #expect(received == values)
        let db = try LogDatabase(path: path)
        #expect(try db.fileStats().objects == 0)
        #expect(try db.withConnection { try $0.scalarInt("SELECT count(*) FROM object_chunks") } == 0)
        #expect(try db.check().isHealthy)
    }
}
