import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

/// The dead-letter topic of a group: one that cannot take letters (closed), and names that two
/// (topic, group) pairs share.
@Suite struct DeadLetterTopicTests {
    @Test func theDeadLetterTopicOfAGroupCannotBeClosed() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(1), to: "t")
        try db.createGroup("g", topic: "t")
        let dlq = LogDatabase.deadLetterTopic(group: "g", topic: "t")
        for attempt in [{ _ = try db.closeTopic(dlq) }, { _ = try db.append([.endOfStream(topic: dlq)], to: dlq) }] as [() throws -> Void] {
            let error = #expect(throws: StreamLogError.self) { try attempt() }
            #expect(error?.code == .invalidArgument, "\(String(describing: error))")
            #expect(error?.message.contains("group \"g\" of topic \"t\"") == true, "\(String(describing: error))")
        }
        #expect(try !db.topicExists(dlq))
        try db.removeGroup("g", topic: "t")
        #expect(try db.closeTopic(dlq) == 1)
    }

    /// A delivery given back untried (its output closed before it was written) does not use up
    /// one of its deliveries: with a limit of one, it is delivered again, not dead-lettered.
    @Test func aDeliveryGivenBackUntriedKeepsItsAttempt() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(1), to: "t")
        try db.createGroup("g", topic: "t", options: .init(maxDeliveries: 1))
        for _ in 0..<3 {
            let claimed = try db.claim(group: "g", topic: "t", member: "m", limit: 1)
            #expect(claimed.map(\.event.seq) == [1])
            try db.giveBackUntried(claimed.map(\.receipt))
        }
        #expect(try db.deadLetters(group: "g", topic: "t").isEmpty)
        let last = try db.claim(group: "g", topic: "t", member: "m", limit: 1)
        try db.nack(try #require(last.first).receipt, error: "tried and failed")
        #expect(try db.deadLetters(group: "g", topic: "t").map(\.attempts) == [1])
    }

    /// A dead-letter topic closed before its group existed (or by another tool) takes no more
    /// letters: a spent event is parked instead of failing every later claim of the group.
    @Test func aSpentEventWhoseDeadLetterTopicIsClosedIsParkedAndClaimsGoOn() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(3), to: "t")
        let dlq = LogDatabase.deadLetterTopic(group: "g", topic: "t")
        try db.closeTopic(dlq)
        try db.createGroup("g", topic: "t", options: .init(maxDeliveries: 1))
        let now = Timestamp.now()
        func claim(after seconds: Int64, lease: Duration = .seconds(1)) throws -> [LogDatabase.Delivery] {
            try db.claim(group: "g", topic: "t", member: "m", limit: 5, lease: lease, now: now.shifted(by: .seconds(seconds)))
        }
        // Spent by a nack...
        let first = try #require(try db.claim(group: "g", topic: "t", member: "m", limit: 1, lease: .seconds(1), now: now).first)
        #expect(first.event.seq == 1)
        try db.nack(first.receipt, delay: .zero, error: "bad 1", now: now)
        // ... and by an expired lease, found by the next claim.
        #expect(try db.claim(group: "g", topic: "t", member: "m", limit: 1, lease: .seconds(1), now: now).map(\.event.seq) == [2])
        let third = try claim(after: 2)
        try #require(third.map(\.event.seq) == [3])
        try db.ack(third[0].receipt)
        #expect(try claim(after: 3).isEmpty)
        #expect(try db.deadLetters(group: "g", topic: "t").isEmpty)
        #expect(try db.read(topic: dlq).map(\.isEndOfStream) == [true])
        // Not done: the group's position and lag keep them, and retention cannot take them.
        #expect(try db.groupPosition(group: "g", topic: "t") == 0)
        #expect(try db.lag(group: "g", topic: "t")?.events == 2)
        #expect(try db.check().problems.isEmpty)

        #expect(try db.redrive(group: "g", topic: "t") == .init(released: 2, reappended: 0, kept: 0))
        let again = try claim(after: 4, lease: .seconds(30))
        #expect(again.map(\.event.seq) == [1, 2])
        #expect(again.map(\.attempt) == [1, 1])
    }

    /// (topic "a", group "b.dlq.c") and (topic "a.dlq.b", group "c") share the dead-letter topic
    /// "a.dlq.b.dlq.c": each group lists and redrives its own letters only.
    @Test func groupsSharingADeadLetterTopicNameKeepTheirLettersApart() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let pairs = [(topic: "a", group: "b.dlq.c", seq: Int64(2)), (topic: "a.dlq.b", group: "c", seq: Int64(1))]
        #expect(Set(pairs.map { LogDatabase.deadLetterTopic(group: $0.group, topic: $0.topic) }) == ["a.dlq.b.dlq.c"])
        try db.append(numberedEvents(2), to: "a")
        try db.append(numberedEvents(1, from: 10), to: "a.dlq.b")
        for pair in pairs {
            try db.createGroup(pair.group, topic: pair.topic, options: .init(maxDeliveries: 1))
            for delivery in try db.claim(group: pair.group, topic: pair.topic, member: "m", limit: 5) {
                if delivery.event.seq == pair.seq {
                    try db.nack(delivery.receipt, error: "\(pair.topic) failed")
                } else {
                    try db.ack(delivery.receipt)
                }
            }
        }
        #expect(try db.read(topic: "a.dlq.b.dlq.c").count == 2)
        for pair in pairs {
            let letters = try db.deadLetters(group: pair.group, topic: pair.topic)
            #expect(letters.map(\.originalSeq) == [pair.seq])
            #expect(letters.map(\.error) == ["\(pair.topic) failed"])
        }

        #expect(try db.redrive(group: "c", topic: "a.dlq.b") == .init(released: 1, reappended: 0, kept: 0))
        #expect(try db.read(topic: "a.dlq.b").count == 1, "nothing of topic a was appended to it")
        #expect(try db.deadLetters(group: "c", topic: "a.dlq.b").isEmpty)
        #expect(try db.deadLetters(group: "b.dlq.c", topic: "a").map(\.originalSeq) == [2])
        #expect(try db.claim(group: "c", topic: "a.dlq.b", member: "m", limit: 5).map(\.event.seq) == [1])

        #expect(try db.redrive(group: "b.dlq.c", topic: "a") == .init(released: 1, reappended: 0, kept: 0))
        #expect(try db.claim(group: "b.dlq.c", topic: "a", member: "m", limit: 5).map(\.event.seq) == [2])
        #expect(try db.read(topic: "a.dlq.b.dlq.c").isEmpty)
    }
}
