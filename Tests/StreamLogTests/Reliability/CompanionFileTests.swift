import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

/// Damaged `-wal` and `-shm` files. A crash or power loss leaves a WAL whose tail is cut or torn
/// and a stale `-shm`; SQLite cannot tell those from deliberate damage, so the answer is not an
/// error but recovery: the file opens, holds exactly the whole batches of a prefix of the history,
/// and passes `check()`. Opening and reading change nothing in the database file itself.
@Suite struct CompanionFileTests {
    /// A database file with 3 batches checkpointed into it and 20 more only in its WAL, copied
    /// while open (as a crash would leave it).
    struct Fixture {
        let directory: TemporaryDirectory
        let database: Data
        let wal: Data
        let shm: Data
        /// The seqs of each batch, in order.
        let batches: [ClosedRange<Int64>]
        let checkpointedBatches = 3

        init() throws {
            directory = try TemporaryDirectory()
            let source = directory.path("source.db")
            var options = LogDatabase.Options()
            options.walAutocheckpointPages = 0
            let db = try LogDatabase(path: source, options: options)
            var batches: [ClosedRange<Int64>] = []
            for index in 0..<23 {
                if index == checkpointedBatches { try db.checkpoint() }
                // Batches of 1 to 40 events, some with payloads over a page, so frames vary.
                let count = 1 + (index * 7) % 40
                let events = (0..<count).map { offset in
                    Event.inline(Data(repeating: UInt8(index), count: offset % 5 == 0 ? 5000 : 50),
                                 metadata: ["batch": .int(Int64(index)), "n": .int(Int64(count))])
                }
                batches.append(try db.append(events, to: "t")!)
            }
            database = try fileBytes(source)
            wal = try fileBytes(source + "-wal")
            shm = try fileBytes(source + "-shm")
            db.close()
            self.batches = batches
        }

        /// Writes the database and the given companions as `name` and returns its path.
        func install(_ name: String, wal: Data?, shm: Data?) throws -> String {
            let path = directory.path(name)
            try database.write(to: URL(fileURLWithPath: path))
            if let wal { try wal.write(to: URL(fileURLWithPath: path + "-wal")) }
            if let shm { try shm.write(to: URL(fileURLWithPath: path + "-shm")) }
            return path
        }

