import ArgumentParser
import StreamLog

/// `streamlog seek TOPIC --consumer NAME (--to SEQ | --start | --end)`: moves a cursor.
struct SeekCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seek",
        abstract: "Move a durable consumer's cursor (or a group's position), backwards or forwards.",
        discussion: """
            --to SEQ makes SEQ the next event delivered (or the first retained one after it); \
            --start the first retained event; --end the next new event. A consumer or group not \
            seen before is created there. Moving a group drops its members' leases: the events \
            after the new position are delivered again as new.

            Examples:
              streamlog seek jobs --consumer indexer --to 1200
              streamlog seek jobs --consumer indexer --start
              streamlog seek jobs --group resize --end
            """)

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "The topic the cursor reads.")
    var topic: String

    @Option(help: ArgumentHelp("The durable consumer to move.", valueName: "name"))
    var consumer: String?

    @Option(help: ArgumentHelp("The group to move (instead of --consumer).", valueName: "group"))
    var group: String?

    @Option(help: ArgumentHelp("Deliver the event with this seq next.", valueName: "seq"))
    var to: Int64?

    @Flag(help: "Deliver the first retained event next.")
    var start = false

    @Flag(help: "Deliver the next new event next (skip everything retained now).")
    var end = false

    @Flag(help: "Print {\"consumer\", \"topic\", \"position\"} (with \"group\": true for a group) as JSON.")
    var json = false

    func validate() throws {
        try validateTopicName(topic)
        switch (consumer, group) {
        case (let consumer?, nil): try validateTopicName(consumer, kind: "consumer")
        case (nil, let group?): try validateTopicName(group, kind: "group")
        default: throw ValidationError("give exactly one of --consumer or --group")
        }
        let given = [to != nil, start, end].filter { $0 }.count
        if given != 1 { throw ValidationError("give exactly one of --to, --start or --end") }
        if let to, to < 1 { throw ValidationError("--to must be 1 or more (the first seq is 1)") }
    }

    func run() throws {
        let db = try database.open()
        let target: LogDatabase.SeekTarget = to.map { .seq($0) } ?? (start ? .start : .end)
        let name: String
        let position: Int64
        if let group {
            name = group
            position = try db.seek(group: group, topic: topic, to: target)
        } else {
            name = consumer!
            position = try db.seek(consumer: name, topic: topic, to: target)
        }
        let output = OutputWriter()
        if json {
            JSONText.appendASCII("{\"consumer\":", to: &output.buffer)
            JSONText.appendString(name, to: &output.buffer)
            JSONText.appendASCII(",\"topic\":", to: &output.buffer)
            JSONText.appendString(topic, to: &output.buffer)
            JSONText.appendASCII(",\"position\":", to: &output.buffer)
            JSONText.appendInteger(position, to: &output.buffer)
            if group != nil { JSONText.appendASCII(",\"group\":true", to: &output.buffer) }
            JSONText.appendASCII("}\n", to: &output.buffer)
        } else {
            output.writeLine(
                "\(group == nil ? "consumer" : "group") \(quoted(name)) of topic \(quoted(topic)) is at position "
                    + "\(position): the next event delivered is the first retained one after seq \(position)")
        }
        try output.flush()
    }
}
