import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

/// Hostile command-line arguments to the built `streamlog`, beyond what
/// Tests/StreamLogCLITests/DatabaseFileTests.swift covers (quotes, semicolons, Unicode, a 100 kB
/// name). A NUL cannot be in an argument (they are C strings) and the kernel refuses an argument
/// over 128 KiB (E2BIG), so those reach only the library (TopicNameTests); what remains is bytes
/// that are not UTF-8 and `--db` values that SQLite would read as URIs.
@Suite struct CLIArgumentTests {
    @Test(arguments: [
        ["send", "a\u{FF}b", "--data", "x"], ["send", "t", "--data", "\u{FE}"], ["replay", "a\u{FF}b"],
        ["send", "t", "--meta", "k=\u{C0}\u{80}", "--data", "x"], ["close", "\u{ED}\u{A0}\u{80}"],
    ].map { $0.map { Array($0.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }) } })
    func argumentsThatAreNotUTF8AreRefusedAndCreateNothing(arguments: [[UInt8]]) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let result = try spawn(try builtExecutable("streamlog"), arguments + [Array("--db".utf8), Array(path.utf8)])
        #expect(result.status != 0)
        #expect(result.stderr.contains("is not valid UTF-8"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    /// Two names that differ only in their invalid bytes must not become one topic.
    @Test func invalidBytesNeverMergeTopics() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let cli = try builtExecutable("streamlog")
        for byte: UInt8 in [0xFE, 0xFF] {
            let result = try spawn(cli, [Array("send".utf8), [0x61, byte], Array("--data".utf8), [0x78],
                                         Array("--db".utf8), Array(path.utf8)])
            #expect(result.status != 0)
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    /// SQLite (built with SQLITE_USE_URI) would read these as URIs: an in-memory database that
    /// loses every write, or another file than the one named.
    @Test(arguments: ["file:y.db", "file:x.db?mode=memory", "file:z.db?vfs=unix-none&nolock=1"])
    func aDatabasePathIsNeverAnSQLiteURI(name: String) throws {
        let dir = try TemporaryDirectory()
        let cli = try builtExecutable("streamlog")
        for arguments in [["send", "t", "--data", "kept", "--db", name], ["close", "t", "--db", name]] {
            let result = try run(cli, arguments, directory: dir.url)
            #expect(result.status == 0, "\(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == [name])
        let db = try LogDatabase(path: dir.path(name))
        #expect(try db.read(topic: "t").count == 2)
        let replay = try run(cli, ["replay", "t", "--objects", "--db", name], directory: dir.url)
        #expect(replay.stdout.contains("\"data\":\"kept\""), "\(replay)")
    }

    private func run(_ executable: URL, _ arguments: [String], directory: URL) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}

/// Runs `executable` with arguments given as raw bytes (`Process` takes Strings, which cannot
/// hold invalid UTF-8), with standard input empty and standard output discarded.
func spawn(_ executable: URL, _ arguments: [[UInt8]]) throws -> (status: Int32, stderr: String) {
    let scratch = try TemporaryDirectory()
    let errorPath = scratch.path("stderr")
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let all = [Array(executable.path.utf8)] + arguments
    let cStrings: [UnsafeMutablePointer<CChar>?] = all.map { bytes in
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        for (index, byte) in bytes.enumerated() { buffer[index] = CChar(bitPattern: byte) }
        buffer[bytes.count] = 0
        return buffer
    } + [nil]
    defer { for pointer in cStrings { pointer?.deallocate() } }
    var pid: pid_t = 0
    let rc = cStrings.withUnsafeBufferPointer { argv in
        posix_spawn(&pid, executable.path, &actions, nil, UnsafeMutablePointer(mutating: argv.baseAddress!), environ)
    }
    guard rc == 0 else { throw ChildProcessError("posix_spawn \(executable.path) failed: \(rc)") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    return (exitStatus, String(decoding: try fileBytes(errorPath), as: UTF8.self))
}