        /// Opens `path`, checks it holds whole batches forming a prefix of the history and passes
        /// `check()`, and that opening and reading left the database file as it was. Returns how
        /// many batches it holds.
        func expectRecoveredPrefix(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
            let before = try fileBytes(path)
            var options = LogDatabase.Options()
            options.walAutocheckpointPages = 0
            let db = try LogDatabase(path: path, options: options)
            defer { db.close() }
            let report = try db.check()
            #expect(report.problems.isEmpty, "\(report.problems)", sourceLocation: sourceLocation)
            var seqs: [Int64] = []
            var batchOf: [Int64] = []
            try db.forEachEvent(topic: "t") { event in
                seqs.append(event.seq)
                batchOf.append(event.metadata["batch"]?.intValue ?? -1)
                return true
            }
            var whole = 0
            var position = 0
            while whole < batches.count, position + batches[whole].count <= seqs.count,
                  Array(seqs[position..<position + batches[whole].count]) == Array(batches[whole]) {
                position += batches[whole].count
                whole += 1
            }
            #expect(position == seqs.count, "events beyond the whole batches: \(seqs.suffix(seqs.count - position).prefix(5))",
                    sourceLocation: sourceLocation)
            #expect(whole >= checkpointedBatches, "checkpointed batches lost", sourceLocation: sourceLocation)
            for (index, batch) in batchOf.enumerated() where index < position {
                #expect(batch >= 0 && batches[Int(batch)].contains(seqs[index]), sourceLocation: sourceLocation)
            }
            #expect(try fileBytes(path) == before, "opening and reading changed the database file", sourceLocation: sourceLocation)
            return whole
        }
    }

    @Test func theFixtureRecoversWhole() throws {
        let fixture = try Fixture()
        let path = try fixture.install("whole.db", wal: fixture.wal, shm: fixture.shm)
        #expect(try fixture.expectRecoveredPrefix(path) == fixture.batches.count)
    }

    /// Every cut of the WAL: inside its header, at and inside every frame.
    @Test func aTruncatedWALRecoversTheWholeBatchesBeforeTheCut() throws {
        let fixture = try Fixture()
        let frame = 24 + 4096
        var cuts = [0, 1, 16, 31, 32]
        var offset = 32
        while offset < fixture.wal.count {
            cuts += [offset, offset + 24 + 2048]  // a whole number of frames; half a page written
            offset += frame
        }
        var recovered: [Int] = []
        for (index, cut) in cuts.enumerated() where cut < fixture.wal.count {
            let path = try fixture.install("cut\(index).db", wal: fixture.wal.prefix(cut), shm: nil)
            recovered.append(try fixture.expectRecoveredPrefix(path))
        }
        // Longer WALs never recover fewer batches, and the cuts cover every batch boundary.
        #expect(recovered == recovered.sorted())
        #expect(Set(recovered) == Set(fixture.checkpointedBatches...fixture.batches.count - 1))
    }

    @Test(arguments: ["random", "zeros", "empty", "short", "other header"])
    func aGarbageWALIsIgnored(kind: String) throws {
        let fixture = try Fixture()
        var generator = SystemRandomNumberGenerator()
        let wal: Data
        switch kind {
        case "random": wal = Data((0..<fixture.wal.count).map { _ in UInt8.random(in: 0...255, using: &generator) })
        case "zeros": wal = Data(count: fixture.wal.count)
        case "empty": wal = Data()
        case "short": wal = Data("not a wal".utf8)
        default:
            // A valid-looking header whose checksum does not match: the frames are never used.
            var bytes = fixture.wal
            bytes[24] ^= 0xFF
            wal = bytes
        }
        let path = try fixture.install("garbage.db", wal: wal, shm: nil)
        #expect(try fixture.expectRecoveredPrefix(path) == fixture.checkpointedBatches)
    }

    @Test(arguments: ["random", "zeros", "empty", "short", "stale"])
    func aDamagedSHMIsRebuiltFromTheWAL(kind: String) throws {
        let fixture = try Fixture()
        var generator = SystemRandomNumberGenerator()
        let shm: Data
        switch kind {
        case "random": shm = Data((0..<fixture.shm.count).map { _ in UInt8.random(in: 0...255, using: &generator) })
        case "zeros": shm = Data(count: fixture.shm.count)
        case "empty": shm = Data()
        case "short": shm = fixture.shm.prefix(100)
        default:
            // The index of a shorter WAL: a copy taken earlier.
            let early = try Fixture()
            shm = early.shm.prefix(136)
        }
        let path = try fixture.install("shm.db", wal: fixture.wal, shm: shm)
        #expect(try fixture.expectRecoveredPrefix(path) == fixture.batches.count)
    }

    @Test func aDirectoryInPlaceOfTheWALIsAClearErrorAndChangesNothing() throws {
        let fixture = try Fixture()
        let path = try fixture.install("dir.db", wal: nil, shm: nil)
        try FileManager.default.createDirectory(atPath: path + "-wal", withIntermediateDirectories: false)
        let before = try fileBytes(path)
        let error = #expect(throws: StreamLogError.self) {
            let db = try LogDatabase(path: path)
            _ = try db.read(topic: "t")
        }
        #expect(error?.code == .io, "\(String(describing: error))")
        #expect(error?.message.contains(path) == true, "\(String(describing: error))")
        #expect(try fileBytes(path) == before)
    }

    /// SQLite then maps the index read-only: readers carry on, writers get `.readOnly`.
    @Test func aDirectoryInPlaceOfTheSHMAllowsReadingOnlyAndChangesNothing() throws {
        let fixture = try Fixture()
        let path = try fixture.install("dir.db", wal: nil, shm: nil)
        try FileManager.default.createDirectory(atPath: path + "-shm", withIntermediateDirectories: false)
        let before = try fileBytes(path)
        let db = try LogDatabase(path: path)
        defer { db.close() }
        #expect(try db.read(topic: "t").count == fixture.batches[fixture.checkpointedBatches - 1].upperBound)
        let error = #expect(throws: StreamLogError.self) { try db.append([.inline(Data("x".utf8))], to: "t") }
        #expect(error?.code == .readOnly, "\(String(describing: error))")
        #expect(error?.message.contains(path) == true, "\(String(describing: error))")
        #expect(try fileBytes(path) == before)
    }
}
