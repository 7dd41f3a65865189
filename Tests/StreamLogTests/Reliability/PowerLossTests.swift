import Foundation
import StreamLogTestVFS
import Testing
@testable import StreamLog
import StreamLogTestSupport

/// Power loss, simulated: a workload of appends (inline and stored objects), cursor
/// acknowledgements, group claims and acks, checkpoints and a close runs through a VFS that
/// records every write and sync (Sources/StreamLogTestVFS). The test then rebuilds the files a
/// power loss after each recorded operation could leave — everything each file wrote since its
/// last sync discarded, and, harsher, that plus part of the last unsynced write kept — opens them
/// with the ordinary VFS and checks:
/// - always: the file opens, passes `PRAGMA integrity_check` and `check()`, every topic holds whole
///   batches forming a prefix of what was appended, cursors and groups stand at acknowledged
///   positions, and the file accepts a new append;
/// - `synchronous = FULL`: every append and ack that returned before the cut is there;
/// - `synchronous = NORMAL` (README, "Durability and concurrency"): every one that returned before
///   the last checkpoint is there; only later ones may be lost.
@Suite(.serialized) struct PowerLossTests {
    // Serialized: the recording VFS keeps one process-wide log.

    /// With and without WAL write combining: the writes that reach the file differ (a commit's
    /// frames in 64 KiB pieces, or two writes per frame), and so do the states a cut can leave.
    @Test(arguments: [LogDatabase.Options.Synchronous.full, .normal], [true, false])
    func noAcknowledgedWriteIsLostBeyondTheDocumentedWindow(
        synchronous: LogDatabase.Options.Synchronous, combining: Bool
    ) throws {
        #expect(streamlog_test_vfs_register() == 0)  // SQLITE_OK
        let dir = try TemporaryDirectory()
        let path = dir.path("power.db")
        let run = try Workload.record(path: path, synchronous: synchronous, combining: combining)
        let log = WriteLog.capture(directory: dir.url.path)
        #expect(log.operations.count > 100, "the workload should write and sync many times")
        let samples = ProcessInfo.processInfo.environment["STREAMLOG_POWERLOSS_TORN_CUTS"].flatMap(Int.init) ?? 120
        var checked = 0
        var violations: [String] = []
        // Discarding unsynced writes: the files change only at syncs and deletes, so each distinct
        // state is checked once, against the strictest cut that leaves it (just before the next sync).
        for cut in log.stateChanges(upTo: log.operations.count) {
            violations += try verify(log.files(after: cut, tearing: false), cut: cut, run: run, log: log)
            checked += 1
        }
        // Tearing the last unsynced write of each file: every cut while the file is created (a
        // rollback journal, then the switch to WAL), and a sample across the whole run.
        var generator = SeededGenerator(seed: 42)
        let cuts = Set(0...min(40, log.operations.count))
            .union((0..<samples).map { _ in generator.next(below: log.operations.count + 1) })
        for cut in cuts.sorted() {
            violations += try verify(log.files(after: cut, tearing: true), cut: cut, run: run, log: log)
            checked += 1
        }
        print("power loss (\(synchronous), \(combining ? "combined" : "SQLite's") WAL writes): "
              + "\(log.operations.count) operations recorded, \(log.syncCount) syncs, "
              + "\(checked) cut states checked, \(run.acknowledgements.count) acknowledged writes, "
              + "\(violations.count) violations")
        #expect(violations.isEmpty, "\(violations.prefix(20).joined(separator: "\n"))")
    }

