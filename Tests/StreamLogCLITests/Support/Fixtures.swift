import Foundation
import StreamLog
import Testing
import StreamLogTestSupport

/// Runs `streamlog` and expects it to succeed.
@discardableResult
func succeed(
    _ arguments: [String], stdin: Data = Data(), environment: [String: String] = [:], directory: URL? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> RunResult {
    let result = try streamlog(arguments, stdin: stdin, environment: environment, directory: directory)
    #expect(result.status == 0, "streamlog \(arguments.prefix(6)) failed: \(result)", sourceLocation: sourceLocation)
    return result
}

/// Runs `streamlog`, expects it to fail with exactly one line on standard error, and returns that line.
@discardableResult
func fail(
    _ arguments: [String], stdin: Data = Data(), environment: [String: String] = [:], directory: URL? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> String {
    let result = try streamlog(arguments, stdin: stdin, environment: environment, directory: directory)
    #expect(result.status != 0, "streamlog \(arguments.prefix(6)) should fail: \(result)", sourceLocation: sourceLocation)
    #expect(result.stdout.isEmpty, "a failing command printed \(result.output)", sourceLocation: sourceLocation)
    let lines = result.stderr.split(separator: "\n")
    #expect(lines.count == 1, "the error should be one line: \(result.stderr)", sourceLocation: sourceLocation)
    return result.stderr
}

/// `replay TOPIC` of `db` (with extra arguments) as parsed JSON lines.
func replay(_ db: String, _ topic: String, _ arguments: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws
    -> [[String: MetadataValue]]
{
    try succeed(["replay", topic, "--db", db] + arguments, sourceLocation: sourceLocation).jsonLines()
}

/// How many events `replay TOPIC` prints now, or `nil` when it fails (for polling while another
/// process creates the topic).
func replayedCount(_ db: String, _ topic: String) -> Int? {
    guard let result = try? streamlog(["replay", topic, "--db", db]), result.status == 0 else { return nil }
    return result.output.split(separator: "\n").count
}

/// The seqs of replayed lines.
func seqs(_ lines: [[String: MetadataValue]]) -> [Int64] {
    lines.compactMap { $0["seq"]?.intValue }
}

/// Standard input holding `lines`, each ending in a newline.
func input(_ lines: [String]) -> Data {
    Data(lines.map { $0 + "\n" }.joined().utf8)
}

/// Whether `text` has the RFC 3339 form every `time` field must have: UTC, microseconds.
func isRFC3339UTC(_ text: String?) -> Bool {
    text?.wholeMatch(of: #/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z/#) != nil
}

/// Whether `text` is a lower-case UUID.
func isUUID(_ text: String?) -> Bool {
    text?.wholeMatch(of: #/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/#) != nil
}

/// Whether the `sqlite3` command-line shell is installed (a few tests damage files with it).
let hasSQLiteShell = FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3")
    || FileManager.default.isExecutableFile(atPath: "/usr/local/bin/sqlite3")

/// Runs SQL on `db` with the `sqlite3` shell.
func sqlite3(_ db: String, _ sql: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["sqlite3", db, sql]
    try process.run()
    process.waitUntilExit()
    if process.terminationStatus != 0 { throw RunnerError("sqlite3 failed on \(sql)") }
}
