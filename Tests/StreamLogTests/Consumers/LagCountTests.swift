import Foundation
import Testing
import StreamLog
import StreamLogTestSupport

/// Lag is counted from the bounds of the topic's seqs (retained seqs are contiguous): these
/// cases pin that arithmetic against trims, the end-of-stream event and consumers left behind.
@Suite struct LagCountTests {
    @Test func lagCountsObjectEventsAfterThePositionOnly() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append((0..<10).map { _ in .inline(Data("x".utf8)) }, to: "t")
        try db.registerConsumer("c", topic: "t")
        #expect(try db.lag(consumer: "c", topic: "t")?.events == 10)
        try db.acknowledge(consumer: "c", topic: "t", through: 4)
        #expect(try db.lag(consumer: "c", topic: "t")?.events == 6)
        try db.closeTopic("t")
        #expect(try db.lag(consumer: "c", topic: "t")?.events == 6, "the end-of-stream event is not counted")
        try db.acknowledge(consumer: "c", topic: "t", through: 11)
        #expect(try db.lag(consumer: "c", topic: "t")?.events == 0)
    }

    @Test func aConsumerLeftBehindATrimCountsOnlyRetainedEvents() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append((0..<10).map { _ in .inline(Data("x".utf8)) }, to: "t")
        try db.registerConsumer("c", topic: "t")
        try db.trim(topic: "t", keepingLast: 3)
        #expect(try db.lag(consumer: "c", topic: "t")?.events == 3)
        try db.trim(topic: "t", keepingLast: 0)
        #expect(try db.lag(consumer: "c", topic: "t")?.events == 0)
        try db.append([.inline(Data("y".utf8))], to: "t")
        #expect(try db.lag(consumer: "c", topic: "t")?.events == 1)
    }
}
