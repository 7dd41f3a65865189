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

extension PowerLossTests {
    /// A transaction that changes pages it has already spilled to the WAL makes SQLite rewrite
    /// the headers of its frames with new checksums at commit, the commit frame's last, as a
    /// lone 24-byte write. The commit must be in the files before SQLite publishes it in the WAL
    /// index: a process that dies just after publishing leaves a WAL whose recovery stops at the
    /// first bad checksum, losing that commit and every later one.
    ///
    /// Without powersafe overwrite, with `synchronous = FULL`, SQLite also pads each commit to a
    /// sector boundary, splitting a frame around a sync: such a WAL is not combined.
    @Test(arguments: [(true, true), (false, true), (true, false)])
    func aCommitIsInTheFilesBeforeItIsPublished(combining: Bool, powersafeOverwrite: Bool) throws {
        #expect(streamlog_test_vfs_register() == 0)  // SQLITE_OK
        streamlog_test_vfs_set_powersafe_overwrite(powersafeOverwrite ? 1 : 0)
        defer { streamlog_test_vfs_set_powersafe_overwrite(1) }
        let dir = try TemporaryDirectory()
        var options = LogDatabase.Options()
        options.vfsName = STREAMLOG_TEST_VFS_NAME
        options.combinesWALWrites = combining
        options.synchronous = powersafeOverwrite ? .normal : .full
        options.walAutocheckpointPages = 0
        streamlog_test_vfs_start()
        let db = try LogDatabase(path: dir.path("rewrite.db"), options: options)
        try db.withConnection { connection in
            try connection.execute("CREATE TABLE scratch(k INTEGER PRIMARY KEY, v BLOB)")
            try connection.execute("PRAGMA cache_size = 10")
            try connection.execute("BEGIN IMMEDIATE")
            for k in 0..<300 { try connection.execute("INSERT INTO scratch VALUES (\(k), randomblob(1000))") }
            try connection.execute("UPDATE scratch SET v = zeroblob(999) WHERE k < 40")  // pages it spilled
            try connection.execute("COMMIT")
        }
        streamlog_test_vfs_stop()
        let log = WriteLog.capture(directory: dir.url.path)
        let published = try #require(log.operations.lastIndex { if case .barrier = $0 { true } else { false } })
        // Nothing of the commit reaches the WAL after it is published (its index header written
        // around that barrier), as with SQLite's own writes.
        let late = log.operations[(published + 1)...].filter { operation in
            if case .write(let file, _, _) = operation { return log.names[file].hasSuffix("-wal") }
            return false
        }
        #expect(late.isEmpty, "\(late.count) WAL writes after the commit was published")
        // The files as a crash right after the publishing barrier leaves them, opened fresh (no
        // -shm: SQLite recovers the WAL index from the WAL).
        let copy = try TemporaryDirectory()
        for (name, data) in log.filesWritten(upTo: published + 1) where name.hasPrefix("rewrite.db") {
            try data.write(to: copy.url.appendingPathComponent(name))
        }
        let recovered = try LogDatabase(path: copy.path("rewrite.db"))
        #expect(try recovered.withConnection { try $0.scalarInt("SELECT count(*) FROM scratch WHERE length(v) = 999") } == 40)
        #expect(try recovered.withConnection { try $0.scalarInt("SELECT count(*) FROM scratch") } == 300)
        #expect(try recovered.integrityCheck() == ["ok"])
        db.close()
    }
}

extension PowerLossTests {
    /// Frames a transaction spilled wait in the buffer until a read of the WAL writes them out.
    /// When that write fails, the frames are lost, but SQLite sees only a failed read: with a
    /// statement journal it rolls back the statement alone, and the transaction goes on. Its
    /// commit must then fail (as the pager's would after its own failed write), not publish an
    /// index that points at frames the file never got.
    @Test func aCommitAfterALostWriteFails() throws {
        #expect(streamlog_test_vfs_register() == 0)  // SQLITE_OK
        let dir = try TemporaryDirectory()
        var options = LogDatabase.Options()
        options.vfsName = STREAMLOG_TEST_VFS_NAME
        options.walAutocheckpointPages = 0
        let db = try LogDatabase(path: dir.path("lost.db"), options: options)
        try db.withConnection { connection in
            try connection.execute("CREATE TABLE scratch(k INTEGER PRIMARY KEY, v BLOB)")
            try connection.execute("CREATE TABLE copied(k INTEGER PRIMARY KEY, v BLOB UNIQUE)")
            try connection.execute("PRAGMA cache_size = 10")
            try connection.execute("BEGIN IMMEDIATE")
            for k in 0..<300 { try connection.execute("INSERT INTO scratch VALUES (\(k), randomblob(1000))") }
            streamlog_test_vfs_fail_next_wal_write()
            // Reads spilled pages of `scratch`: the read writes the buffer out, and that write fails.
            #expect(throws: StreamLogError.self) { try connection.execute("INSERT INTO copied SELECT * FROM scratch") }
            #expect(throws: StreamLogError.self) { try connection.execute("COMMIT") }
            try? connection.execute("ROLLBACK")
            try connection.execute("PRAGMA cache_size = -2000")
        }
        #expect(try db.integrityCheck() == ["ok"])
        #expect(try db.withConnection { try $0.scalarInt("SELECT count(*) FROM scratch") } == 0)
        // The failure ended with the transaction: the next one commits.
        try db.append([.inline(Data("after".utf8))], to: "t")
        db.close()
        let reopened = try LogDatabase(path: dir.path("lost.db"))
        #expect(try reopened.read(topic: "t").count == 1)
        #expect(try reopened.integrityCheck() == ["ok"])
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
