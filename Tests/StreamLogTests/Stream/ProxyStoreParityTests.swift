import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

/// The cases of ProxyStore's stream test suite (`shared/proxystore-stream.md`, 1–14), on a real file.
@Suite struct ProxyStoreParityTests {
    enum Placement: String, CaseIterable, Sendable { case store, inline }

    struct Fixture {
        let dir: TemporaryDirectory
        let path: String
        let publisher: SQLitePublisher

        init() throws {
            dir = try TemporaryDirectory()
            path = dir.path()
            publisher = try SQLitePublisher(path: path)
        }

        func store(_ placement: Placement) -> ObjectStore? { placement == .store ? publisher.database.objects : nil }

        func consumer<T: StreamCodable>(_ type: T.Type = T.self, topics: [String] = ["default"],
                                        filter: (any StreamFilter)? = nil) throws -> StreamConsumer<T> {
            StreamConsumer<T>(subscriber: try SQLiteSubscriber(path: path, topics: topics), filter: filter)
        }

        func objectCount() throws -> Int64 {
            try publisher.database.withConnection { try $0.scalarInt("SELECT count(*) FROM objects") ?? -1 }
        }
    }

    // 1. Round trip with batch sizes 1, 2, 3, store and inline: in order, equal, proxies iff store.
    @Test(arguments: [1, 2, 3], Placement.allCases)
    func roundTrip(batchSize: Int, placement: Placement) throws {
        let fixture = try Fixture()
        let producer = StreamProducer<String>(publisher: fixture.publisher, defaultStore: fixture.store(placement),
                                              options: .init(batchSize: batchSize))
        for index in 0..<10 { try producer.send("item \(index)", to: "default") }
        try producer.closeTopics("default")
        let consumer: StreamConsumer<String> = try fixture.consumer()
        var received: [String] = []
        while let item = try consumer.next() {
            #expect((item.proxy != nil) == (placement == .store))
            received.append(try item.get())
        }
        #expect(received == (0..<10).map { "item \($0)" })
        try producer.close()
        try consumer.close()
    }

    // 2. Released by scope, they still round-trip.
    @Test func scopedProducerAndConsumerRoundTrip() throws {
        let fixture = try Fixture()
        do {
            let producer = StreamProducer<Data>(publisher: fixture.publisher, defaultStore: fixture.publisher.database.objects)
            defer { try? producer.close(topics: ["default"], publisher: false) }
            try producer.send(Data("scoped".utf8), to: "default")
        }
        var objects: [Data] = []
        do {
            let consumer: StreamConsumer<Data> = try fixture.consumer()
            defer { try? consumer.close() }
            try consumer.forEachObject { objects.append($0) }
        }
        #expect(objects == [Data("scoped".utf8)])
    }

    // 3. Closing producer and consumer without closing publisher/subscriber/store lets new ones reuse them.
    @Test func closingWithoutThePublisherLetsANewProducerReuseIt() throws {
        let fixture = try Fixture()
        let store = fixture.publisher.database.objects
        let first = StreamProducer<String>(publisher: fixture.publisher, defaultStore: store)
        try first.send("one", to: "default")
        try first.close(publisher: false)
        let second = StreamProducer<String>(publisher: fixture.publisher, defaultStore: store)
        try second.send("two", to: "default")
        try second.close(topics: ["default"], publisher: false)
        let subscriber = try SQLiteSubscriber(path: fixture.path, topics: ["default"])
        let reader = StreamConsumer<String>(subscriber: subscriber)
        #expect(try reader.nextObject() == "one")
        #expect(try reader.nextObject() == "two")
        #expect(try store.exists(ObjectKey.random()) == false)  // the store is still open and usable
    }

    // 4. After closeTopics, the consumer's next read ends the stream.
    @Test func closeTopicsEndsTheStream() throws {
        let fixture = try Fixture()
        let producer = StreamProducer<String>(publisher: fixture.publisher)
        try producer.closeTopics("default")
        let consumer: StreamConsumer<String> = try fixture.consumer()
        #expect(try consumer.next() == nil)
        #expect(consumer.isFinished)
    }

    // 5. send after closeTopics throws topicClosed, also for another producer and after a restart.
    @Test func sendAfterCloseTopicsThrows() throws {
        let fixture = try Fixture()
        let producer = StreamProducer<String>(publisher: fixture.publisher)
        try producer.closeTopics("default")
        let error = #expect(throws: StreamLogError.self) { try producer.send("late", to: "default") }
        #expect(error?.code == .topicClosed)
        let other = StreamProducer<String>(publisher: try SQLitePublisher(path: fixture.path))
        #expect(throws: StreamLogError.self) { try other.send("late", to: "default") }
        try producer.closeTopics("default")  // idempotent
        #expect(try fixture.publisher.database.read(topic: "default").count == 1)
    }

