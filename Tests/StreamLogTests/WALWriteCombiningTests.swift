import Foundation
import StreamLogTestVFS
import Testing
@testable import StreamLog
import StreamLogTestSupport

/// The WAL write-combining VFS (`WALWriteCombiningVFS`): committed frames are in the file when
/// the commit returns, for every other connection; what never committed stays invisible.
@Suite struct WALWriteCombiningTests {
    private func header(commitSize: UInt32) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xAB, count: 24)
        bytes[4] = UInt8(commitSize >> 24)
        bytes[5] = UInt8(commitSize >> 16 & 0xFF)
        bytes[6] = UInt8(commitSize >> 8 & 0xFF)
        bytes[7] = UInt8(commitSize & 0xFF)
        return bytes
    }

    @Test func commitFramesAreRecognisedByTheirHeader() {
        let commit = header(commitSize: 258)
        let other = header(commitSize: 0)
        #expect(commit.withUnsafeBytes { WALWriteCombiningVFS.isCommitFrameHeader($0.baseAddress!, count: 24) })
        #expect(!other.withUnsafeBytes { WALWriteCombiningVFS.isCommitFrameHeader($0.baseAddress!, count: 24) })
        // A whole frame in one write (a header and a 4096-byte page).
        let frame = commit + [UInt8](repeating: 0, count: 4096)
        #expect(frame.withUnsafeBytes { WALWriteCombiningVFS.isCommitFrameHeader($0.baseAddress!, count: frame.count) })
        // The 32-byte WAL header and page writes are not frame headers, whatever their bytes.
        let walHeader = commit + [UInt8](repeating: 1, count: 8)
        #expect(!walHeader.withUnsafeBytes { WALWriteCombiningVFS.isCommitFrameHeader($0.baseAddress!, count: 32) })
        let page = [UInt8](repeating: 0xFF, count: 4096)
        #expect(!page.withUnsafeBytes { WALWriteCombiningVFS.isCommitFrameHeader($0.baseAddress!, count: 4096) })
    }

    @Test func everyCommitIsVisibleToAnotherConnectionAtOnce() throws {
        let dir = try TemporaryDirectory()
        let writer = try LogDatabase(path: dir.path())
        let reader = try LogDatabase(path: dir.path())
        let store = writer.objects
        // Sizes around the buffer's capacity and the unix VFS's largest write, one commit each.
        for size in [0, 100, 4000, 60_000, 65_536, 70_000, 200_000, 1 << 20, (4 << 20) + 3] {
            let data = Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ size) })
            let key = try store.put(data)
            let seqs = try writer.append([.stored(key: key, size: size, evict: false)], to: "t")
            #expect(try reader.objects.get(key).data == data, "object of \(size) bytes")
            #expect(try reader.lastSeq(topic: "t") == seqs?.upperBound)
        }
        #expect(try reader.check().problems.isEmpty)
    }

    /// A transaction larger than the page cache writes frames before its commit (a spill); when
    /// it rolls back, nothing of it may become visible, and the next commit must be whole.
    @Test func aSpilledTransactionThatRollsBackLeavesNothingBehind() throws {
        let dir = try TemporaryDirectory()
        let writer = try LogDatabase(path: dir.path())
        let reader = try LogDatabase(path: dir.path())
        try writer.append([.inline(Data("before".utf8))], to: "t")
        try writer.withConnection { connection in
            try connection.execute("PRAGMA cache_size = 16")
            try connection.execute("BEGIN IMMEDIATE")
            try connection.execute("CREATE TABLE scratch(x BLOB)")
            for _ in 0..<40 { try connection.execute("INSERT INTO scratch VALUES (randomblob(100000))") }
            #expect(try connection.scalarInt("SELECT count(*) FROM scratch") == 40)  // read back after the spill
            try connection.execute("ROLLBACK")
            try connection.execute("PRAGMA cache_size = -2000")
        }
        #expect(try reader.withConnection { try $0.scalarInt("SELECT count(*) FROM sqlite_schema WHERE name = 'scratch'") } == 0)
        try writer.append([.inline(Data("after".utf8))], to: "t")
        #expect(try reader.read(topic: "t").map { String(decoding: $0.payload ?? Data(), as: UTF8.self) } == ["before", "after"])
        #expect(try reader.integrityCheck() == ["ok"])
        #expect(try reader.check().problems.isEmpty)
    }

    @Test func anUnknownBaseVFSIsAClearError() throws {
        let dir = try TemporaryDirectory()
        var options = LogDatabase.Options()
        options.vfsName = "no-such-vfs"
        #expect {
            try LogDatabase(path: dir.path(), options: options)
        } throws: { error in
            let error = error as? StreamLogError
            return error?.code == .invalidArgument && error?.message.contains("no-such-vfs") == true
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path()))
    }

    @Test func handlesWithAndWithoutCombiningShareOneFile() throws {
        let dir = try TemporaryDirectory()
        var plain = LogDatabase.Options()
        plain.combinesWALWrites = false
        let combining = try LogDatabase(path: dir.path())
        let direct = try LogDatabase(path: dir.path(), options: plain)
        for round in 0..<20 {
            let writer = round % 2 == 0 ? combining : direct
            let reader = round % 2 == 0 ? direct : combining
            let payload = Data(repeating: UInt8(round), count: 3000 * (round + 1))
            try writer.append([.inline(payload)], to: "t")
            #expect(try reader.read(topic: "t").last?.payload == payload)
        }
        #expect(try direct.check().problems.isEmpty)
    }
}