    /// Rebuilds `files` in a fresh directory, opens the database and checks the invariants for a
    /// power loss after `cut` operations.
    private func verify(_ files: [String: Data], cut: Int, run: Workload, log: WriteLog) throws -> [String] {
        let dir = try TemporaryDirectory()
        for (name, bytes) in files { try bytes.write(to: URL(fileURLWithPath: dir.path(name))) }
        let path = dir.path("power.db")
        // The acknowledgements that must have survived.
        let mustSurvive = run.synchronous == .full ? cut : log.lastSync(before: cut)
        let required = run.acknowledgements.filter { $0.position <= mustSurvive }
        var problems: [String] = []
        func fail(_ message: String) { problems.append("cut \(cut) of \(log.operations.count): \(message)") }
        guard files["power.db"] != nil else {
            if !required.isEmpty { fail("no database file, but \(required.count) writes were acknowledged") }
            return problems
        }
        let db: LogDatabase
        do {
            db = try LogDatabase(path: path, options: .init(create: false))
        } catch {
            fail("the database does not open: \(error)")
            return problems
        }
        defer { db.close() }
        do {
            let integrity = try db.integrityCheck()
            if integrity != ["ok"] { fail("integrity_check: \(integrity.prefix(5))") }
            for problem in try db.check().problems { fail("check: \(problem.message)") }
            // Every topic: whole batches, a prefix of what was appended.
            var present: [String: Int] = [:]
            for (topic, batches) in run.batches {
                guard try db.topicExists(topic) else {
                    present[topic] = 0
                    continue
                }
                var events: [Event] = []
                try db.forEachEvent(topic: topic) { events.append($0); return true }
                var whole = 0
                var position = 0
                while whole < batches.count, position + batches[whole].payloads.count <= events.count {
                    let batch = batches[whole]
                    let slice = events[position..<position + batch.payloads.count]
                    guard slice.map(\.seq) == Array(batch.seqs) else { break }
                    for (event, payload) in zip(slice, batch.payloads) {
                        let data = try event.payload ?? db.objects.get(event.key!).data
                        if data != payload { fail("event \(event.seq) of \(topic) holds other bytes than were appended") }
                    }
                    position += batch.payloads.count
                    whole += 1
                }
                if position != events.count { fail("\(topic) holds \(events.count - position) events beyond its whole batches") }
                present[topic] = whole
            }
            let cursor = try db.topicExists(Workload.cursorTopic)
                ? try db.cursorPosition(consumer: Workload.consumer, topic: Workload.cursorTopic) ?? 0 : 0
            if cursor != 0 && !run.acknowledgements.contains(where: { $0.write == .cursor(through: cursor) }) {
                fail("the cursor stands at \(cursor), a position never acknowledged")
            }
            for acknowledgement in required {
                switch acknowledgement.write {
                case .batch(let topic, let index):
                    if (present[topic] ?? 0) <= index { fail("batch \(index) of \(topic) was acknowledged and is lost") }
                case .cursor(let through):
                    if cursor < through { fail("the cursor acknowledged through \(through) stands at \(cursor)") }
                case .groupAck(let seq):
                    if try !isDone(db, seq: seq) { fail("the group's ack of event \(seq) is lost") }
                }
            }
            // The recovered file takes new writes.
            try db.append([.inline(Data("after".utf8))], to: "after the power loss")
        } catch {
            fail("\(error)")
        }
        return problems
    }

    /// Whether the group has acked `seq`: claimed (at or below its frontier) and no lease left.
    private func isDone(_ db: LogDatabase, seq: Int64) throws -> Bool {
        try db.withConnection { connection in
            let frontier = try Statement(
                connection: connection, sql: "SELECT frontier FROM consumer_groups WHERE name = '\(Workload.group)'"
            ).queryOne { $0.int64(0) } ?? 0
            let leased = try Statement(
                connection: connection,
                sql: "SELECT count(*) FROM leases JOIN consumer_groups ON consumer_groups.id = leases.group_id "
                    + "WHERE consumer_groups.name = '\(Workload.group)' AND leases.seq = \(seq)"
            ).queryOne { $0.int64(0) } ?? 0
            return seq <= frontier && leased == 0
        }
    }
}

/// The recorded workload: what was appended and which writes returned when.
struct Workload {
    static let cursorTopic = "orders"
    static let groupTopic = "jobs"
    static let consumer = "mailer"
    static let group = "workers"

    struct Batch {
        var seqs: ClosedRange<Int64>
        var payloads: [Data]
    }

    enum Write: Equatable {
        case batch(topic: String, index: Int)
        case cursor(through: Int64)
        case groupAck(seq: Int64)
    }

