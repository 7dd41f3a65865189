import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

@Suite struct ObjectStoreTests {
    @Test func putGetExistsEvict() throws {
        let dir = try TemporaryDirectory()
        let store = try LogDatabase(path: dir.path()).objects
        let key = try store.put(Data("hello".utf8), encoding: "utf8")
        #expect(try store.exists(key))
        #expect(try store.get(key) == StoredObject(data: Data("hello".utf8), encoding: "utf8"))
        #expect(try store.evict(key))
        #expect(try !store.evict(key))
        #expect(try !store.exists(key))
        let evicted = #expect(throws: StreamLogError.self) { try store.get(key) }
        #expect(evicted?.code == .objectEvicted)
        #expect(evicted?.message.contains(key.description) == true)
        let missing = #expect(throws: StreamLogError.self) { try store.get(.random()) }
        #expect(missing?.code == .objectMissing)
    }

    @Test func putBatchIsOneTransactionInOrder() throws {
        let dir = try TemporaryDirectory()
        let store = try LogDatabase(path: dir.path()).objects
        let items = (0..<50).map { Data("item \($0)".utf8) }
        let keys = try store.putBatch(items)
        #expect(Set(keys).count == 50)
        #expect(try keys.map { try store.get($0).data } == items)
        #expect(try store.get(keys[0]).encoding == "bytes")
        let empty = try store.put(Data())
        #expect(try store.get(empty).data.isEmpty)
    }

