import ArgumentParser
import Foundation
import StreamLog

@main
struct StreamLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streamlog",
        abstract: "Look into, feed, replay and maintain a StreamLog file.",
        discussion: """
            Every subcommand takes --db PATH; without it, $STREAMLOG_DB, else ./streamlog.db.
            Errors are one line on standard error, with a non-zero exit status.
            """,
        subcommands: [
            SendCommand.self, ReplayCommand.self, ConsumeCommand.self, CloseCommand.self, TopicsCommand.self,
            CursorsCommand.self, SeekCommand.self, TrimCommand.self, DLQCommand.self, GCCommand.self, CheckCommand.self,
            StatsCommand.self, BenchCommand.self,
        ]
    )

    /// Parses the arguments and runs the subcommand, reporting any failure as one line on
    /// standard error (argument-parser's default adds a usage block to some errors).
    static func main() {
        // A closed pipe on stdout must surface as EPIPE from write(2), which OutputWriter turns
        // into a quiet exit 0, rather than kill the process.
        signal(SIGPIPE, SIG_IGN)
        do {
            try refuseInvalidUTF8Arguments()
            var command = try parseAsRoot()
            try command.run()
        } catch {
            fail(with: error)
        }
        Foundation.exit(EXIT_SUCCESS)
    }

    /// Swift repairs invalid UTF-8 in arguments to U+FFFD, which would silently make different
    /// byte strings one topic name (and a path name a file that does not exist): refuse them.
    private static func refuseInvalidUTF8Arguments() throws {
        for index in 1..<Int(CommandLine.argc) {
            guard let argument = CommandLine.unsafeArgv[index], String(validatingCString: argument) == nil else { continue }
            throw ValidationError(
                "argument \(index) (\(String(cString: argument).prefix(80))) is not valid UTF-8: topic names, paths and "
                    + "values must be UTF-8")
        }
    }

    private static func fail(with error: Error) -> Never {
        let code = exitCode(for: error)
        // Help and version requests print to stdout in argument-parser's own format.
        if code == .success && !(error is ExitCode) { exit(withError: error) }
        let message = self.message(for: error)
            .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        if !message.isEmpty {
            // write(2), ignoring its result: FileHandle.write stops the process when standard
            // error is closed or a broken pipe, and the error would go nowhere anyway.
            var line = Array("streamlog: error: \(message)\n".utf8)
            _ = line.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        }
        Foundation.exit(code.rawValue)
    }
}
