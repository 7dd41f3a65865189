import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

/// A subscriber's memory stays bounded by what it reads, not by how many events are waiting: its
/// pages stop at a byte budget, and large objects are read into one buffer of their size.
@Suite struct SubscriberMemoryTests {
    @Test func aPageOfLargeInlinePayloadsStopsAtTheByteBudget() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let payload = Data(repeating: 1, count: 300 << 10)
        try db.append((0..<20).map { _ in Event.inline(payload) }, to: "t")
        let page = try db.subscriberPage(topic: "t", after: 0, limit: 256)
        // 300 KiB each: the fourth crosses 1 MiB, and the page ends with it.
        #expect(page.events.count == 4)
        #expect(page.events.map(\.seq) == [1, 2, 3, 4])
        // Small events still come 256 to a page.
        try db.append((0..<300).map { _ in Event.inline(Data("x".utf8)) }, to: "small")
        #expect(try db.subscriberPage(topic: "small", after: 0, limit: 256).events.count == 256)
        // One event larger than the budget is still delivered, alone.
        try db.append([Event.inline(Data(repeating: 2, count: 2 << 20))], to: "huge")
        #expect(try db.subscriberPage(topic: "huge", after: 0, limit: 256).events.count == 1)
    }

    @Test func objectsAroundTheRowAndChunkLimitsRoundTrip() throws {
        let dir = try TemporaryDirectory()
        let store = try LogDatabase(path: dir.path()).objects
        let sizes = [0, 1, ObjectStore.rowValueLimit, ObjectStore.rowValueLimit + 1, ObjectStore.smallCacheThreshold,
                     1 << 20, ObjectStore.chunkSize, ObjectStore.chunkSize + 3]
        for size in sizes {
            let data = Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ size) })
            let key = try store.put(data, encoding: "size-\(size)")
            let chunks = try store.database.withConnection { connection in
                try key.withBytes { bytes in
                    try connection.cached("SELECT count(*) FROM object_chunks WHERE key = ?1").queryOne({
                        $0.bindNoCopy(blob: bytes, at: 1)
                    }) { $0.int(0) }
                }
            }
            #expect(chunks == (size > ObjectStore.rowValueLimit ? (size + ObjectStore.chunkSize - 1) / ObjectStore.chunkSize : 0),
                    "size \(size)")
            #expect(try store.get(key) == StoredObject(data: data, encoding: "size-\(size)"), "size \(size)")
            var streamed = Data()
            #expect(try store.read(key) { streamed.append(contentsOf: $0) } == "size-\(size)")
            #expect(streamed == data, "size \(size)")
            #expect(try store.take(key) == StoredObject(data: data, encoding: "size-\(size)"), "size \(size)")
            #expect(try !store.exists(key))
        }
        #expect(try store.database.withConnection { try $0.scalarInt("SELECT count(*) FROM object_chunks") } == 0)
        // The page cache limit is restored after a large read.
        #expect(try store.database.withConnection { try $0.scalarInt("PRAGMA cache_size") } == -2000)
    }
}