    @Test func eventsAndTheirObjectsCommitTogether() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.closeTopic("closed")
        let key = ObjectKey.random()
        #expect(throws: StreamLogError.self) {
            try db.append([.stored(key: key, size: 3)], objects: [PendingObject(key: key, data: Data("abc".utf8))], to: "closed")
        }
        #expect(try !db.objects.exists(key), "the object of a refused append must not stay behind")
        try db.append([.stored(key: key, size: 3)], objects: [PendingObject(key: key, data: Data("abc".utf8))], to: "open")
        #expect(try db.objects.get(key).data == Data("abc".utf8))
    }

    @Test func largeObjectsAreChunkedAndStreamed() throws {
        let dir = try TemporaryDirectory()
        let store = try LogDatabase(path: dir.path()).objects
        let size = ObjectStore.chunkSize * 2 + 12345
        let data = Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let key = try store.put(data)
        #expect(try store.get(key).data == data)
        var pieces: [Int] = []
        try store.read(key) { pieces.append($0.count) }
        #expect(pieces == [ObjectStore.chunkSize, ObjectStore.chunkSize, 12345])
        let chunkRows = try store.database.withConnection { try $0.scalarInt("SELECT count(*) FROM object_chunks") }
        #expect(chunkRows == 3)
        try store.evict(key)
        #expect(try store.database.withConnection { try $0.scalarInt("SELECT count(*) FROM object_chunks") } == 0)
    }

    @Test func streamingWriteRoundTripsWithSmallSourceReads() throws {
        let dir = try TemporaryDirectory()
        let store = try LogDatabase(path: dir.path()).objects
        let total = ObjectStore.chunkSize + 777
        var produced = 0
        let key = try store.write { buffer in
            let count = min(1000, total - produced, buffer.count)
            for index in 0..<count { buffer[index] = UInt8(truncatingIfNeeded: produced + index) }
            produced += count
            return count
        }
        var checked = 0
        try store.read(key) { piece in
            for byte in piece {
                #expect(byte == UInt8(truncatingIfNeeded: checked))
                checked += 1
            }
        }
        #expect(checked == total)
    }

    /// A source returning a negative count (`read(2)`'s -1) fails the write: the object must not
    /// end there and commit truncated. In the first chunk and after a whole one.
    @Test(arguments: [100, ObjectStore.chunkSize + 100])
    func aSourceReturningANegativeCountStoresNothing(before failing: Int) throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        func source() -> (UnsafeMutableRawBufferPointer) -> Int {
            var produced = 0
            return { buffer in
                guard produced < failing else { return -1 }
                let count = min(failing - produced, buffer.count)
                produced += count
                return count
            }
        }
        let key = ObjectKey.random()
        let error = #expect(throws: StreamLogError.self) { try db.objects.write(key: key, from: source()) }
        #expect(error?.code == .io, "\(String(describing: error))")
        #expect(error?.message.contains("\(key)") == true && error?.message.contains("-1") == true)
        #expect(try !db.objects.exists(key))
        let appendError = #expect(throws: StreamLogError.self) { try db.appendObject(to: "t", from: source()) }
        #expect(appendError?.code == .io, "\(String(describing: appendError))")
        #expect(try !db.topicExists("t"))
        #expect(try db.fileStats().objects == 0)
        #expect(try db.withConnection { try $0.scalarInt("SELECT count(*) FROM object_chunks") } == 0)
    }

    @Test func keysAreUniqueTimeOrderedAndVersion7() {
        let keys = (0..<10000).map { _ in ObjectKey.random() }
        #expect(Set(keys).count == keys.count)
        let milliseconds = keys.map { $0.high >> 16 }
        #expect(milliseconds == milliseconds.sorted(), "keys lead with their creation time")
        for key in keys.prefix(100) {
            let text = key.description
            #expect(text.count == 36)
            #expect(Array(text)[14] == "7")
            #expect(ObjectKey(uuidString: text) == key)
            #expect(ObjectKey(key.uuid) == key)
        }
    }

    @Test func anObjectStoreInAnotherFileIsFoundFromTheEvent() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path("log.db"))
        let external = try ObjectStore(path: dir.path("objects.db"))
        let key = try external.put(Data("far away".utf8))
        let reference = try db.registerStore(path: external.path)
        #expect(try db.registerStore(path: external.path) == reference)
        try db.append([.stored(key: key, size: 8, store: reference)], to: "t")
        external.database.close()

        let reader = try LogDatabase(path: dir.path("log.db"))
        let event = try #require(try reader.read(topic: "t").first)
        #expect(event.store?.path == external.path)
        #expect(try reader.objectStore(for: event.store).get(key).data == Data("far away".utf8))
        reader.closeStores()
    }

    /// Damage to a chunked object is named, not served: chunks that do not add up make `get` and
    /// `read` throw `.corrupt`, and `check` reports them, as it does chunks left without their object.
    @Test func damagedChunksAreReportedNotServed() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let data = Data(repeating: 5, count: ObjectStore.rowValueLimit + 100)
        let cut = try db.objects.put(data)
        let orphaned = try db.objects.put(data)
        let inflated = try db.objects.put(data)
        try db.write { connection in
            // A size no chunks could hold: refused before anything is allocated for it.
            try inflated.withBytes { bytes in
                try connection.cached("UPDATE objects SET size = 1000000000000000 WHERE key = ?1").run {
                    $0.bindNoCopy(blob: bytes, at: 1)
                }
            }
            try cut.withBytes { bytes in
                try connection.cached("UPDATE object_chunks SET data = substr(data, 1, 10) WHERE key = ?1").run {
                    $0.bindNoCopy(blob: bytes, at: 1)
                }
            }
            try orphaned.withBytes { bytes in
                try connection.cached("DELETE FROM objects WHERE key = ?1").run { $0.bindNoCopy(blob: bytes, at: 1) }
            }
        }
        for key in [cut, inflated] {
            let error = #expect(throws: StreamLogError.self) { try db.objects.get(key) }
            #expect(error?.code == .corrupt)
            #expect(error?.message.contains("\(key)") == true)
            var streamed = 0
            let streamError = #expect(throws: StreamLogError.self) { try db.objects.read(key) { streamed += $0.count } }
            #expect(streamError?.code == .corrupt, "\(String(describing: streamError))")
            #expect(streamError?.message.contains("\(key)") == true)
            #expect(streamed == 0, "nothing of a damaged object is streamed")
        }
        let problems = try db.check().problems.filter { $0.kind == .objectChunks }
        #expect(problems.count == 3, "\(problems)")
        #expect(problems.contains { $0.message.contains("\(cut)") && $0.message.contains("holds 10 bytes") })
        #expect(problems.contains { $0.message.contains("\(orphaned)") && $0.message.contains("not in the store") })
    }
}