    // 6. A default store that is registered nowhere else is found by the consumer from the event alone.
    @Test func aStoreInAnotherFileIsFoundFromTheEvent() throws {
        let fixture = try Fixture()
        let store = try ObjectStore(path: fixture.dir.path("objects.db"))
        let producer = StreamProducer<String>(publisher: fixture.publisher, defaultStore: store)
        try producer.send("elsewhere", to: "default")
        try producer.close(topics: ["default"], stores: true)
        let consumer: StreamConsumer<String> = try fixture.consumer()
        #expect(try consumer.nextObject() == "elsewhere")
        #expect(try consumer.nextObject() == nil)
        try consumer.close(stores: true)
    }

    // 7. Dropping odd indexes, producer side and consumer side, with evict: 0,2,4,6,8 and no object left.
    @Test(arguments: ["producer", "consumer"])
    func filteringEvictsDroppedObjects(side: String) throws {
        let fixture = try Fixture()
        let odd = ClosureFilter { ($0["index"]?.intValue ?? 0) % 2 == 1 }
        let producer = StreamProducer<Int64>(
            publisher: fixture.publisher, codec: JSONCodec<Int64>(), defaultStore: fixture.publisher.database.objects,
            filter: side == "producer" ? odd : nil)
        for index in 0..<10 { try producer.send(Int64(index), to: "default", evict: true, metadata: ["index": .int(Int64(index))]) }
        try producer.closeTopics("default")
        let consumer = StreamConsumer<Int64>(
            subscriber: try SQLiteSubscriber(path: fixture.path, topics: ["default"]), codec: JSONCodec<Int64>(),
            filter: side == "consumer" ? odd : nil)
        var received: [Int64] = []
        try consumer.forEachObject { received.append($0) }
        #expect(received == [0, 2, 4, 6, 8])
        #expect(try fixture.objectCount() == 0)
    }

    // 8. Aggregator sum over ten 1s: ceil(10/b) values summing to 10, the partial batch flushed on close.
    @Test(arguments: [1, 2, 3])
    func aggregatorSumsEachBatch(batchSize: Int) throws {
        let fixture = try Fixture()
        let producer = StreamProducer<Int64>(
            publisher: fixture.publisher, codec: JSONCodec<Int64>(), defaultStore: fixture.publisher.database.objects,
            options: .init(batchSize: batchSize), aggregator: { $0.reduce(0, +) })
        for _ in 0..<10 { try producer.send(1, to: "default") }
        try producer.closeTopics("default")
        let consumer = StreamConsumer<Int64>(subscriber: try SQLiteSubscriber(path: fixture.path, topics: ["default"]),
                                             codec: JSONCodec<Int64>())
        var sums: [Int64] = []
        try consumer.forEachObject { sums.append($0) }
        #expect(sums.count == (10 + batchSize - 1) / batchSize)
        #expect(sums.reduce(0, +) == 10)
    }

    // 9. Iterating with metadata: metadata["value"] == item for 0…9, then end of stream.
    @Test(arguments: Placement.allCases)
    func iterationWithMetadata(placement: Placement) throws {
        let fixture = try Fixture()
        let producer = StreamProducer<String>(publisher: fixture.publisher, defaultStore: fixture.store(placement))
        for value in 0..<10 { try producer.send("\(value)", to: "default", metadata: ["value": .int(Int64(value))]) }
        try producer.closeTopics("default")
        let consumer: StreamConsumer<String> = try fixture.consumer()
        var count = 0
        while let (object, metadata) = try consumer.nextObjectWithMetadata() {
            #expect(metadata["value"] == .int(Int64(count)))
            #expect(object == "\(count)")
            count += 1
        }
        #expect(count == 10)
    }

    // 10. nextObject with evict true/false: the object remains exactly when evict was false.
    @Test(arguments: [true, false])
    func nextObjectEvictsWhenAsked(evict: Bool) throws {
        let fixture = try Fixture()
        let producer = StreamProducer<String>(publisher: fixture.publisher, defaultStore: fixture.publisher.database.objects)
        try producer.send("x", to: "default", evict: evict)
        try producer.flush()
        let consumer: StreamConsumer<String> = try fixture.consumer()
        #expect(try consumer.nextObject() == "x")
        #expect(try fixture.objectCount() == (evict ? 0 : 1))
    }

    // 11. nextObject when the object was evicted behind the consumer's back: a clear error.
    @Test func evictedBehindTheConsumersBack() throws {
        let fixture = try Fixture()
        let producer = StreamProducer<String>(publisher: fixture.publisher, defaultStore: fixture.publisher.database.objects)
        try producer.send("gone", to: "default")
        try producer.flush()
        let key = try #require(try fixture.publisher.database.read(topic: "default").first?.key)
        try fixture.publisher.database.objects.evict(key)
        let consumer: StreamConsumer<String> = try fixture.consumer()
        let error = #expect(throws: StreamLogError.self) { try consumer.nextObject() }
        #expect(error?.code == .objectEvicted)
        #expect(error?.message.contains(key.description) == true)
        #expect(error?.message.contains(fixture.path) == true)
    }

