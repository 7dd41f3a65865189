import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

@Suite struct ConsumerRetentionTests {
    /// Six stored objects on "t", one per event; returns their keys in seq order.
    private func storedTopic(_ db: LogDatabase, count: Int = 6) throws -> [ObjectKey] {
        let keys = (0..<count).map { _ in ObjectKey.random() }
        try db.append(
            keys.map { .stored(key: $0, size: 1, evict: false) },
            objects: keys.map { PendingObject(key: $0, data: Data([1])) }, to: "t")
        return keys
    }

    private func present(_ db: LogDatabase, _ keys: [ObjectKey]) throws -> [Bool] {
        try keys.map { try db.objects.exists($0) }
    }

    @Test func objectsAreEvictedOnlyOnceEveryConsumerAndGroupHasPassedThem() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let keys = try storedTopic(db)
        #expect(try db.evictConsumedObjects(topic: "t") == 0)  // nobody registered: nothing consumed
        try db.acknowledge(consumer: "fast", topic: "t", through: 5)
        let claimed = try db.claim(group: "g", topic: "t", member: "m", limit: 3)
        try #require(claimed.count == 3)
        try db.ack([claimed[0].receipt, claimed[2].receipt])  // 2 still leased
        #expect(try db.consumedThrough(topic: "t") == 1)
        #expect(try db.evictConsumedObjects(topic: "t") == 1)
        #expect(try present(db, keys) == [false, true, true, true, true, true])
        try db.ack(claimed[1].receipt)
        #expect(try db.evictConsumedObjects(topic: "t") == 2)
        #expect(try present(db, keys) == [false, false, false, true, true, true])
        let error = #expect(throws: StreamLogError.self) { try db.objects.get(keys[0]) }
        #expect(error?.code == .objectEvicted)
        #expect(try db.read(topic: "t").count == 6)  // events stay
    }

    @Test func theEvictPolicyRunsOnEveryAcknowledgement() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let keys = try storedTopic(db)
        try db.registerConsumer("a", topic: "t")
        try db.registerConsumer("b", topic: "t")
        try db.setConsumerRetention(.evictObjects, topic: "t")
        #expect(try db.consumerRetention(topic: "t") == .evictObjects)
        try db.acknowledge(consumer: "a", topic: "t", through: 4)
        #expect(try present(db, keys) == Array(repeating: true, count: 6))  // b has passed nothing
        try db.acknowledge(consumer: "b", topic: "t", through: 2)
        #expect(try present(db, keys) == [false, false, true, true, true, true])
        let delivery = try db.claim(group: "g", topic: "t", member: "m", limit: 6)  // the group joins at the start
        try db.acknowledge(consumer: "b", topic: "t", through: 6)
        #expect(try present(db, keys) == [false, false, true, true, true, true])
        try db.ack(delivery.map(\.receipt))
        #expect(try present(db, keys) == [false, false, false, false, true, true])
        try db.removeConsumer("a", topic: "t")
        #expect(try present(db, keys) == Array(repeating: false, count: 6))
    }

    @Test func trimConsumedDeletesWhatEveryoneHasPassedButNeverTheEnd() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let keys = try storedTopic(db)
        try db.closeTopic("t")
        #expect(try db.trimConsumed(topic: "t") == .init(events: 0, objects: 0))
        try db.acknowledge(consumer: "a", topic: "t", through: 7)
        try db.acknowledge(consumer: "b", topic: "t", through: 3)
        #expect(try db.trimConsumed(topic: "t") == .init(events: 3, objects: 3))
        #expect(try db.read(topic: "t").map(\.seq) == [4, 5, 6, 7])
        try db.acknowledge(consumer: "b", topic: "t", through: 7)
        #expect(try db.trimConsumed(topic: "t") == .init(events: 3, objects: 3))
        #expect(try db.read(topic: "t").map(\.isEndOfStream) == [true])
        #expect(try present(db, keys) == Array(repeating: false, count: 6))
        #expect(try db.isClosed(topic: "t"))
    }

    @Test func theDeleteEventsPolicyTrimsAsGroupsAck() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(5), to: "t")
        try db.createGroup("g", topic: "t")
        try db.setConsumerRetention(.deleteEvents, topic: "t")
        let batch = try db.claim(group: "g", topic: "t", member: "m", limit: 3)
        try #require(batch.count == 3)
        try db.ack(batch[1].receipt)
        #expect(try db.read(topic: "t").map(\.seq) == [1, 2, 3, 4, 5])
        try db.ack([batch[0].receipt, batch[2].receipt])
        #expect(try db.read(topic: "t").map(\.seq) == [4, 5])
        #expect(try db.append(numberedEvents(1), to: "t") == 6...6)  // seqs are never reused
        try db.setConsumerRetention(.keep, topic: "t")
        try db.ack(try db.claim(group: "g", topic: "t", member: "m", limit: 3).map(\.receipt))
        #expect(try db.read(topic: "t").map(\.seq) == [4, 5, 6])
    }

    @Test(arguments: ["seq", "count", "age"])
    func plainRetentionLeavesConsumersConsistent(variant: String) throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(4), to: "t")
        let cut = Timestamp.now()
        #expect(waitUntil { Timestamp.now() > cut })
        try db.append(numberedEvents(4, from: 4), to: "t")
        try db.acknowledge(consumer: "c", topic: "t", through: 2)
        let result: LogDatabase.TrimResult
        switch variant {
        case "seq": result = try db.trim(topic: "t", before: 5)
        case "count": result = try db.trim(topic: "t", keepingLast: 4)
        default: result = try db.trim(topic: "t", olderThan: cut)
        }
        #expect(result.events == 4)
        #expect(try db.cursorPosition(consumer: "c", topic: "t") == 2)
        #expect(try db.lag(consumer: "c", topic: "t")?.events == 4)
        #expect(try db.read(topic: "t", consumer: "c").map(\.seq) == [5, 6, 7, 8])
    }
}