    /// A write that returned once `position` operations had been recorded.
    struct Acknowledgement {
        var position: Int
        var write: Write
    }

    let synchronous: LogDatabase.Options.Synchronous
    var batches: [String: [Batch]] = [:]
    var acknowledgements: [Acknowledgement] = []

    static func record(path: String, synchronous: LogDatabase.Options.Synchronous, combining: Bool) throws -> Workload {
        var run = Workload(synchronous: synchronous)
        var generator = SeededGenerator(seed: 7)
        var options = LogDatabase.Options(synchronous: synchronous)
        options.vfsName = STREAMLOG_TEST_VFS_NAME
        options.combinesWALWrites = combining
        options.walAutocheckpointPages = 0  // checkpoints at chosen steps, not on a thread's schedule
        streamlog_test_vfs_start()
        defer { streamlog_test_vfs_stop() }
        let db = try LogDatabase(path: path, options: options)
        var cursor: Int64 = 0
        var pending: [LogDatabase.Receipt] = []
        func acknowledged(_ write: Write) {
            run.acknowledgements.append(Acknowledgement(position: Int(streamlog_test_vfs_operation_count()), write: write))
        }
        for step in 0..<48 {
            if step % 12 == 11 { try db.checkpoint() }
            switch step % 4 {
            case 0, 1:
                let topic = step % 4 == 0 ? cursorTopic : groupTopic
                let index = run.batches[topic, default: []].count
                let count = 1 + generator.next(below: 25)
                let payloads = (0..<count).map { offset in
                    Data("\(topic) \(index) \(offset) ".utf8) + Data(repeating: UInt8(offset), count: generator.next(below: 3000))
                }
                let stored = step % 8 < 4
                let objects = stored ? payloads.map { PendingObject(data: $0) } : []
                let events = stored
                    ? objects.map { Event.stored(key: $0.key, size: $0.data.count, evict: false) }
                    : payloads.map { Event.inline($0) }
                let seqs = try db.append(events, objects: objects, to: topic)!
                run.batches[topic, default: []].append(Batch(seqs: seqs, payloads: payloads))
                acknowledged(.batch(topic: topic, index: index))
            case 2:
                let last = try db.lastSeq(topic: cursorTopic)
                cursor = min(last, cursor + 1 + Int64(generator.next(below: 20)))
                try db.acknowledge(consumer: consumer, topic: cursorTopic, through: cursor)
                acknowledged(.cursor(through: cursor))
            default:
                // Ack what the last claim delivered, claim more.
                try db.ack(pending)
                for receipt in pending { acknowledged(.groupAck(seq: receipt.seq)) }
                pending = try db.claim(group: group, topic: groupTopic, member: "m", limit: 1 + generator.next(below: 15))
                    .map(\.receipt)
            }
        }
        db.close()  // the last checkpoint, and the WAL's deletion
        return run
    }
}

/// The writes, truncates, syncs and deletes the recording VFS logged, and the files they left.
struct WriteLog {
    enum Operation {
        case write(file: Int, offset: Int, bytes: Data)
        case truncate(file: Int, size: Int)
        case sync(file: Int)
        case delete(file: Int)
        /// A database file's shared-memory barrier (a commit being published, among others).
        case barrier(file: Int)
    }

    let operations: [Operation]
    /// File names (last path component) by index.
    let names: [String]

    static func capture(directory: String) -> WriteLog {
        var operations: [Operation] = []
        for index in 0..<streamlog_test_vfs_operation_count() {
            var kind: Int32 = 0, fileIndex: Int32 = 0, offset: Int64 = 0, length: Int64 = 0
            var bytes: UnsafeRawPointer?
            guard streamlog_test_vfs_operation(index, &kind, &fileIndex, &offset, &bytes, &length) != 0 else { break }
            let file = Int(fileIndex)
            switch Int(kind) {
            case STREAMLOG_TEST_VFS_WRITE:
                let data = bytes.map { Data(bytes: $0, count: Int(length)) } ?? Data()
                operations.append(.write(file: file, offset: Int(offset), bytes: data))
            case STREAMLOG_TEST_VFS_TRUNCATE: operations.append(.truncate(file: file, size: Int(offset)))
            case STREAMLOG_TEST_VFS_SYNC: operations.append(.sync(file: file))
            case STREAMLOG_TEST_VFS_BARRIER: operations.append(.barrier(file: file))
            default: operations.append(.delete(file: file))
            }
        }
        let names = (0..<streamlog_test_vfs_file_count()).map {
            URL(fileURLWithPath: String(cString: streamlog_test_vfs_file_name($0))).lastPathComponent
        }
        return WriteLog(operations: operations, names: names)
    }

