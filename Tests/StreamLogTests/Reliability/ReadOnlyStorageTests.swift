import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

/// A read-only database file or directory. Tests run as root here, and root ignores permission
/// bits, so read-only means an immutable file (`chattr +i`) or a read-only mount; where neither
/// can be made the tests are skipped with that reason.
@Suite struct ReadOnlyStorageTests {
    /// Writes a database with 10 events in `path` and closes it (checkpointed, no WAL left).
    static func makeDatabase(_ path: String) throws {
        let db = try LogDatabase(path: path)
        try db.append(numberedEvents(10), to: "t")
        db.close()
    }

    static func expectReadable(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let db = try LogDatabase(path: path, options: .init(readOnly: true))
        defer { db.close() }
        #expect(texts(try db.read(topic: "t")) == (0..<10).map(String.init), sourceLocation: sourceLocation)
        #expect(try db.check().isHealthy, sourceLocation: sourceLocation)
    }

    @Test(.enabled(if: ImmutableFile.canMakeImmutable, "needs chattr +i (CAP_LINUX_IMMUTABLE)"))
    func anImmutableFileIsRefusedForWritingAndReadableReadOnly() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        try Self.makeDatabase(path)
        let before = try fileBytes(path)
        let immutable = try ImmutableFile(path)
        try withExtendedLifetime(immutable) {
            let error = #expect(throws: StreamLogError.self) {
                let db = try LogDatabase(path: path)
                try db.append([.inline(Data("x".utf8))], to: "t")
            }
            #expect(error?.code == .readOnly, "\(String(describing: error))")
            #expect(error?.message.contains(path) == true, "\(String(describing: error))")
            try Self.expectReadable(path)
        }
        #expect(try fileBytes(path) == before)
    }

    /// A cleanly closed database has no `-wal` or `-shm`, and SQLite must create them to open a
    /// WAL database, even read-only: a clear `.readOnly` error naming the directory problem
    /// (rather than SQLite's "unable to open database file"), for writers and readers alike.
    @Test(.enabled(if: TemporaryMount.canMount, "needs permission to mount a tmpfs"))
    func aReadOnlyDirectoryIsAClearErrorAndChangesNothing() throws {
        let mount = try TemporaryMount(size: 4 << 20)
        let path = mount.path("test.db")
        try Self.makeDatabase(path)
        let before = try fileBytes(path)
        try mount.remountReadOnly()
        for options in [LogDatabase.Options(), LogDatabase.Options(readOnly: true)] {
            let error = #expect(throws: StreamLogError.self) { try LogDatabase(path: path, options: options) }
            #expect(error?.code == .readOnly, "\(String(describing: error))")
            #expect(error?.message.contains("\(path): its directory is not writable") == true, "\(String(describing: error))")
        }
        let missing = #expect(throws: StreamLogError.self) { try LogDatabase(path: mount.path("new.db")) }
        #expect(missing?.code == .readOnly, "\(String(describing: missing))")
        #expect(try fileBytes(path) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: mount.url.path) == ["test.db"])
    }

    /// What a crash leaves (a WAL and its index) on media that is then mounted read-only.
    @Test(.enabled(if: TemporaryMount.canMount, "needs permission to mount a tmpfs"))
    func aCrashedDatabaseOnReadOnlyMediaIsReadableWithItsWAL() throws {
        let mount = try TemporaryMount(size: 4 << 20)
        let path = mount.path("test.db")
        var options = LogDatabase.Options()
        options.walAutocheckpointPages = 0
        let db = try LogDatabase(path: mount.path("source.db"), options: options)
        try db.append(numberedEvents(5), to: "t")
        try db.checkpoint()
        try db.append(numberedEvents(5, from: 5), to: "t")
        for suffix in ["", "-wal", "-shm"] {
            try FileManager.default.copyItem(atPath: mount.path("source.db") + suffix, toPath: path + suffix)
        }
        db.close()
        let before = try fileBytes(path)
        try mount.remountReadOnly()
        try Self.expectReadable(path)
        #expect(try fileBytes(path) == before)
    }
}
