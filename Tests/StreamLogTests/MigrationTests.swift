import Foundation
import Testing
import StreamLogMigrations
@testable import StreamLog
import StreamLogTestSupport

@Suite struct MigrationTests {
    /// The `Migrations/` folder and the list compiled into the binary must agree, file for file.
    @Test func folderAndEmbeddedListAgree() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasPrefix("v") && $0.hasSuffix(".sql") }.sorted()
        #expect(files == MigrationScripts.all.map(\.fileName))
        for script in MigrationScripts.all {
            let onDisk = try String(contentsOf: folder.appendingPathComponent(script.fileName), encoding: .utf8)
            #expect(onDisk == script.sql, "\(script.fileName) differs from the embedded copy: rebuild")
            #expect(script.fileName.hasPrefix(String(format: "v%04d_", script.version)))
        }
        #expect(MigrationScripts.all.map(\.version) == Array(1...MigrationScripts.all.count))
    }

    @Test func aNewFileGetsTheLatestVersionAndWAL() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        func pragma(_ name: String) throws -> Int64? { try db.withConnection { try $0.scalarInt("PRAGMA \(name)") } }
        #expect(try pragma("user_version") == Int64(MigrationScripts.latestVersion))
        #expect(try pragma("application_id") == Migrator.applicationID)
        #expect(try pragma("synchronous") == 1)  // NORMAL, set explicitly (Debian defaults WAL to FULL)
        #expect(try pragma("secure_delete") == 0)
        #expect(try pragma("foreign_keys") == 1)
        let mode = try db.withConnection { try Statement(connection: $0, sql: "PRAGMA journal_mode").queryOne { $0.string(0) } }
        #expect(mode == "wal")
    }

    @Test func fullSynchronousIsSelectable() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path(), options: .init(synchronous: .full))
        #expect(try db.withConnection { try $0.scalarInt("PRAGMA synchronous") } == 2)
    }

    @Test func aNewerSchemaIsRefusedAndLeftUntouched() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        do {
            let db = try LogDatabase(path: path)
            try db.append([.inline(Data("x".utf8))], to: "t")
            try db.withConnection { try $0.execute("PRAGMA user_version = 99") }
            _ = try db.checkpoint()
            db.close()
        }
        let before = try fileBytes(path)
        let error = #expect(throws: StreamLogError.self) { try LogDatabase(path: path) }
        #expect(error?.code == .schemaTooNew)
        #expect(error?.message.contains("99") == true)
        #expect(error?.message.contains("version \(MigrationScripts.latestVersion)") == true)
        #expect(try fileBytes(path) == before)
    }

    /// A newer build may migrate the file between an opener's first check and its migration
    /// step: the step must refuse it too, not take it for up to date.
    @Test func aSchemaMigratedByANewerBuildMeanwhileIsRefusedByTheMigrationStep() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        try LogDatabase(path: path).close()
        let connection = try Connection(path: path, readOnly: false, create: false, busyTimeout: .seconds(5))
        try connection.execute("PRAGMA user_version = \(MigrationScripts.latestVersion + 1)")
        let error = #expect(throws: StreamLogError.self) { try Migrator.prepare(connection, readOnly: false) }
        #expect(error?.code == .schemaTooNew)
    }

    @Test(arguments: [0, 50, 99, 100, 4096, 20000])
    func randomBytesAreRefusedAndLeftUntouched(size: Int) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        var generator = SystemRandomNumberGenerator()
        let bytes = Data((0..<max(size, 1)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try bytes.write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: StreamLogError.self) { try LogDatabase(path: path) }
        #expect(error?.code == .notADatabase)
        #expect(error?.message.contains(path) == true)
        #expect(try fileBytes(path) == bytes)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test func aTruncatedDatabaseIsRefusedAndLeftUntouched() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        do {
            let db = try LogDatabase(path: path)
            try db.append((0..<2000).map { _ in .inline(Data(repeating: 7, count: 200)) }, to: "t")
            _ = try db.checkpoint()
            db.close()
        }
        let whole = try fileBytes(path)
        let truncated = whole.prefix(whole.count / 2)
        try truncated.write(to: URL(fileURLWithPath: path))
        try? FileManager.default.removeItem(atPath: path + "-wal")
        try? FileManager.default.removeItem(atPath: path + "-shm")
        let error = #expect(throws: StreamLogError.self) { try LogDatabase(path: path) }
        #expect(error?.code == .corrupt)
        #expect(error?.message.contains("truncated") == true)
        #expect(try fileBytes(path) == truncated)
    }

    @Test func anotherApplicationsDatabaseIsRefused() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        do {
            let connection = try Connection(path: path, readOnly: false, create: true, busyTimeout: .seconds(1))
            try connection.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER)")
        }
        let before = try fileBytes(path)
        let error = #expect(throws: StreamLogError.self) { try LogDatabase(path: path) }
        #expect(error?.code == .notADatabase)
        #expect(try fileBytes(path) == before)
    }

    /// A file written by version 2 (objects in a rowid table with a key index, values up to 4 MiB
    /// in their row) keeps every object through v0003, whichever way each was stored.
    @Test func version2ObjectsSurviveTheMoveToKeyedObjects() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let small = Data("small".utf8)
        let medium = Data((0..<(ObjectStore.rowValueLimit + 5)).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let chunked = Data((0..<(ObjectStore.chunkSize + 11)).map { UInt8(truncatingIfNeeded: $0 &* 13) })
        let keys = (0..<3).map { _ in ObjectKey.random() }
        do {
            let connection = try Connection(path: path, readOnly: false, create: true, busyTimeout: .seconds(1))
            try connection.execute("PRAGMA journal_mode=WAL")
            for script in MigrationScripts.all.prefix(2) {
                try connection.execute("BEGIN IMMEDIATE; \(script.sql); PRAGMA user_version = \(script.version); COMMIT")
            }
            func insertObject(_ key: ObjectKey, size: Int, chunks: Int, data: Data?) throws {
                try key.withBytes { keyBytes in
                    try connection.cached(
                        "INSERT INTO objects (key, size, encoding, created_at, chunks, data) VALUES (?1, ?2, 'bytes', 1, ?3, ?4)"
                    ).run {
                        $0.bindNoCopy(blob: keyBytes, at: 1)
                        $0.bind(size, at: 2)
                        $0.bind(chunks, at: 3)
                        if let data { $0.bind(copying: data, at: 4) } else { $0.bindNull(at: 4) }
                    }
                }
            }
            try insertObject(keys[0], size: small.count, chunks: 0, data: small)
            try insertObject(keys[1], size: medium.count, chunks: 0, data: medium)
            try insertObject(keys[2], size: chunked.count, chunks: 2, data: nil)
            let objectID = connection.lastInsertRowID
            for (index, piece) in [chunked.prefix(ObjectStore.chunkSize), chunked.dropFirst(ObjectStore.chunkSize)].enumerated() {
                try connection.cached("INSERT INTO object_chunks (object_id, idx, data) VALUES (?1, ?2, ?3)").run {
                    $0.bind(objectID, at: 1)
                    $0.bind(index, at: 2)
                    $0.bind(copying: Data(piece), at: 3)
                }
            }
            #expect(try connection.scalarInt("PRAGMA user_version") == 2)
        }
        let db = try LogDatabase(path: path)
        #expect(try db.withConnection { try $0.scalarInt("PRAGMA user_version") } == Int64(MigrationScripts.latestVersion))
        #expect(try db.objects.get(keys[0]).data == small)
        #expect(try db.objects.get(keys[1]).data == medium)
        #expect(try db.objects.get(keys[2]).data == chunked)
        // The 64 KiB+ value left its row for one chunk; the chunked object kept its two.
        let chunkRows = try db.withConnection { try $0.scalarInt("SELECT count(*) FROM object_chunks") }
        #expect(chunkRows == 3)
        let report = try db.check()
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.objects == 3)
        try db.objects.evict(keys[2])
        #expect(try db.withConnection { try $0.scalarInt("SELECT count(*) FROM object_chunks") } == 1)
    }

    @Test func aMissingFileIsNotCreatedWhenCreationIsOff() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("absent.db")
        let error = #expect(throws: StreamLogError.self) { try LogDatabase(path: path, options: .init(create: false)) }
        #expect(error?.code == .fileNotFound)
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
