import Foundation
import Synchronization
import Testing
@testable import StreamLog
import StreamLogTestSupport

/// Where StreamLog does better than ProxyStore: flushing on close, time-bounded batches,
/// backpressure, async iteration, thread-safe proxies, wakeups across processes.
@Suite struct StreamBehaviourTests {
    @Test func closeFlushesBufferedObjects() throws {
        let dir = try TemporaryDirectory()
        let publisher = try SQLitePublisher(path: dir.path())
        let producer = StreamProducer<String>(publisher: publisher, options: .init(batchSize: 100))
        for index in 0..<7 { try producer.send("\(index)", to: "t") }
        #expect(try !publisher.database.topicExists("t"))
        try producer.close(publisher: false)
        #expect(try publisher.database.read(topic: "t").count == 7)
        #expect(throws: StreamLogError.self) { try producer.send("after close", to: "t") }
    }

    @Test func aCodecErrorIsThrownBySendAndLeavesTheBufferIntact() throws {
        /// Refuses to encode negative numbers.
        struct NonNegativeCodec: StreamCodec {
            var encoding: String { "utf8" }
            func encode(_ value: Int) throws -> Data {
                guard value >= 0 else { throw StreamLogError(.codec, "\(value) is negative") }
                return Data(String(value).utf8)
            }
            func decode(_ data: Data, encoding: String) throws -> Int { Int(String(decoding: data, as: UTF8.self))! }
        }
        let dir = try TemporaryDirectory()
        let publisher = try SQLitePublisher(path: dir.path())
        let producer = StreamProducer<Int>(publisher: publisher, codec: NonNegativeCodec(), options: .init(batchSize: 3))
        try producer.send(1, to: "t")
        let error = #expect(throws: StreamLogError.self) { try producer.send(-2, to: "t") }
        #expect(error?.code == .codec)
        try producer.send(3, to: "t")
        try producer.send(4, to: "t")  // the batch of three fills here
        #expect(try publisher.database.read(topic: "t").map { String(decoding: $0.payload!, as: UTF8.self) } == ["1", "3", "4"])
        try producer.close(publisher: false)
    }

    @Test func discardBufferedIsExplicit() throws {
        let dir = try TemporaryDirectory()
        let publisher = try SQLitePublisher(path: dir.path())
        let producer = StreamProducer<String>(publisher: publisher, options: .init(batchSize: 100))
        try producer.send("dropped on purpose", to: "t")
        try producer.close(publisher: false, discardBuffered: true)
        #expect(try !publisher.database.topicExists("t"))
    }

    @Test func maxDelayFlushesAPartialBatch() throws {
        let dir = try TemporaryDirectory()
        let publisher = try SQLitePublisher(path: dir.path())
        let producer = StreamProducer<String>(publisher: publisher,
                                              options: .init(batchSize: 1000, maxDelay: .milliseconds(20)))
        try producer.send("soon", to: "t")
        let flushed = waitUntil(timeout: .seconds(5)) {
            ((try? publisher.database.read(topic: "t").count) ?? 0) == 1
        }
        #expect(flushed)
        try producer.close()
    }

    @Test func backpressureFailsOrWaitsForTheSlowestConsumer() throws {
        let dir = try TemporaryDirectory()
        let publisher = try SQLitePublisher(path: dir.path())
        try publisher.database.append([.inline(Data("first".utf8))], to: "t")
        try publisher.database.registerConsumer("slow", topic: "t")  // has consumed nothing yet
        let failing = StreamProducer<String>(publisher: publisher, options: .init(maxPending: 2, backpressure: .fail))
        try failing.send("second", to: "t")
        let error = #expect(throws: StreamLogError.self) { try failing.send("third", to: "t") }
        #expect(error?.code == .backpressure)
        #expect(try publisher.database.read(topic: "t").count == 2)

        let waiting = StreamProducer<String>(publisher: publisher, options: .init(maxPending: 2, backpressure: .wait(timeout: .seconds(10))))
        let consumerCatchesUp = Thread { _ = try? publisher.database.acknowledge(consumer: "slow", topic: "t", through: 2) }
        consumerCatchesUp.start()
        try waiting.send("third", to: "t")
        #expect(try publisher.database.read(topic: "t").count == 3)
    }

