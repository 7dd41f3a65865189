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

    @Option(
        help: ArgumentHelp(
            "Only events appended at or after TIME (RFC 3339, e.g. 2026-11-25T08:00:00Z).", valueName: "time"),
        transform: TimeArgument.parse)
    var since: TimeArgument?

    @Option(help: ArgumentHelp("Print at most N object events.", valueName: "n"))
    var limit: Int?

    @Option(
        name: .customLong("match"),
        help: ArgumentHelp(
            "Only events whose metadata KEY equals VALUE as JSON (repeatable; all must hold; same value parsing as send --meta).",
            valueName: "key=value"),
        transform: MetadataPair.parse)
    var match: [MetadataPair] = []

    @OptionGroup var output: EventOutputOptions

    @Flag(help: "Keep printing new events until the end-of-stream event, SIGINT or SIGTERM.")
    var follow = false

    /// Events read per page: each page is one short read, so writers are never held up.
    static let pageSize = 1000
    /// Events per page with --objects: pages hold inline payloads, so they are kept smaller.
    static let payloadPageSize = 100

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
        var state = State(cursor: max((from ?? 1) - 1, 0))
        if let since = since?.timestamp {
            // Event times never decrease, so everything before the first event at or after `since`
            // is older. With none, only the last event can still be shown (an end-of-stream line).
            let first = try db.firstSeq(topic: topic, atOrAfter: since) ?? highest
            state.cursor = max(state.cursor, first - 1)
        }
        if follow { StopSignal.install() }
        let progress = follow || printer.output.isTerminal
            ? nil
            : ProgressBar(label: "replay", total: min(through, highest) - state.cursor)
        defer { progress?.finish() }
        let start = state.cursor
        state.done = limit == 0
        let selection = Selection(topic: topic, follow: follow, since: since?.timestamp, match: match, limit: limit)

        while !state.done {
            let snapshotEnd = min(through, highest)
            if output.objects {
                try printEvents(db, through: snapshotEnd, printer: printer, selection: selection, state: &state)
            } else {
                try printRows(db, through: snapshotEnd, printer: printer, selection: selection, state: &state)
            }
            progress?.update(state.cursor - start)
            if state.done || !follow || snapshotEnd >= through { break }
            // Every seq up to the snapshot's end was committed before it was read: none can
            // appear later, even if trimmed rows left a gap.
            state.cursor = max(state.cursor, snapshotEnd)
            try printer.flush()
            // Started at or past the end of a closed topic: nothing can come any more. (Closed is
            // read first: after it, the last seq cannot change.)
            if try db.isClosed(topic: topic), try state.cursor >= db.lastSeq(topic: topic) { break }
            guard let next = try TopicWaiter.waitForSeq(after: state.cursor, topic: topic, in: db) else { break }
            highest = next
        }
        try printer.flush()
        if state.missing > 0 {
            throw CLIError(
                "\(state.missing) object\(state.missing == 1 ? " is" : "s are") missing from the store without being "
                    + "evicted (printed with \"missing\": true); the file may be damaged: run `streamlog check`")
        }
    }

    /// Where a replay is.
    private struct State {
        /// Seq of the last event looked at.
        var cursor: Int64
        /// Object events printed.
        var printed = 0
        /// Objects found missing from their store.
        var missing = 0
        /// The end-of-stream line or the limit was reached, or a stop signal arrived.
        var done = false
    }

    /// What the per-event code reads of the options, copied out of the parsed command once: each
    /// read of an ArgumentParser property goes through its generic wrapper (a metadata lookup),
    /// which, per event, was a sixth of a replay's time.
    private struct Selection {
        let topic: String
        let follow: Bool
        let since: Timestamp?
        let match: [MetadataPair]
        let limit: Int?

        /// Whether an object event passes --since and --match (metadata is parsed only for --match).
        func selects(time: Timestamp, metadata: () throws -> Metadata) rethrows -> Bool {
            if let since, time < since { return false }
            if match.isEmpty { return true }
            return match.allMatch(try metadata())
        }

        /// Counts a printed object event against --limit; `false` once the replay must stop.
        func count(_ state: inout State) -> Bool {
            state.printed += 1
            if let limit, state.printed >= limit { state.done = true }
            return !state.done
        }
    }

    /// The fast path (no payloads): borrowed rows, metadata text copied as stored. Writes only
    /// between reads (a page, or less once the output buffer is full), so a slow reader of stdout
    /// never holds a read transaction open, which would keep writers' WAL from being checkpointed.
    private func printRows(
        _ db: LogDatabase, through: Int64, printer: EventPrinter, selection: Selection, state: inout State
    ) throws {
        let topic = selection.topic
        var more = true
        while more && state.cursor < through && !state.done {
            var rows = 0
            var full = false
            try db.forEachEventRow(topic: topic, after: state.cursor, through: through, pageSize: Self.pageSize) { row in
                rows += 1
                state.cursor = row.seq
                if selection.follow && StopSignal.isRaised {
                    state.done = true
                } else if row.kind == .endOfStream {
                    try printer.append(row, topic: topic)
                    state.done = true
                } else if try selection.selects(time: row.time, metadata: row.metadata) {
                    try printer.append(row, topic: topic)
                    _ = selection.count(&state)
                }
                full = printer.output.isFull
                return rows < Self.pageSize && !state.done && !full
            }
            more = rows == Self.pageSize || full
            try printer.output.flushIfFull()
        }
    }

    /// The path with payloads: events copied out of each page, then objects read from the store.
    private func printEvents(
        _ db: LogDatabase, through: Int64, printer: EventPrinter, selection: Selection, state: inout State
    ) throws {
        guard state.cursor < through else { return }
        try db.forEachEvent(topic: selection.topic, after: state.cursor, through: through, pageSize: Self.payloadPageSize) { event in
            state.cursor = event.seq
            if selection.follow && StopSignal.isRaised {
                state.done = true
                return false
            }
            if event.isEndOfStream {
                try printer.print(event)
                state.done = true
                return false
            }
            guard selection.selects(time: event.time, metadata: { event.metadata }) else { return true }
            let content = try ObjectContent.peek(event, in: db)
            if case .missing = content { state.missing += 1 }
            try printer.print(event, content: content)
            return selection.count(&state)
        }
    }
}
