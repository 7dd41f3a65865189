import ArgumentParser
import StreamLog

@main
struct StreamLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streamlog",
        abstract: "Look into, feed, replay and maintain a StreamLog file.",
        subcommands: []
    )
}