    @Test func aSendRefusedByBackpressureIsNotPublishedLater() throws {
        let dir = try TemporaryDirectory()
        let publisher = try SQLitePublisher(path: dir.path())
        try publisher.database.createTopic("t")
        try publisher.database.registerConsumer("slow", topic: "t")
        let producer = StreamProducer<String>(publisher: publisher, options: .init(maxPending: 1, backpressure: .fail))
        try producer.send("accepted", to: "t")
        let error = #expect(throws: StreamLogError.self) { try producer.send("refused", to: "t") }
        #expect(error?.code == .backpressure)
        _ = try publisher.database.acknowledge(consumer: "slow", topic: "t", through: 1)
        try producer.send("retried", to: "t")
        try producer.close(publisher: false)  // flushes whatever is still buffered
        #expect(try publisher.database.read(topic: "t").map { String(decoding: $0.payload!, as: UTF8.self) }
            == ["accepted", "retried"])
    }

    @Test func aBatchLargerThanTheBoundGoesOutOnceConsumersHaveCaughtUp() throws {
        let dir = try TemporaryDirectory()
        let publisher = try SQLitePublisher(path: dir.path())
        try publisher.database.createTopic("t")
        try publisher.database.registerConsumer("slow", topic: "t")
        let producer = StreamProducer<String>(publisher: publisher,
                                              options: .init(batchSize: 3, maxPending: 1, backpressure: .fail))
        for object in ["a", "b", "c"] { try producer.send(object, to: "t") }  // nothing pending: it goes out
        #expect(try publisher.database.read(topic: "t").count == 3)
        try producer.send("d", to: "t")
        try producer.send("e", to: "t")
        let error = #expect(throws: StreamLogError.self) { try producer.send("f", to: "t") }
        #expect(error?.message.contains("has 3 un-consumed events and this flush adds 3") == true)
        try producer.close(publisher: false, discardBuffered: true)
    }

    @Test func aFlushRefusedByBackpressureLeavesNoObjectInAStoreOfAnotherFile() throws {
        let dir = try TemporaryDirectory()
        let publisher = try SQLitePublisher(path: dir.path())
        let store = try ObjectStore(path: dir.path("objects.db"))
        func storedObjects() throws -> Int64 {
            try store.database.withConnection { try $0.scalarInt("SELECT count(*) FROM objects") ?? -1 }
        }
        try publisher.database.createTopic("t")
        try publisher.database.registerConsumer("slow", topic: "t")
        let producer = StreamProducer<String>(publisher: publisher, defaultStore: store,
                                              options: .init(batchSize: 2, maxPending: 2, backpressure: .fail))
        try producer.send("a", to: "t")
        try producer.send("b", to: "t")
        #expect(try storedObjects() == 2)
        try producer.send("c", to: "t")
        #expect(throws: StreamLogError.self) { try producer.send("d", to: "t") }
        #expect(try storedObjects() == 2)  // c's batch was refused before its objects were put
        #expect(try publisher.database.read(topic: "t").count == 2)
        try producer.close(publisher: false, discardBuffered: true)
    }

    @Test func closingAClosedProducerDoesNothing() throws {
        let dir = try TemporaryDirectory()
        let publisher = try SQLitePublisher(path: dir.path())
        let producer = StreamProducer<String>(publisher: publisher)
        try producer.send("once", to: "t")
        try producer.close(topics: ["t"], publisher: false)
        try producer.close(topics: ["t"], publisher: false)
        #expect(try publisher.database.read(topic: "t").count == 2)  // the object and one end of stream
    }

    @Test func asyncIterationDeliversEverythingThenEnds() async throws {
        let dir = try TemporaryDirectory()
        let publisher = try SQLitePublisher(path: dir.path())
        let producer = StreamProducer<String>(publisher: publisher, defaultStore: publisher.database.objects,
                                              options: .init(batchSize: 10))
        let consumer = StreamConsumer<String>(subscriber: try SQLiteSubscriber(path: dir.path(), topics: ["t"]))
        let received = Task {
            var objects: [String] = []
            for try await object in consumer.objects { objects.append(object) }
            return objects
        }
        for index in 0..<100 { try producer.send("\(index)", to: "t") }
        try producer.close(topics: ["t"])
        #expect(try await received.value == (0..<100).map(String.init))
    }

    @Test func asyncIterationCanBeCancelled() async throws {
        let dir = try TemporaryDirectory()
        let consumer = StreamConsumer<String>(subscriber: try SQLiteSubscriber(path: dir.path(), topics: ["quiet"]))
        let task = Task {
            for try await _ in consumer.objects {}
        }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test func aProxyResolvedFromManyThreadsFetchesOnceAndEvictsOnce() throws {
        let dir = try TemporaryDirectory()
        let publisher = try SQLitePublisher(path: dir.path())
        let producer = StreamProducer<String>(publisher: publisher, defaultStore: publisher.database.objects)
        try producer.send("shared", to: "t", evict: true)
        let consumer = StreamConsumer<String>(subscriber: try SQLiteSubscriber(path: dir.path(), topics: ["t"]))
        let proxy = try #require(try consumer.next()?.proxy)
        let results = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            if let value = try? proxy.resolve() { results.withLock { $0.append(value) } }
        }
        #expect(results.withLock { $0 } == Array(repeating: "shared", count: 16))
        #expect(try !publisher.database.objects.exists(proxy.key))
        // Another handle on the same key now gets the eviction error, naming the key.
        let other = Proxy<String>(key: proxy.key, evict: true, store: publisher.database.objects) { data, _ in
            String(decoding: data, as: UTF8.self)
        }
        let error = #expect(throws: StreamLogError.self) { try other.resolve() }
        #expect(error?.code == .objectEvicted)
        #expect(error?.message.contains(proxy.key.description) == true)
    }

    @Test func aConsumerInAnotherProcessIsWokenByACommit() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        _ = try LogDatabase(path: path)
        let child = try ChildProcess(try builtExecutable("StreamLogTestWorker"), ["consume", path, "t"])
        let producer = StreamProducer<String>(publisher: try SQLitePublisher(path: path), defaultStore: nil)
        for index in 0..<50 { try producer.send("\(index)", to: "t") }
        try producer.close(topics: ["t"])
        let result = child.finish(timeout: .seconds(30))
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "ready")
        #expect(Array(lines.dropFirst().dropLast()) == (0..<50).map(String.init))
        #expect(lines.last == "end")
    }

    @Test func aStreamOfAProducerProcessIsReadWhileItIsWritten() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        _ = try LogDatabase(path: path)
        let consumer = StreamConsumer<String>(subscriber: try SQLiteSubscriber(path: path, topics: ["t"]))
        let child = try ChildProcess(try builtExecutable("StreamLogTestWorker"), ["produce", path, "t", "2000", "7", "store"])
        var received: [String] = []
        try consumer.forEachObject { received.append($0) }
        #expect(child.finish(timeout: .seconds(30)).status == 0)
        #expect(received == (0..<2000).map(String.init))
        #expect(try LogDatabase(path: path).withConnection { try $0.scalarInt("SELECT count(*) FROM objects") } == 0,
                "every object was evicted by its one consumer")
    }
}

