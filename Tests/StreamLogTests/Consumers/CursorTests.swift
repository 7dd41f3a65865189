import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

@Suite struct CursorTests {
    @Test func aRestartedConsumerResumesAfterItsLastAcknowledgement() throws {
        let dir = try TemporaryDirectory()
        do {
            let db = try LogDatabase(path: dir.path())
            try db.append(numberedEvents(10), to: "t")
            let first = try db.read(topic: "t", consumer: "c", limit: 3)
            #expect(first.map(\.seq) == [1, 2, 3])
            try db.acknowledge(consumer: "c", topic: "t", through: 3)
            // Read but not acknowledged: must come again after the restart.
            #expect(try db.read(topic: "t", consumer: "c", limit: 2).map(\.seq) == [4, 5])
            db.close()
        }
        let reopened = try LogDatabase(path: dir.path())
        #expect(try reopened.cursorPosition(consumer: "c", topic: "t") == 3)
        #expect(try reopened.read(topic: "t", consumer: "c", limit: 100).map(\.seq) == Array(4...10))
    }

    @Test func aNewConsumerStartsAtTheFirstRetainedEvent() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(8), to: "t")
        try db.trim(topic: "t", before: 5)
        #expect(try db.cursorPosition(consumer: "new", topic: "t") == nil)
        #expect(try db.read(topic: "t", consumer: "new", limit: 2).map(\.seq) == [5, 6])
        #expect(try db.cursorPosition(consumer: "new", topic: "t") == 0)
        #expect(try db.registerConsumer("other", topic: "t") == 0)
    }

    @Test func acknowledgingNeverMovesTheCursorBackwards() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(6), to: "t")
        #expect(try db.acknowledge(consumer: "c", topic: "t", through: 5) == 5)
        #expect(try db.acknowledge(consumer: "c", topic: "t", through: 2) == 5)
        #expect(try db.cursorPosition(consumer: "c", topic: "t") == 5)
        let error = #expect(throws: StreamLogError.self) { try db.acknowledge(consumer: "c", topic: "t", through: 7) }
        #expect(error?.code == .invalidArgument)
        #expect(try db.cursorPosition(consumer: "c", topic: "t") == 5)
    }

    @Test func anAcknowledgingReadAcknowledgesThenReadsInOneStep() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(5), to: "t")
        var batch = try db.read(topic: "t", consumer: "c", limit: 2)
        var seen: [Int64] = []
        while !batch.isEmpty {
            seen += batch.map(\.seq)
            batch = try db.read(topic: "t", consumer: "c", limit: 2, acknowledging: batch.last!.seq)
        }
        #expect(seen == [1, 2, 3, 4, 5])
        #expect(try db.cursorPosition(consumer: "c", topic: "t") == 5)
    }

    @Test(arguments: [
        (LogDatabase.SeekTarget.start, Int64(3)), (.end, 10), (.seq(7), 6), (.seq(11), 10), (.seq(1), 0),
    ])
    func seekMakesTheTargetTheNextDelivery(target: LogDatabase.SeekTarget, position: Int64) throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(10), to: "t")
        try db.trim(topic: "t", before: 4)
        try db.acknowledge(consumer: "c", topic: "t", through: 8)
        #expect(try db.seek(consumer: "c", topic: "t", to: target) == position)
        #expect(try db.cursorPosition(consumer: "c", topic: "t") == position)
        let next = try db.read(topic: "t", consumer: "c", limit: 1).first?.seq
        #expect(next == (position < 10 ? max(position + 1, 4) : nil))
    }

    @Test func seekByTimeFindsTheFirstEventAppendedAtOrAfterIt() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(3), to: "t")
        let cut = Timestamp.now()
        #expect(waitUntil { Timestamp.now() > cut })
        try db.append(numberedEvents(2, from: 3), to: "t")
        #expect(try db.seek(consumer: "c", topic: "t", to: .time(cut)) == 3)
        #expect(try db.read(topic: "t", consumer: "c").map(\.seq) == [4, 5])
        #expect(try db.seek(consumer: "c", topic: "t", to: .time(Timestamp.now().shifted(by: .seconds(60)))) == 5)
    }

    @Test func seekingOutsideTheTopicIsRefused() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(3), to: "t")
        for seq: Int64 in [0, 5] {
            let error = #expect(throws: StreamLogError.self) { try db.seek(consumer: "c", topic: "t", to: .seq(seq)) }
            #expect(error?.code == .invalidArgument)
        }
        #expect(try db.cursorPosition(consumer: "c", topic: "t") == nil)
    }

    @Test func lagCountsObjectEventsAndTheAgeOfTheOldest() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(5), to: "t")
        try db.closeTopic("t")
        #expect(try db.lag(consumer: "c", topic: "t") == nil)
        try db.registerConsumer("c", topic: "t")
        let events = try db.read(topic: "t")
        let full = try #require(try db.lag(consumer: "c", topic: "t"))
        #expect(full.events == 5)  // end-of-stream is not counted
        #expect(full.oldestUnconsumed == events[0].time)
        #expect(full.age.map { $0 >= .zero } == true)
        try db.acknowledge(consumer: "c", topic: "t", through: 2)
        let partial = try #require(try db.lag(consumer: "c", topic: "t"))
        #expect(partial.events == 3 && partial.oldestUnconsumed == events[2].time)
        try db.acknowledge(consumer: "c", topic: "t", through: 6)
        #expect(try db.lag(consumer: "c", topic: "t") == LogDatabase.Lag(events: 0, oldestUnconsumed: nil, age: nil))
    }

    @Test func consumersOfAnUnknownTopicFailAndCreateNothing() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let error = #expect(throws: StreamLogError.self) { try db.read(topic: "missing", consumer: "c") }
        #expect(error?.code == .topicNotFound)
        #expect(throws: StreamLogError.self) { try db.acknowledge(consumer: "c", topic: "missing", through: 0) }
        #expect(try !db.topicExists("missing"))
        #expect(try db.cursors().isEmpty)
    }

    @Test func consumerNamesAreDataNotSQL() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(2), to: "t")
        let name = "x'); DROP TABLE cursors; --"
        try db.acknowledge(consumer: name, topic: "t", through: 1)
        #expect(try db.cursorPosition(consumer: name, topic: "t") == 1)
        #expect(try db.cursors().map(\.name) == [name])
        #expect(throws: StreamLogError.self) { try db.registerConsumer("", topic: "t") }
    }

    @Test func aKilledConsumerProcessGetsItsUnacknowledgedEventAgain() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let db = try LogDatabase(path: path)
        try db.append(numberedEvents(3), to: "t")
        let marker = dir.path("marker")
        let child = try ChildProcess(try builtExecutable("StreamLogTestWorker"), ["consumer-read-block", path, "t", "c", marker])
        let text = try waitForMarker(marker)
        child.kill()
        let result = child.finish()
        #expect(text == "acked 1 received 2", "\(result.stderr)")
        #expect(result.status != 0)
        // Event 2 was received but never acknowledged: delivered again. Event 1 never is.
        #expect(try db.read(topic: "t", consumer: "c").map(\.seq) == [2, 3])
        #expect(try db.cursorPosition(consumer: "c", topic: "t") == 1)
    }
}
