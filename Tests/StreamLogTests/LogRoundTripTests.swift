import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

@Suite struct LogRoundTripTests {
    @Test func appendAndReadBack() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let range = try db.append(
            [.inline(Data("a".utf8), metadata: ["i": 0]), .inline(Data("b".utf8), encoding: "utf8", metadata: ["i": 1])],
            to: "t")
        #expect(range == 1...2)
        let events = try db.read(topic: "t")
        #expect(events.map(\.seq) == [1, 2])
        #expect(events.map { $0.payload.map { String(decoding: $0, as: UTF8.self) } } == ["a", "b"])
        #expect(events[1].encoding == "utf8")
        #expect(events[1].metadata == ["i": 1])
        #expect(events.allSatisfy { $0.topic == "t" && $0.kind == .object })
        #expect(events[0].time <= events[1].time)
    }

    @Test func eventsSurviveReopening() throws {
        let dir = try TemporaryDirectory()
        do {
            let db = try LogDatabase(path: dir.path())
            try db.append((0..<10).map { .inline(Data([UInt8($0)])) }, to: "durable")
            db.close()
        }
        let reopened = try LogDatabase(path: dir.path())
        let events = try reopened.read(topic: "durable")
        #expect(events.map(\.seq) == Array(1...10))
        #expect(events.map { $0.payload!.first! } == (0..<10).map(UInt8.init))
        #expect(try reopened.append([.inline(Data())], to: "durable") == 11...11)
    }

    @Test func readByCursorPagesThroughTheTopic() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append((0..<25).map { .inline(Data([UInt8($0)])) }, to: "t")
        #expect(try db.read(topic: "t", after: 10, limit: 5).map(\.seq) == [11, 12, 13, 14, 15])
        var seen: [Int64] = []
        try db.forEachEvent(topic: "t", after: 3, through: 20, pageSize: 4) { seen.append($0.seq); return true }
        #expect(seen == Array(4...20))
    }

    @Test func aFailedBatchLeavesNothing() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append([.inline(Data("kept".utf8))], to: "t")
        // A reference to a store id that does not exist violates the foreign key on the last row.
        let bad = Event.stored(key: .random(), size: 1, store: StoreReference(id: 999, path: "/nowhere"))
        #expect(throws: StreamLogError.self) {
            try db.append([.inline(Data("x".utf8)), .inline(Data("y".utf8)), bad], to: "t")
        }
        #expect(try db.read(topic: "t").count == 1)
        // No seq of the failed batch was ever visible, so the counter rolled back with it.
        #expect(try db.append([.inline(Data("next".utf8))], to: "t") == 2...2)
    }

    @Test func seqsAreNeverReusedAfterTrimOrDeletingTheNewestRows() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        do {
            let db = try LogDatabase(path: path)
            try db.append((0..<5).map { _ in .inline(Data("x".utf8)) }, to: "t")
            #expect(try db.trim(topic: "t", before: 6).events == 5)
            #expect(try db.append([.inline(Data())], to: "t") == 6...6)
        }
        // Delete the newest rows behind the library's back, as an operator might.
        let raw = try LogDatabase(path: path)
        _ = try raw.withConnection { try $0.execute("DELETE FROM topic_1") }
        raw.close()
        let reopened = try LogDatabase(path: path)
        #expect(try reopened.append([.inline(Data())], to: "t") == 7...7)
        #expect(try reopened.lastSeq(topic: "t") == 7)
    }

    @Test func trimKeepsTheLastNAndTheEndOfStream() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let keys = (0..<6).map { _ in ObjectKey.random() }
        try db.append(
            keys.map { .stored(key: $0, size: 1) },
            objects: keys.map { PendingObject(key: $0, data: Data([1])) }, to: "t")
        try db.closeTopic("t")
        let result = try db.trim(topic: "t", keepingLast: 2)
        #expect(result == .init(events: 4, objects: 4))
        let events = try db.read(topic: "t")
        #expect(events.map(\.seq) == [5, 6, 7])
        #expect(events.last?.isEndOfStream == true)
        #expect(try !db.objects.exists(keys[0]))
        #expect(try db.objects.exists(keys[5]))
        #expect(try db.isClosed(topic: "t"))
        let stats = try db.stats(topic: "t")
        #expect(stats.events == 2 && stats.firstSeq == 5 && stats.lastSeq == 6 && stats.bytes == 2 && stats.closed)
    }

    @Test func trimByAgeUsesTheAppendTime() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append([.inline(Data("old".utf8))], to: "t")
        let cut = Timestamp.now()
        #expect(waitUntil { Timestamp.now() > cut })
        try db.append([.inline(Data("new".utf8))], to: "t")
        #expect(try db.firstSeq(topic: "t", atOrAfter: cut) == 2)
        #expect(try db.trim(topic: "t", olderThan: cut).events == 1)
        #expect(try db.read(topic: "t").map(\.seq) == [2])
    }

    /// SQLite reads LIMIT -1 as no limit: a negative limit would load the whole topic.
    @Test func aNegativeLimitIsRefused() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(3), to: "t")
        let error = #expect(throws: StreamLogError.self) { try db.read(topic: "t", limit: -1) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("-1") == true && error?.message.contains("\"t\"") == true)
        #expect(try db.read(topic: "t", limit: 0).isEmpty)
    }

    /// An empty page never moves the cursor (the loop would not end), and a negative one has no limit.
    @Test(arguments: [0, -1])
    func aPageSizeBelowOneIsRefused(pageSize: Int) throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(3), to: "t")
        for attempt in [
            { try db.forEachEvent(topic: "t", pageSize: pageSize) { _ in true } },
            { try db.forEachEventRow(topic: "t", pageSize: pageSize) { _ in true } },
        ] as [() throws -> Void] {
            let error = #expect(throws: StreamLogError.self) { try attempt() }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains("pages of \(pageSize) events") == true, "\(String(describing: error))")
        }
    }
}
