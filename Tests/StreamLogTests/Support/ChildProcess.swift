import Foundation
import StreamLogTestSupport

struct ChildProcessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A child process with captured stdout and stderr.
final class ChildProcess {
    let process = Process()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()

    init(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws {
        process.executableURL = executable
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Waits for exit and returns (status, stdout, stderr). Reads the pipes fully first, so a
    /// child writing more than a pipe buffer never deadlocks.
    func finish() -> (status: Int32, stdout: String, stderr: String) {
        let out = stdoutPipe.fileHandleForReading.readDataToEndOfFile()
        let err = stderrPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    /// Like ``finish()``, but kills the child first if it is still running after `timeout`, so a
    /// hung child fails the test instead of hanging it.
    func finish(timeout: Duration) -> (status: Int32, stdout: String, stderr: String) {
        let process = self.process
        let watchdog = DispatchWorkItem { if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout.components.seconds * 1000)), execute: watchdog)
        defer { watchdog.cancel() }
        return finish()
    }

    /// SIGKILL, as a crash would.
    func kill() { Foundation.kill(process.processIdentifier, SIGKILL) }
}
