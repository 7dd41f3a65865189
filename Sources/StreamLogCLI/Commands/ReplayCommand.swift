import ArgumentParser
import Foundation
import StreamLog

/// `streamlog replay TOPIC`: prints a topic's events, read-only.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Print a topic's events in order, as JSON lines (read-only).",
        discussion: """
            Never moves a cursor and never evicts. Each line has "topic", "seq", "type" ("object" or \
            "end"), "time" (RFC 3339, UTC), "metadata", and for objects "evict", "key" (objects in \
            the object store), "size", and with --objects "data" or "data_base64" (or "evicted": true). \
            --match and --since never hide the end-of-stream line; --limit counts object events. \
            With --follow, waits for new events (from any process) and exits 0 after the \
            end-of-stream event, on SIGINT or SIGTERM, or once --to or --limit is reached.

            Examples:
              streamlog replay jobs --from 100 --limit 10
              streamlog replay jobs --match kind=resize --match priority=3 --objects
              streamlog replay logs --since 2026-11-25T08:00:00Z --follow --format text
            """)

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "The topic to replay.")
    var topic: String

    @Option(help: ArgumentHelp("First seq to print (inclusive).", valueName: "seq"))
    var from: Int64?

    @Option(help: ArgumentHelp("Last seq to print (inclusive).", valueName: "seq"))
    var to: Int64?

    @Option(help: ArgumentHelp("Only events appended at or after TIME (RFC 3339, e.g. 2026-11-25T08:00:00Z).", valueName: "time"))
    var since: TimeArgument?

    @Option(help: ArgumentHelp("Print at most N object events.", valueName: "n"))
    var limit: Int?

    @Option(
        name: .customLong("match"),
        help: ArgumentHelp(
            "Only events whose metadata KEY equals VALUE as JSON (repeatable; all must hold; same value parsing as send --meta).",
            valueName: "key=value"))
    var match: [MetadataPair] = []

    @OptionGroup var output: EventOutputOptions

    @Flag(help: "Keep printing new events until the end-of-stream event, SIGINT or SIGTERM.")
    var follow = false

    /// Events read per page: each page is one short read, so writers are never held up.
    static let pageSize = 1000

    func validate() throws {
        try validateTopicName(topic)
        if let from, from < 0 { throw ValidationError("--from must be 0 or more") }
        if let to, to < 0 { throw ValidationError("--to must be 0 or more") }
        if let from, let to, to < from { throw ValidationError("--to (\(to)) is before --from (\(from))") }
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
    }

    func run() throws {
        let db = try database.open()
        // Fails naming the topic when it does not exist.
        var highest = try db.lastSeq(topic: topic)
        let printer = EventPrinter(format: output.format)
        let through = to ?? .max
        var cursor = max((from ?? 1) - 1, 0)
        if let since = since?.timestamp {
            // Event times never decrease, so everything before the first event at or after `since`
            // is older. With none, only the last event can still be shown (an end-of-stream line).
            let first = try db.firstSeq(topic: topic, atOrAfter: since) ?? highest
            cursor = max(cursor, first - 1)
        }
        if follow { StopSignal.install() }
        let progress = follow || printer.output.isTerminal
            ? nil
            : ProgressBar(label: "replay", total: min(through, highest) - cursor)
        defer { progress?.finish() }
        let start = cursor
        var printed = 0
        var missing = 0
        var done = limit == 0

        while !done {
            let snapshotEnd = min(through, highest)
            if cursor < snapshotEnd {
                try db.forEachEvent(topic: topic, after: cursor, through: snapshotEnd, pageSize: Self.pageSize) { event in
                    if follow && StopSignal.isRaised {
                        done = true
                        return false
                    }
                    cursor = event.seq
                    if event.isEndOfStream {
                        try printer.print(event)
                        done = true
                        return false
                    }
                    if let since = since?.timestamp, event.time < since { return true }
                    if !match.isEmpty && !match.allMatch(event.metadata) { return true }
                    var content: ObjectContent?
                    if output.objects {
                        content = try ObjectContent.peek(event, in: db)
                        if case .missing = content { missing += 1 }
                    }
                    try printer.print(event, content: content)
                    progress?.update(event.seq - start)
                    printed += 1
                    if let limit, printed >= limit { done = true }
                    return !done
                }
            }
            if done || !follow || snapshotEnd >= through { break }
            // Every seq up to the snapshot's end was committed before it was read: none can
            // appear later, even if trimmed rows left a gap.
            cursor = max(cursor, snapshotEnd)
            try printer.flush()
            guard let next = try TopicWaiter.waitForSeq(after: cursor, topic: topic, in: db) else { break }
            highest = next
        }
        try printer.flush()
        if missing > 0 {
            throw CLIError(
                "\(missing) object\(missing == 1 ? " is" : "s are") missing from the store without being evicted "
                    + "(printed with \"missing\": true); the file may be damaged: run `streamlog check`")
        }
    }
}