    // 12. Events round-trip through their stored encoding: end of stream, inline, key, batch.
    @Test func eventsRoundTripThroughTheirRows() throws {
        let fixture = try Fixture()
        let db = fixture.publisher.database
        let key = ObjectKey.random()
        let reference = try db.registerStore(path: fixture.dir.path("other.db"))
        let written: [Event] = [
            .inline(Data([0, 255, 1]), encoding: "bytes", metadata: ["a": [1, "two", nil], "b": ["nested": true]]),
            .stored(key: key, size: 42, encoding: "json", evict: false, store: reference, metadata: ["x": 1.5]),
            .stored(key: .random(), size: 0, encoding: "utf8", evict: true),
            .endOfStream(),
        ]
        try db.append(written, to: "default")
        let read = try db.read(topic: "default")
        #expect(read.count == 4)
        for (original, stored) in zip(written, read) {
            #expect(stored.kind == original.kind)
            #expect(stored.evict == original.evict)
            #expect(stored.encoding == original.encoding)
            #expect(stored.size == original.size)
            #expect(stored.payload == original.payload)
            #expect(stored.key == original.key)
            #expect(stored.store == original.store)
            #expect(stored.metadata == original.metadata)
        }
        // Readable by any SQLite client: metadata is JSON text that SQLite's JSON functions read.
        let nested = try db.withConnection { try $0.scalarInt("SELECT json_extract(metadata, '$.b.nested') FROM topic_1 WHERE seq = 1") }
        #expect(nested == 1)
    }

    // 13. SamplingFilter boundaries and NullFilter.
    @Test func samplingAndNullFilters() throws {
        #expect(!NullFilter().shouldDrop(["anything": 1]))
        let never = try SamplingFilter(0, seed: 1), always = try SamplingFilter(1, seed: 1)
        #expect((0..<1000).allSatisfy { _ in !never.shouldDrop([:]) })
        #expect((0..<1000).allSatisfy { _ in always.shouldDrop([:]) })
        let half = try SamplingFilter(0.5, seed: 7), again = try SamplingFilter(0.5, seed: 7)
        let first = (0..<1000).map { _ in half.shouldDrop([:]) }
        #expect(first == (0..<1000).map { _ in again.shouldDrop([:]) }, "a seed makes the choices repeatable")
        #expect((400...600).contains(first.filter { $0 }.count))
        for bad in [-0.1, 1.01, .nan] {
            let error = #expect(throws: StreamLogError.self) { try SamplingFilter(bad) }
            #expect(error?.message.contains("[0, 1]") == true)
        }
    }

    // 14a. A partial batch plus close yields [objects…, end] with end last.
    @Test func partialBatchThenCloseEndsLast() throws {
        let fixture = try Fixture()
        let producer = StreamProducer<String>(publisher: fixture.publisher, options: .init(batchSize: 4))
        for index in 0..<3 { try producer.send("\(index)", to: "default") }
        try producer.closeTopics("default")
        let events = try fixture.publisher.database.read(topic: "default")
        #expect(events.map(\.kind) == [.object, .object, .object, .endOfStream])
    }

    // 14b. A consumer of several topics; 14c. mixed store/inline/default store in one producer.
    @Test func severalTopicsWithMixedStores() throws {
        let fixture = try Fixture()
        let other = try ObjectStore(path: fixture.dir.path("other.db"))
        let producer = StreamProducer<String>(
            publisher: fixture.publisher, defaultStore: fixture.publisher.database.objects,
            stores: ["inline": .inline, "elsewhere": .store(other)])
        let topics = ["inline", "elsewhere", "default"]
        for round in 0..<3 { for topic in topics { try producer.send("\(topic)-\(round)", to: topic) } }
        try producer.closeTopics(topics)
        let consumer: StreamConsumer<String> = try fixture.consumer(topics: topics)
        var byTopic: [String: [String]] = [:]
        while let delivery = try consumer.nextDelivery() {
            #expect((delivery.item.proxy == nil) == (delivery.topic == "inline"))
            byTopic[delivery.topic, default: []].append(try delivery.item.get())
        }
        for topic in topics { #expect(byTopic[topic] == (0..<3).map { "\(topic)-\($0)" }) }
        #expect(try fixture.publisher.database.read(topic: "elsewhere").allSatisfy { $0.isEndOfStream || $0.store != nil })
    }

    // 14d. batchSize 2 with a store produces one batch of two key events.
    @Test func batchOfTwoIsOneTransaction() throws {
        let fixture = try Fixture()
        let producer = StreamProducer<String>(publisher: fixture.publisher, defaultStore: fixture.publisher.database.objects,
                                              options: .init(batchSize: 2))
        try producer.send("a", to: "default")
        #expect(try !fixture.publisher.database.topicExists("default") || fixture.publisher.database.read(topic: "default").isEmpty)
        try producer.send("b", to: "default")
        let events = try fixture.publisher.database.read(topic: "default")
        #expect(events.count == 2 && events.allSatisfy { $0.key != nil })
        #expect(events[0].time == events[1].time, "one batch: one append time")
    }
}
