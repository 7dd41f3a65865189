import Foundation
import StreamLog
import Testing
import StreamLogTestSupport

struct RunnerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What a finished `streamlog` run produced.
struct RunResult: CustomStringConvertible {
    let status: Int32
    let stdout: Data
    let stderr: String

    var output: String { String(decoding: stdout, as: UTF8.self) }

    /// Standard output's lines, each parsed as a JSON object with exact JSON types.
    func jsonLines(sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: MetadataValue]] {
        try output.split(separator: "\n", omittingEmptySubsequences: true).map { line in
            guard let object = try MetadataValue(json: String(line)).objectValue else {
                throw RunnerError("not a JSON object: \(line)")
            }
            return object
        }
    }

    /// Standard output parsed as one JSON value.
    func json() throws -> MetadataValue { try MetadataValue(json: output) }

    var description: String { "status \(status), stdout \(output.prefix(2000)), stderr \(stderr)" }
}

/// Runs the built `streamlog` and waits for it. Standard input comes from `stdin` (empty by
/// default) through a file, and standard error goes to a file, so no pipe can fill up and block.
func streamlog(
    _ arguments: [String], stdin: Data = Data(), environment: [String: String] = [:], directory: URL? = nil
) throws -> RunResult {
    let scratch = try TemporaryDirectory()
    let inputPath = scratch.path("stdin")
    let errorPath = scratch.path("stderr")
    try stdin.write(to: URL(fileURLWithPath: inputPath))
    try Data().write(to: URL(fileURLWithPath: errorPath))
    let process = try makeProcess(arguments, environment: environment, directory: directory)
    let output = Pipe()
    let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: inputPath))
    let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let stdout = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try input.close()
    try errors.close()
    let stderr = String(decoding: try Data(contentsOf: URL(fileURLWithPath: errorPath)), as: UTF8.self)
    return RunResult(status: process.terminationStatus, stdout: stdout, stderr: stderr)
}

/// A `Process` for the built `streamlog`, with the test's environment changes.
func makeProcess(_ arguments: [String], environment: [String: String] = [:], directory: URL? = nil) throws -> Process {
    let process = Process()
    process.executableURL = try builtExecutable("streamlog")
    process.arguments = arguments
    var variables = ProcessInfo.processInfo.environment
    // The caller's own default database must never leak into a test.
    variables.removeValue(forKey: "STREAMLOG_DB")
    variables.merge(environment) { $1 }
    process.environment = variables
    if let directory { process.currentDirectoryURL = directory }
    return process
}

/// A `streamlog` process that runs in the background (for `--follow`, or `send` fed over time):
/// its standard output is collected by a reader thread and can be polled while it runs.
final class BackgroundStreamlog: @unchecked Sendable {
    // @unchecked: `collected` is only touched under `lock`; the process and pipes are set up
    // before the reader thread starts and then only used through thread-safe calls.
    let process: Process
    private let input = Pipe()
    private let output = Pipe()
    private let errors = Pipe()
    private let lock = NSLock()
    private var collected = Data()
    private var errorText = Data()
    private let done = DispatchGroup()

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process = try makeProcess(arguments, environment: environment)
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        collect(output.fileHandleForReading) { self.collected.append($0) }
        collect(errors.fileHandleForReading) { self.errorText.append($0) }
    }

    private func collect(_ handle: FileHandle, into append: @escaping @Sendable (Data) -> Void) {
        done.enter()
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.lock()
                append(chunk)
                lock.unlock()
            }
            done.leave()
        }
    }

    /// Standard output so far.
    var stdout: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: collected, as: UTF8.self)
    }

    /// Complete lines of standard output so far.
    var lines: [String] {
        stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// Writes to the process's standard input.
    func write(_ text: String) {
        input.fileHandleForWriting.write(Data(text.utf8))
    }

    /// Closes the process's standard input (end of input).
    func closeInput() throws {
        try input.fileHandleForWriting.close()
    }

    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Waits for the process to exit within `timeout`; kills it and returns `nil` if it does not.
    func waitForExit(timeout: Duration = .seconds(20)) -> (status: Int32, stdout: String, stderr: String)? {
        guard waitUntil(timeout: timeout, { !process.isRunning }) else {
            process.terminate()
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        process.waitUntilExit()
        done.wait()
        lock.lock()
        defer { lock.unlock() }
        return (process.terminationStatus, String(decoding: collected, as: UTF8.self), String(decoding: errorText, as: UTF8.self))
    }
}