@Suite struct DurableStreamTests {
    @Test func aRestartedConsumerProcessResumesAndSeesEverythingExactlyOnce() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        _ = try LogDatabase(path: path)
        let worker = try builtExecutable("StreamLogTestWorker")
        let producer = try ChildProcess(worker, ["produce", path, "jobs", "3000", "10", "store"])
        let first = try ChildProcess(worker, ["consume", path, "jobs", "indexer", "1100"])
        let firstRun = first.finish(timeout: .seconds(60))
        #expect(firstRun.status == 0, "\(firstRun.stderr)")
        let second = try ChildProcess(worker, ["consume", path, "jobs", "indexer"])
        let secondRun = second.finish(timeout: .seconds(60))
        #expect(secondRun.status == 0, "\(secondRun.stderr)")
        #expect(producer.finish(timeout: .seconds(60)).status == 0)
        let firstObjects = firstRun.stdout.split(separator: "\n").dropFirst().dropLast().map(String.init)
        let secondObjects = secondRun.stdout.split(separator: "\n").dropFirst().dropLast().map(String.init)
        #expect(firstObjects.count == 1100)
        #expect(firstRun.stdout.hasSuffix("stopped\n"))
        #expect(secondRun.stdout.hasSuffix("end\n"))
        #expect(firstObjects + secondObjects == (0..<3000).map(String.init))
        #expect(try LogDatabase(path: path).cursorPosition(consumer: "indexer", topic: "jobs") == 3001)
    }

    @Test func implicitAcknowledgementIsAtLeastOnce() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let publisher = try SQLitePublisher(path: path)
        try publisher.database.append((0..<5).map { .inline(Data("\($0)".utf8)) }, to: "t")
        do {
            let consumer = StreamConsumer<String>(subscriber: try SQLiteSubscriber(path: path, topics: ["t"], consumer: "c"))
            #expect(try consumer.nextObject() == "0")
            #expect(try consumer.nextObject() == "1")  // acknowledges "0"
            try consumer.acknowledge()                   // acknowledges "1", durably
            #expect(try consumer.nextObject() == "2")
            // Dropped without close: "2" was delivered but never acknowledged.
        }
        let resumed = StreamConsumer<String>(subscriber: try SQLiteSubscriber(path: path, topics: ["t"], consumer: "c"))
        #expect(try resumed.nextObject() == "2", "an unacknowledged event is delivered again")
        #expect(try publisher.database.cursorPosition(consumer: "c", topic: "t") == 2)
    }
}

@Suite struct MessageLevelTests {
    @Test func messagesRoundTripThroughPublisherAndSubscriber() throws {
        let dir = try TemporaryDirectory()
        let publisher = try SQLitePublisher(path: dir.path())
        try publisher.send([Data("a".utf8), Data("b".utf8)], to: "raw")
        try publisher.send([Data([0, 255])], to: "raw")
        try publisher.closeTopic("raw")
        let subscriber = try SQLiteSubscriber(path: dir.path(), topics: ["raw"])
        var messages: [Data] = []
        while let message = try subscriber.nextMessage() { messages.append(message) }
        #expect(messages == [Data("a".utf8), Data("b".utf8), Data([0, 255])])
        #expect(subscriber.isFinished)
        #expect(try publisher.database.read(topic: "raw").count == 4, "one batch per send, then the end of stream")
    }

    @Test func aStoredObjectIsNotAMessage() throws {
        let dir = try TemporaryDirectory()
        let publisher = try SQLitePublisher(path: dir.path())
        let producer = StreamProducer<String>(publisher: publisher, defaultStore: publisher.database.objects)
        try producer.send("stored", to: "t")
        let subscriber = try SQLiteSubscriber(path: dir.path(), topics: ["t"])
        let error = #expect(throws: StreamLogError.self) { try subscriber.nextMessage() }
        #expect(error?.code == .codec)
        #expect(error?.message.contains("store") == true)
    }
}
