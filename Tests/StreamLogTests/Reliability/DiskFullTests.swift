import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

/// A full disk during appends, claims and acks: the failing call throws `.diskFull` and writes
/// nothing, everything committed before stays readable and `check()` passes, and once there is
/// room again the same handles carry on (seqs never reused, producers keep their buffers).
@Suite struct DiskFullTests {
    /// Caps `db`'s connection at its current size plus `spare` pages (`PRAGMA max_page_count`,
    /// which SQLite answers with SQLITE_FULL, as it does ENOSPC).
    static func limit(_ db: LogDatabase, spare: Int64) throws {
        try db.withConnection { connection in
            let pages = try connection.scalarInt("PRAGMA page_count") ?? 0
            try connection.execute("PRAGMA max_page_count = \(pages + spare)")
        }
    }

    static func unlimit(_ db: LogDatabase) throws {
        try db.withConnection { try $0.execute("PRAGMA max_page_count = 1073741823") }
    }

    @Test func anAppendThatDoesNotFitFailsCleanlyAndEarlierDataStaysReadable() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(100), to: "t")
        try db.objects.put(Data(repeating: 1, count: 10_000))
        try Self.limit(db, spare: 10)
        let big = (0..<50).map { _ in Event.inline(Data(repeating: 2, count: 4000)) }
        for attempt in [
            { try db.append(big, to: "t") }, { try db.append(big, to: "new topic") },
            { try db.append([.stored(key: .random(), size: 300_000)], objects: [PendingObject(data: Data(count: 300_000))], to: "t") },
            { _ = try db.objects.put(Data(count: 1_000_000)) },
        ] as [() throws -> Void] {
            let error = #expect(throws: StreamLogError.self) { try attempt() }
            #expect(error?.code == .diskFull, "\(String(describing: error))")
            #expect(error?.message.contains(dir.path()) == true, "\(String(describing: error))")
        }
        #expect(texts(try db.read(topic: "t")) == (0..<100).map(String.init))
        #expect(try db.topicNames() == ["t"])
        #expect(try db.check().problems.isEmpty)
        // Small writes still fit; with room again, big ones too, and no seq was used twice.
        #expect(try db.append([.inline(Data("small".utf8))], to: "t") == 101...101)
        try Self.unlimit(db)
        #expect(try db.append(big, to: "t") == 102...151)
        #expect(try db.append(big, to: "new topic") == 1...50)
        #expect(try db.check().problems.isEmpty)
    }

    @Test func aProducerKeepsItsBatchWhenTheDiskIsFullAndSendsItOnceLater() throws {
        let dir = try TemporaryDirectory()
        let publisher = try SQLitePublisher(path: dir.path())
        let producer = StreamProducer<Data>(
            publisher: publisher, defaultStore: publisher.database.objects, options: .init(batchSize: 1000))
        try producer.send(Data("first".utf8), to: "t")
        try producer.flush()
        try Self.limit(publisher.database, spare: 5)
        for index in 0..<20 { try producer.send(Data(repeating: UInt8(index), count: 10_000), to: "t") }
        let error = #expect(throws: StreamLogError.self) { try producer.flush() }
        #expect(error?.code == .diskFull, "\(String(describing: error))")
        let reader = try LogDatabase(path: dir.path())
        #expect(try reader.read(topic: "t").count == 1)
        try Self.unlimit(publisher.database)
        try producer.close(topics: ["t"])
        let events = try reader.read(topic: "t")
        #expect(events.map(\.seq) == Array(1...22))
        #expect(events.dropFirst().dropLast().map(\.size) == Array(repeating: 10_000, count: 20))
        #expect(try reader.check().problems.isEmpty)
    }

    @Test func claimsAndAcksOnAFullDiskFailCleanly() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(2000), to: "t")
        let first = try db.claim(group: "g", topic: "t", member: "m", limit: 1)
        try Self.limit(db, spare: 0)
        let claim = #expect(throws: StreamLogError.self) {
            // Enough leases to need new pages.
            _ = try db.claim(group: "g", topic: "t", member: "m", limit: 2000)
        }
        #expect(claim?.code == .diskFull, "\(String(describing: claim))")
        try db.ack(first.map(\.receipt))  // deleting needs no new page
        try Self.unlimit(db)
        #expect(try db.claim(group: "g", topic: "t", member: "m", limit: 2000).map(\.event.seq) == Array(2...2000))
        #expect(try db.check().problems.isEmpty)
    }

    /// A real ENOSPC: a database on a 2 MB tmpfs filled by appends.
    @Test(.enabled(if: TemporaryMount.canMount, "needs permission to mount a tmpfs"))
    func aFullFileSystemFailsAppendsCleanlyAndKeepsTheFileReadable() throws {
        let mount = try TemporaryMount(size: 2 << 20)
        let path = mount.path("test.db")
        let db = try LogDatabase(path: path)
        var committed: [Int64] = []
        var failure: StreamLogError?
        for index in 0..<1000 {
            do {
                committed += Array(try db.append([.inline(Data(repeating: UInt8(index % 256), count: 20_000))], to: "t")!)
            } catch let error as StreamLogError {
                failure = error
                break
            }
        }
        #expect(failure?.code == .diskFull, "\(String(describing: failure))")
        #expect(failure?.message.contains(path) == true, "\(String(describing: failure))")
        #expect(!committed.isEmpty)
        #expect(try db.read(topic: "t", limit: 10_000).map(\.seq) == committed)
        db.close()  // the checkpoint on close may itself find no room: the WAL then stays
        let reopened = try LogDatabase(path: path, options: .init(readOnly: true))
        #expect(try reopened.read(topic: "t", limit: 10_000).map(\.seq) == committed)
        #expect(try reopened.check().problems.isEmpty)
    }
}
