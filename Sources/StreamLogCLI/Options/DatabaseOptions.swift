import ArgumentParser
import Foundation
import StreamLog

/// `--db PATH`, shared by every subcommand: the file to use is `--db`, else `$STREAMLOG_DB`,
/// else `./streamlog.db`.
struct DatabaseOptions: ParsableArguments {
    /// The environment variable naming the default database file.
    static let environmentVariable = "STREAMLOG_DB"
    /// The file used when neither `--db` nor `$STREAMLOG_DB` is given.
    static let defaultPath = "streamlog.db"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The StreamLog file (default: $\(DatabaseOptions.environmentVariable), else ./\(DatabaseOptions.defaultPath)).",
            valueName: "path"))
    var db: String?

    /// The database file this command uses.
    var path: String {
        if let db { return db }
        if let fromEnvironment = ProcessInfo.processInfo.environment[Self.environmentVariable], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return Self.defaultPath
    }

    func validate() throws {
        if db?.isEmpty == true { throw ValidationError("--db needs a file path") }
    }

    /// Opens the file. Only `send` and `close` pass `create: true`; every other command fails on
    /// a missing file with an error naming it, and creates nothing.
    func open(create: Bool = false) throws -> LogDatabase {
        var options = LogDatabase.Options()
        options.create = create
        return try LogDatabase(path: path, options: options)
    }
}

/// Checks a topic (or consumer, member, group) name argument with the library's rules, as a
/// usage error.
func validateTopicName(_ name: String, kind: String = "topic") throws {
    do {
        try TopicName.validate(name, kind: kind)
    } catch let error as StreamLogError {
        throw ValidationError(error.message)
    }
}
