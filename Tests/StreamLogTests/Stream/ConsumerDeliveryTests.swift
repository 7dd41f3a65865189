import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

/// What a consumer promises about each event it takes: a durable one loses nothing when it
/// stops without closing (at-least-once, objects included), a failed delivery is not skipped,
/// events it drops still move its cursor, and a consumer past the end of a closed topic ends.
@Suite struct ConsumerDeliveryTests {
    /// A file with one topic "t" holding `objects` store-backed, evictable objects and, when
    /// `closed`, its end of stream.
    private static func topic(in dir: TemporaryDirectory, objects: [String], closed: Bool = false) throws {
        let publisher = try SQLitePublisher(path: dir.path())
        let producer = StreamProducer<String>(publisher: publisher, defaultStore: publisher.database.objects)
        for object in objects { try producer.send(object, to: "t") }
        try producer.close(topics: closed ? ["t"] : [])
    }

    private static func objectCount(_ path: String) throws -> Int64 {
        try LogDatabase(path: path).withConnection { try $0.scalarInt("SELECT count(*) FROM objects") ?? -1 }
    }

    @Test func aDurableConsumerThatStopsWithoutClosingGetsTheEventAndItsObjectAgain() throws {
        let dir = try TemporaryDirectory()
        try Self.topic(in: dir, objects: ["only"])
        do {
            let consumer = StreamConsumer<String>(
                subscriber: try SQLiteSubscriber(path: dir.path(), topics: ["t"], consumer: "c", acknowledgementBatch: 1))
            #expect(try consumer.nextObject() == "only")
            // Stops here, as a crash would: the object was handed out but never acknowledged.
        }
        #expect(try Self.objectCount(dir.path()) == 1)
        let restarted = StreamConsumer<String>(
            subscriber: try SQLiteSubscriber(path: dir.path(), topics: ["t"], consumer: "c", acknowledgementBatch: 1))
        #expect(try restarted.nextObject() == "only")
        try restarted.close()
        #expect(try Self.objectCount(dir.path()) == 0)  // acknowledged, so evicted
    }

    @Test func eventsTheConsumerFilterDropsMoveADurableCursor() throws {
        let dir = try TemporaryDirectory()
        let publisher = try SQLitePublisher(path: dir.path())
        let producer = StreamProducer<String>(publisher: publisher, defaultStore: publisher.database.objects)
        for index in 0..<10 { try producer.send("debug \(index)", to: "debug", metadata: ["drop": true]) }
        try producer.send("kept", to: "work")
        try producer.close(publisher: false)
        let consumer = StreamConsumer<String>(
            subscriber: try SQLiteSubscriber(path: dir.path(), topics: ["debug", "work"], consumer: "c"),
            filter: ClosureFilter { $0["drop"] == true })
        #expect(try consumer.nextObject() == "kept")  // after the ten dropped ones of "debug"
        try consumer.close()
        #expect(try publisher.database.cursorPosition(consumer: "c", topic: "debug") == 10)
        #expect(try publisher.database.cursorPosition(consumer: "c", topic: "work") == 1)
        #expect(try Self.objectCount(dir.path()) == 0)  // dropped evictable objects are deleted
    }

    @Test func aDurableConsumerRestartedAfterTheEndOfAClosedTopicEndsAtOnce() throws {
        let dir = try TemporaryDirectory()
        try Self.topic(in: dir, objects: ["only"], closed: true)
        let first = StreamConsumer<String>(subscriber: try SQLiteSubscriber(path: dir.path(), topics: ["t"], consumer: "c"))
        #expect(try first.nextObject() == "only")
        #expect(try first.nextObject() == nil)
        try first.close(subscriber: false)
        let restarted = StreamConsumer<String>(subscriber: try SQLiteSubscriber(path: dir.path(), topics: ["t"], consumer: "c"))
        #expect(restarted.isFinished)
        #expect(try restarted.nextObject(timeout: .seconds(5)) == nil)
        try restarted.close()
        // A replay from the end of a closed topic has nothing to wait for either.
        let fromTheEnd = StreamConsumer<String>(subscriber: try SQLiteSubscriber(path: dir.path(), topics: ["t"], start: .end))
        #expect(fromTheEnd.isFinished)
        try fromTheEnd.close()
    }

    @Test func aMessageIsAcknowledgedByTheNextCallNotWhenItIsReturned() throws {
        let dir = try TemporaryDirectory()
        let publisher = try SQLitePublisher(path: dir.path())
        try publisher.send([Data("m1".utf8), Data("m2".utf8)], to: "t")
        do {
            let subscriber = try SQLiteSubscriber(path: dir.path(), topics: ["t"], consumer: "c", acknowledgementBatch: 1)
            #expect(try subscriber.nextMessage() == Data("m1".utf8))
        }
        let restarted = try SQLiteSubscriber(path: dir.path(), topics: ["t"], consumer: "c", acknowledgementBatch: 1)
        #expect(try restarted.nextMessage() == Data("m1".utf8))
        #expect(try restarted.nextMessage() == Data("m2".utf8))
        #expect(try publisher.database.cursorPosition(consumer: "c", topic: "t") == 1)
        restarted.close(stores: false)
    }

    @Test func anObjectWhoseFetchFailedOnABusyStoreIsDeliveredAgainNotSkipped() throws {
        let dir = try TemporaryDirectory()
        let publisher = try SQLitePublisher(path: dir.path())
        let store = try ObjectStore(path: dir.path("objects.db"))
        let producer = StreamProducer<String>(publisher: publisher, defaultStore: store)
        try producer.send("first", to: "t")
        try producer.send("second", to: "t")
        try producer.close(publisher: false)
        let consumer = StreamConsumer<String>(subscriber: try SQLiteSubscriber(
            path: dir.path(), topics: ["t"], options: .init(busyTimeout: .milliseconds(50))))

        // Another connection holds the store's write lock, so evicting the object times out.
        let holder = try LogDatabase(path: store.path)
        try holder.withConnection { try $0.execute("BEGIN IMMEDIATE") }
        let error = #expect(throws: StreamLogError.self) { try consumer.nextObject() }
        #expect(error?.code == .busyTimeout)
        try holder.withConnection { try $0.execute("ROLLBACK") }

        #expect(try consumer.nextObject() == "first")
        #expect(try consumer.nextObject() == "second")
        try consumer.close()
    }

    @Test func closingAConsumerWithoutItsSubscriberLetsANewConsumerReuseIt() throws {
        let dir = try TemporaryDirectory()
        try Self.topic(in: dir, objects: ["one", "two"], closed: true)
        let subscriber = try SQLiteSubscriber(path: dir.path(), topics: ["t"])
        let first = StreamConsumer<String>(subscriber: subscriber)
        let proxy = try #require(try first.next()?.proxy)
        try first.close(subscriber: false)
        #expect(try proxy.resolve() == "one")  // the subscriber's own store is still open
        let second = StreamConsumer<String>(subscriber: subscriber)
        #expect(try second.nextObject() == "two")
        #expect(try second.nextObject() == nil)
        try second.close()
    }
}
