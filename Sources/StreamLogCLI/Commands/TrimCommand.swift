import ArgumentParser
import StreamLog

/// `streamlog trim TOPIC`: retention.
struct TrimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trim",
        abstract: "Drop a topic's old events and the objects only they referenced.",
        discussion: """
            Seqs are never reused: new events continue after the highest seq ever given. The \
            end-of-stream event is never removed, so a closed topic stays closed. --keep counts \
            object events.

            Examples:
              streamlog trim jobs --before 5000
              streamlog trim jobs --keep 100000
              streamlog trim logs --older-than 7d
            """)

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "The topic to trim.")
    var topic: String

    @Option(help: ArgumentHelp("Drop the object events with seq below SEQ.", valueName: "seq"))
    var before: Int64?

    @Option(help: ArgumentHelp("Keep only the newest N object events.", valueName: "n"))
    var keep: Int?

    @Option(
        name: .customLong("older-than"),
        help: ArgumentHelp(
            "Drop the events appended longer ago than DURATION (500ms, 30s, 15m, 2h, 7d, 1w, 1h30m).",
            valueName: "duration"),
        transform: DurationArgument.parse)
    var olderThan: DurationArgument?

    @Flag(help: "Print {\"topic\", \"events\", \"objects\"} as JSON.")
    var json = false

    func validate() throws {
        try validateTopicName(topic)
        let given = [before != nil, keep != nil, olderThan != nil].filter { $0 }.count
        if given != 1 { throw ValidationError("give exactly one of --before, --keep or --older-than") }
        if let keep, keep < 0 { throw ValidationError("--keep must be 0 or more") }
    }

    func run() throws {
        let db = try database.open()
        let progress = ProgressBar.spinner(label: "trim")
        let result: LogDatabase.TrimResult
        do {
            defer { progress.finish() }
            if let before {
                result = try db.trim(topic: topic, before: before)
            } else if let keep {
                result = try db.trim(topic: topic, keepingLast: keep)
            } else {
                let (seconds, attoseconds) = olderThan!.duration.components
                // An age beyond Int64 microseconds (about 292,000 years) reaches before any event.
                let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
                let (sum, sumOverflow) = whole.addingReportingOverflow(attoseconds / 1_000_000_000_000)
                let age = overflow || sumOverflow ? Int64.max : sum
                let cutoff = Timestamp(microsecondsSinceEpoch: Timestamp.now().microsecondsSinceEpoch - max(age, 0))
                result = try db.trim(topic: topic, olderThan: cutoff)
            }
        }
        let output = OutputWriter()
        if json {
            JSONText.appendASCII("{\"topic\":", to: &output.buffer)
            JSONText.appendString(topic, to: &output.buffer)
            JSONText.appendASCII(",\"events\":", to: &output.buffer)
            JSONText.appendInteger(Int64(result.events), to: &output.buffer)
            JSONText.appendASCII(",\"objects\":", to: &output.buffer)
            JSONText.appendInteger(Int64(result.objects), to: &output.buffer)
            JSONText.appendASCII("}\n", to: &output.buffer)
        } else {
            output.writeLine(
                "trimmed \(result.events) event\(result.events == 1 ? "" : "s") and \(result.objects) "
                    + "object\(result.objects == 1 ? "" : "s") from topic \(quoted(topic))")
        }
        try output.flush()
    }
}
