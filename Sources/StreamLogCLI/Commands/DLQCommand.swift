import ArgumentParser
import StreamLog

/// `streamlog dlq TOPIC --group GROUP [list|redrive]`: the dead letters of a group.
struct DLQCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "List a group's dead letters, or put them back to work.",
        discussion: """
            A group gives up on an event after its delivery limit (5 by default) and copies it to \
            the topic "TOPIC.dlq.GROUP". `list` (the default) shows each dead letter: the original \
            "seq", "attempts", the last "error", when it was dead-lettered, its metadata and size \
            (`streamlog replay "TOPIC.dlq.GROUP" --objects` shows the payloads). `redrive` gives \
            them back: an event still retained is delivered to the group again (attempts start \
            over); one that is gone is appended to the topic again as a new event, unless the \
            topic is closed.

            Examples:
              streamlog dlq jobs --group resize
              streamlog dlq jobs --group resize list --json
              streamlog dlq jobs --group resize redrive
            """)

    enum Action: String, ExpressibleByArgument, CaseIterable {
        case list
        case redrive
    }

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "The topic the group consumes.")
    var topic: String

    @Argument(help: "What to do with the dead letters.")
    var action: Action = .list

    @Option(help: ArgumentHelp("The group.", valueName: "group"))
    var group: String

    @Flag(
        help: """
            list: print a JSON array of {"topic", "group", "seq", "attempts", "error", \
            "dead_lettered_at", "dead_letter_seq", "metadata", "size"}; redrive: print {"topic", \
            "group", "released", "reappended", "kept"}.
            """)
    var json = false

    func validate() throws {
        try validateTopicName(topic)
        try validateTopicName(group, kind: "group")
        try validateTopicName(LogDatabase.deadLetterTopic(group: group, topic: topic), kind: "dead-letter topic")
    }

    func run() throws {
        let db = try database.open()
        switch action {
        case .list: try list(db)
        case .redrive: try redrive(db)
        }
    }

    private func list(_ db: LogDatabase) throws {
        let dlqTopic = LogDatabase.deadLetterTopic(group: group, topic: topic)
        // Fails naming the topic when it does not exist.
        let groupExists = try db.groupPosition(group: group, topic: topic) != nil
        let dlqExists = try db.topicExists(dlqTopic)
        guard groupExists || dlqExists else {
            throw CLIError("group \(quoted(group)) does not exist on topic \(quoted(topic))")
        }
        let output = OutputWriter()
        var times = TimestampFormatter()
        var table = TextTable([
            ("SEQ", .right), ("ATTEMPTS", .right), ("DEAD-LETTERED", .left), ("SIZE", .right), ("ERROR", .left),
        ])
        var count = 0
        if json { output.buffer.append(UInt8(ascii: "[")) }
        if dlqExists {
            let (group, topic) = (self.group, self.topic)  // read once: each read of an option is a lookup
            try db.forEachEvent(topic: dlqTopic) { event in
                // Only this pair's letters: another (topic, group) pair may share the name.
                guard let letter = LogDatabase.DeadLetter(event, group: group, topic: topic) else { return true }
                if json {
                    JSONText.appendASCII(count == 0 ? "\n  " : ",\n  ", to: &output.buffer)
                    appendJSON(letter, times: &times, to: &output.buffer)
                    try output.flushIfFull()
                } else {
                    var time: [UInt8] = []
                    times.append(letter.event.time, to: &time)
                    table.append([
                        "\(letter.originalSeq)", "\(letter.attempts)", String(decoding: time, as: UTF8.self),
                        ByteCount.format(Int64(letter.event.size)), letter.error.map(displayName) ?? "-",
                    ])
                }
                count += 1
                return true
            }
        }
        if json {
            JSONText.appendASCII(count == 0 ? "]\n" : "\n]\n", to: &output.buffer)
        } else if count == 0 {
            output.writeLine("no dead letters for group \(quoted(group)) of topic \(quoted(topic))")
        } else {
            output.write(table.text)
        }
        try output.flush()
    }

    /// One dead letter as a JSON object; its metadata without the dead-letter entry.
    private func appendJSON(_ letter: LogDatabase.DeadLetter, times: inout TimestampFormatter, to buffer: inout [UInt8]) {
        var metadata = letter.event.metadata
        metadata[LogDatabase.deadLetterMetadataKey] = nil
        JSONText.appendASCII("{\"topic\":", to: &buffer)
        JSONText.appendString(topic, to: &buffer)
        JSONText.appendASCII(",\"group\":", to: &buffer)
        JSONText.appendString(group, to: &buffer)
        JSONText.appendASCII(",\"seq\":", to: &buffer)
        JSONText.appendInteger(letter.originalSeq, to: &buffer)
        JSONText.appendASCII(",\"attempts\":", to: &buffer)
        JSONText.appendInteger(Int64(letter.attempts), to: &buffer)
        JSONText.appendASCII(",\"error\":", to: &buffer)
        if let error = letter.error {
            JSONText.appendString(error, to: &buffer)
        } else {
            JSONText.appendASCII("null", to: &buffer)
        }
        JSONText.appendASCII(",\"dead_lettered_at\":\"", to: &buffer)
        times.append(letter.event.time, to: &buffer)
        JSONText.appendASCII("\",\"dead_letter_seq\":", to: &buffer)
        JSONText.appendInteger(letter.event.seq, to: &buffer)
        JSONText.appendASCII(",\"metadata\":", to: &buffer)
        MetadataValue.appendJSON(of: metadata, to: &buffer)
        JSONText.appendASCII(",\"size\":", to: &buffer)
        JSONText.appendInteger(Int64(letter.event.size), to: &buffer)
        buffer.append(UInt8(ascii: "}"))
    }

    private func redrive(_ db: LogDatabase) throws {
        let result = try db.redrive(group: group, topic: topic)
        let output = OutputWriter()
        if json {
            JSONText.appendASCII("{\"topic\":", to: &output.buffer)
            JSONText.appendString(topic, to: &output.buffer)
            JSONText.appendASCII(",\"group\":", to: &output.buffer)
            JSONText.appendString(group, to: &output.buffer)
            JSONText.appendASCII(",\"released\":", to: &output.buffer)
            JSONText.appendInteger(Int64(result.released), to: &output.buffer)
            JSONText.appendASCII(",\"reappended\":", to: &output.buffer)
            JSONText.appendInteger(Int64(result.reappended), to: &output.buffer)
            JSONText.appendASCII(",\"kept\":", to: &output.buffer)
            JSONText.appendInteger(Int64(result.kept), to: &output.buffer)
            JSONText.appendASCII("}\n", to: &output.buffer)
        } else {
            let total = result.released + result.reappended
            output.writeLine(
                "redrove \(total) dead letter\(total == 1 ? "" : "s") of group \(quoted(group)) on topic \(quoted(topic)): "
                    + "\(result.released) delivered to the group again, \(result.reappended) appended to the topic again"
                    + (result.kept > 0 ? "; \(result.kept) kept (the originals are gone and the topic is closed)" : ""))
        }
        try output.flush()
    }
}