    var syncCount: Int { operations.filter { if case .sync = $0 { return true } else { return false } }.count }

    /// The cuts just before each sync or delete, and the end: one per distinct state of the
    /// synced files.
    func stateChanges(upTo end: Int) -> [Int] {
        var cuts: [Int] = []
        for (index, operation) in operations.enumerated() {
            switch operation {
            case .sync, .delete: cuts.append(index)
            default: break
            }
        }
        return cuts + [end]
    }

    /// The number of operations up to and including the last sync before `cut` (0 when none):
    /// what `synchronous = NORMAL` promises to keep.
    func lastSync(before cut: Int) -> Int {
        for index in stride(from: cut - 1, through: 0, by: -1) {
            if case .sync = operations[index] { return index + 1 }
        }
        return 0
    }

    /// The files a power loss after the first `cut` operations leaves: each file as of its last
    /// sync; with `tearing`, plus the first half of its last write since then.
    func files(after cut: Int, tearing: Bool) -> [String: Data] {
        var current: [Int: Data] = [:]
        var durable: [Int: Data] = [:]
        var lastUnsynced: [Int: (offset: Int, bytes: Data)] = [:]
        for operation in operations.prefix(cut) {
            switch operation {
            case .write(let file, let offset, let bytes):
                current[file] = Self.writing(bytes, at: offset, into: current[file] ?? Data())
                lastUnsynced[file] = (offset, bytes)
            case .truncate(let file, let size):
                var data = current[file] ?? Data()
                if data.count > size { data.removeSubrange(size...) } else { data.append(Data(count: size - data.count)) }
                current[file] = data
            case .sync(let file):
                durable[file] = current[file] ?? Data()
                lastUnsynced[file] = nil
            case .delete(let file):
                current[file] = nil
                durable[file] = nil
                lastUnsynced[file] = nil
            case .barrier:
                break
            }
        }
        var files: [String: Data] = [:]
        for file in Set(durable.keys).union(tearing ? Set(lastUnsynced.keys) : []) {
            var data = durable[file] ?? Data()
            if tearing, let (offset, bytes) = lastUnsynced[file] {
                data = Self.writing(bytes.prefix(bytes.count / 2), at: offset, into: data)
            }
            files[names[file]] = data
        }
        return files
    }

    /// The files a process crash after the first `cut` operations leaves: every write made so
    /// far, synced or not (the operating system has them all).
    func filesWritten(upTo cut: Int) -> [String: Data] {
        var current: [Int: Data] = [:]
        for operation in operations.prefix(cut) {
            switch operation {
            case .write(let file, let offset, let bytes):
                current[file] = Self.writing(bytes, at: offset, into: current[file] ?? Data())
            case .truncate(let file, let size):
                var data = current[file] ?? Data()
                if data.count > size { data.removeSubrange(size...) } else { data.append(Data(count: size - data.count)) }
                current[file] = data
            case .delete(let file):
                current[file] = nil
            case .sync, .barrier:
                break
            }
        }
        return Dictionary(uniqueKeysWithValues: current.map { (names[$0.key], $0.value) })
    }

    private static func writing(_ bytes: Data, at offset: Int, into data: Data) -> Data {
        var data = data
        if data.count < offset + bytes.count { data.append(Data(count: offset + bytes.count - data.count)) }
        data.replaceSubrange(offset..<offset + bytes.count, with: bytes)
        return data
    }
}
