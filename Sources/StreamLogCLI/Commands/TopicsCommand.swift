import ArgumentParser
import StreamLog

/// `streamlog topics`: lists topics with their counts.
struct TopicsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "List the topics with their event counts, seq ranges and sizes.",
        discussion: """
            "events" counts retained object events (not the end-of-stream event); "first_seq" and \
            "last_seq" bound them and are null when there is none; "bytes" is their total payload \
            size, inline and stored.

            Examples:
              streamlog topics
              streamlog topics --json --db /var/lib/app/streams.db
            """)

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Print a JSON array of {\"name\", \"events\", \"first_seq\", \"last_seq\", \"bytes\", \"closed\"}.")
    var json = false

    func run() throws {
        let topics = try database.open().allTopicStats()
        let output = OutputWriter()
        if json {
            output.buffer.append(UInt8(ascii: "["))
            for (index, topic) in topics.enumerated() {
                JSONText.appendASCII(index == 0 ? "\n  " : ",\n  ", to: &output.buffer)
                Self.appendJSON(topic, to: &output.buffer)
            }
            JSONText.appendASCII(topics.isEmpty ? "]\n" : "\n]\n", to: &output.buffer)
        } else if topics.isEmpty {
            output.writeLine("no topics in \(database.path)")
        } else {
            var table = TextTable([
                ("TOPIC", .left), ("EVENTS", .right), ("FIRST", .right), ("LAST", .right), ("BYTES", .right),
                ("STATE", .left),
            ])
            for topic in topics {
                table.append([
                    displayName(topic.name), "\(topic.events)", topic.firstSeq.map(String.init) ?? "-",
                    topic.lastSeq.map(String.init) ?? "-", ByteCount.format(topic.bytes), topic.closed ? "closed" : "open",
                ])
            }
            output.write(table.text)
        }
        try output.flush()
    }

    /// `{"name":…,"events":…,"first_seq":…,"last_seq":…,"bytes":…,"closed":…}`.
    static func appendJSON(_ topic: LogDatabase.TopicStats, to buffer: inout [UInt8]) {
        JSONText.appendASCII("{\"name\":", to: &buffer)
        JSONText.appendString(topic.name, to: &buffer)
        JSONText.appendASCII(",\"events\":", to: &buffer)
        JSONText.appendInteger(Int64(topic.events), to: &buffer)
        JSONText.appendASCII(",\"first_seq\":", to: &buffer)
        appendOptional(topic.firstSeq, to: &buffer)
        JSONText.appendASCII(",\"last_seq\":", to: &buffer)
        appendOptional(topic.lastSeq, to: &buffer)
        JSONText.appendASCII(",\"bytes\":", to: &buffer)
        JSONText.appendInteger(topic.bytes, to: &buffer)
        JSONText.appendASCII(topic.closed ? ",\"closed\":true}" : ",\"closed\":false}", to: &buffer)
    }

    private static func appendOptional(_ value: Int64?, to buffer: inout [UInt8]) {
        if let value { JSONText.appendInteger(value, to: &buffer) } else { JSONText.appendASCII("null", to: &buffer) }
    }
}
