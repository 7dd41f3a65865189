import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

/// Batches are inserted several rows per statement (MultiRowInsert), with the rows' values copied
/// into one buffer: every field of every row must come back as it went in, whatever mix of sizes,
/// NULLs and large values a batch holds, and a failing row must still fail the whole batch.
@Suite struct MultiRowInsertTests {
    /// A varied event: inline or stored, with or without encoding and metadata, sometimes a
    /// payload too large to be inserted with others, sometimes an empty one.
    private func event(_ index: Int, store: StoreReference) -> Event {
        let encoding: String? = index % 5 == 0 ? nil : (index % 5 == 1 ? "" : "enc-\(index % 3)")
        let metadata: Metadata = index % 4 == 0 ? [:] : ["i": .int(Int64(index)), "s": .string(String(repeating: "m", count: index % 7))]
        if index % 6 == 3 {
            return Event(kind: .object, evict: index % 2 == 0, encoding: encoding, size: index, key: ObjectKey.random(),
                         store: index % 12 == 3 ? store : nil, metadata: metadata)
        }
        let size = index % 13 == 7 ? MultiRowInsert.payloadLimit + 1 + index : (index % 9 == 2 ? 0 : index % 50)
        return Event(kind: .object, encoding: encoding, size: size,
                     payload: Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &+ index) }), metadata: metadata)
    }

    @Test(arguments: [1, 3, 4, 5, 16, 20, 63, 64, 65, 100, 150])
    func everyFieldOfEveryRowRoundTrips(count: Int) throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        defer { db.close() }
        let store = try db.registerStore(path: dir.path("other.db"))
        let sent = (0..<count).map { event($0, store: store) }
        #expect(try db.append(sent, to: "t") == 1...Int64(count))
        let read = try db.read(topic: "t", limit: 1000)
        #expect(read.count == count)
        for (index, (got, want)) in zip(read, sent).enumerated() {
            #expect(got.seq == Int64(index + 1))
            #expect(got.kind == want.kind && got.evict == want.evict && got.size == want.size, "event \(index)")
            #expect(got.encoding == want.encoding, "event \(index)")
            #expect(got.payload == want.payload, "event \(index)")
            #expect(got.key == want.key && got.store?.id == want.store?.id, "event \(index)")
            #expect(got.metadata == want.metadata, "event \(index)")
        }
        #expect(Set(read.map(\.time)).count == 1, "one batch, one time")
    }

    @Test func anEndOfStreamAfterManyRowsStillClosesTheTopic() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        defer { db.close() }
        try db.append((0..<70).map { .inline(Data([UInt8($0)])) } + [.endOfStream()], to: "t")
        #expect(try db.isClosed(topic: "t"))
        #expect(try db.read(topic: "t").last?.isEndOfStream == true)
    }

    @Test func objectsOfMixedSizesRoundTrip() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        defer { db.close() }
        let sizes = (0..<90).map { $0 % 17 == 5 ? MultiRowInsert.payloadLimit + 100 * $0 : $0 % 40 }
        let objects = sizes.enumerated().map { index, size in
            PendingObject(data: Data((0..<size).map { UInt8(truncatingIfNeeded: $0 ^ index) }),
                          encoding: index % 3 == 0 ? "" : "e\(index)")
        }
        try db.objects.putBatch(objects)
        for object in objects {
            let stored = try db.objects.get(object.key)
            #expect(stored.data == object.data && stored.encoding == object.encoding)
        }
    }

    @Test func aKeyTakenInTheMiddleOfABatchFailsTheWholeBatch() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        defer { db.close() }
        let taken = try db.objects.put(Data("first".utf8))
        var objects = (0..<40).map { PendingObject(data: Data("object \($0)".utf8)) }
        objects[20] = PendingObject(key: taken, data: Data("again".utf8))
        #expect(throws: StreamLogError.self) { try db.objects.putBatch(objects) }
        for object in objects where object.key != taken { #expect(try !db.objects.exists(object.key)) }
        #expect(try db.objects.get(taken).data == Data("first".utf8))
    }
}
