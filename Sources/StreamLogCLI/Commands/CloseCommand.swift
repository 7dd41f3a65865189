import ArgumentParser
import StreamLog

/// `streamlog close TOPIC`: appends the end-of-stream event.
struct CloseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "close",
        abstract: "End a topic's stream: append its end-of-stream event.",
        discussion: """
            Idempotent: closing a closed topic appends nothing. A topic never sent to is created, \
            closed (and so is the database file). Consumers and `replay --follow` stop at the \
            end-of-stream event; sending to a closed topic fails.

            Example:
              streamlog close jobs
            """)

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "The topic to close.")
    var topic: String

    func validate() throws {
        try validateTopicName(topic)
    }

    func run() throws {
        try database.open(create: true).closeTopic(topic)
    }
}