extension PowerLossTests {
    // In this serialized suite: the recording VFS keeps one process-wide log.

    /// What reaches the file system: a 1 MiB object's commit in a few dozen writes instead of
    /// two per page, and, with combining off, SQLite's own pattern.
    @Test(arguments: [true, false])
    func aLargeCommitReachesTheFileInFewWrites(combining: Bool) throws {
        #expect(streamlog_test_vfs_register() == 0)  // SQLITE_OK
        let dir = try TemporaryDirectory()
        var options = LogDatabase.Options()
        options.vfsName = STREAMLOG_TEST_VFS_NAME
        options.combinesWALWrites = combining
        options.walAutocheckpointPages = 0
        // Recording from the open on, so that the log knows the files (it names those opened while
        // it records); only the put's writes are counted.
        streamlog_test_vfs_start()
        let db = try LogDatabase(path: dir.path("writes.db"), options: options)
        try db.append([.inline(Data("warm up".utf8))], to: "t")
        let first = Int(streamlog_test_vfs_operation_count())
        let key = try db.objects.put(Data(repeating: 7, count: 1 << 20))
        streamlog_test_vfs_stop()
        let log = WriteLog.capture(directory: dir.url.path)
        let walWrites = log.operations[first...].filter { operation in
            if case .write(let file, _, _) = operation { return log.names[file].hasSuffix("-wal") }
            return false
        }
        let bytes = walWrites.reduce(0) { total, operation in
            if case .write(_, _, let data) = operation { return total + data.count }
            return total
        }
        #expect(bytes > 1 << 20)
        if combining {
            #expect(walWrites.count <= 24, "\(walWrites.count) WAL writes for a 1 MiB object")
        } else {
            #expect(walWrites.count >= 512, "\(walWrites.count) WAL writes for a 1 MiB object")
        }
        #expect(try LogDatabase(path: dir.path("writes.db")).objects.get(key).data.count == 1 << 20)
    }
}

extension WALWriteCombiningTests {
    /// Frames a rolled-back transaction spilled may still be collected when it ends; they must
    /// not reach the file after another connection has committed over the same WAL offsets
    /// (here: when the first connection closes).
    @Test func aRolledBackSpillNeverOverwritesALaterCommit() throws {
        let dir = try TemporaryDirectory()
        var options = LogDatabase.Options()
        options.walAutocheckpointPages = 0  // keep every frame in the WAL
        let first = try LogDatabase(path: dir.path(), options: options)
        let second = try LogDatabase(path: dir.path(), options: options)
        try first.append([.inline(Data("before".utf8))], to: "t")
        // An empty WAL: the rollback then rereads pages from the database file, not the WAL
        // (a read of the WAL would write out what is collected).
        #expect(try first.checkpoint())
        try first.withConnection { connection in
            try connection.execute("PRAGMA cache_size = 16")
            try connection.execute("BEGIN IMMEDIATE")
            try connection.execute("CREATE TABLE scratch(x BLOB)")
            for _ in 0..<40 { try connection.execute("INSERT INTO scratch VALUES (randomblob(100000))") }
            try connection.execute("ROLLBACK")
        }
        let data = Data((0..<(6 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let key = try second.objects.put(data)
        first.close()
        let reader = try LogDatabase(path: dir.path(), options: options)
        #expect(try reader.objects.get(key).data == data)
        #expect(try reader.integrityCheck() == ["ok"])
    }
}
