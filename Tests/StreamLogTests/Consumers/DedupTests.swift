import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

@Suite struct DedupTests {
    @Test func aRepeatedKeyIsDroppedAndReported() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let first = try db.append(numberedEvents(3), dedupKeys: ["a", nil, "b"], to: "t")
        #expect(first.appended == 1...3 && first.duplicates.isEmpty)
        // A producer retrying the batch, with one new event.
        let retry = try db.append(numberedEvents(4), dedupKeys: ["a", nil, "b", "c"], to: "t")
        #expect(retry.appended == 4...5)
        #expect(retry.duplicates == [.init(index: 0, key: "a", seq: 1), .init(index: 2, key: "b", seq: 3)])
        #expect(texts(try db.read(topic: "t")) == ["0", "1", "2", "1", "3"])
    }

    @Test func aKeyRepeatedWithinABatchKeepsTheFirst() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let result = try db.append(numberedEvents(3), dedupKeys: ["k", "k", "j"], to: "t")
        #expect(result.appended == 1...2)
        #expect(result.duplicates == [.init(index: 1, key: "k", seq: 1)])
        #expect(texts(try db.read(topic: "t")) == ["0", "2"])
    }

    @Test func keysAreRememberedOnlyForTheWindow() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let start = Timestamp.now()
        try db.append(numberedEvents(1), dedupKeys: ["k"], to: "t", window: .milliseconds(50))
        let within = try db.append(numberedEvents(1), dedupKeys: ["k"], to: "t", window: .milliseconds(50))
        // Unless the machine stalled for the whole window, the retry inside it is dropped.
        if Timestamp.now() < start.shifted(by: .milliseconds(50)) {
            #expect(within.appended == nil && within.duplicates.count == 1)
        }
        #expect(waitUntil { Timestamp.now() > start.shifted(by: .milliseconds(60)) })
        let after = try db.append(numberedEvents(1), dedupKeys: ["k"], to: "t", window: .seconds(60))
        let appended = try #require(after.appended)
        #expect(after.duplicates.isEmpty)
        let again = try db.append(numberedEvents(1), dedupKeys: ["k"], to: "t")
        #expect(again.duplicates.map(\.seq) == [appended.lowerBound])
    }

    @Test func keysAreScopedToTheirTopic() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(1), dedupKeys: ["k"], to: "a")
        #expect(try db.append(numberedEvents(1), dedupKeys: ["k"], to: "b").appended == 1...1)
    }

    @Test func objectsOfDroppedEventsAreNotStored() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let first = ObjectKey.random(), retried = ObjectKey.random()
        try db.append(
            [.stored(key: first, size: 1)], dedupKeys: ["k"], objects: [PendingObject(key: first, data: Data([1]))],
            to: "t")
        let result = try db.append(
            [.stored(key: retried, size: 1)], dedupKeys: ["k"], objects: [PendingObject(key: retried, data: Data([1]))],
            to: "t")
        #expect(result.appended == nil)
        #expect(try db.objects.exists(first))
        #expect(try !db.objects.exists(retried))
    }

    @Test func duplicatesOnAClosedTopicAreReportedNotRefused() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(1), dedupKeys: ["k"], to: "t")
        try db.closeTopic("t")
        #expect(try db.append(numberedEvents(1), dedupKeys: ["k"], to: "t").duplicates.count == 1)
        let error = #expect(throws: StreamLogError.self) {
            try db.append(numberedEvents(1), dedupKeys: ["new"], to: "t")
        }
        #expect(error?.code == .topicClosed)
    }

    @Test func mismatchedKeysAreRefused() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        #expect(throws: StreamLogError.self) { try db.append(numberedEvents(2), dedupKeys: ["k"], to: "t") }
        #expect(throws: StreamLogError.self) { try db.append(numberedEvents(1), dedupKeys: [""], to: "t") }
        #expect(try !db.topicExists("t"))
    }
}
