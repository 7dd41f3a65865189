import ArgumentParser
import Foundation
import StreamLog

/// Options of the commands that print events (`replay`, and `consume`, which prints the same lines).
struct EventOutputOptions: ParsableArguments {
    @Flag(
        help: "Include payloads: \"data\" when valid UTF-8, else \"data_base64\"; \"evicted\": true when the object was evicted.")
    var objects = false

    @Option(help: ArgumentHelp("Output format: jsonl (one JSON object per line) or text (for people).", valueName: "format"))
    var format: EventFormat = .jsonl
}

/// Prints events to standard output in large writes.
///
/// Not `Sendable`: one command uses it from one thread.
final class EventPrinter {
    let output = OutputWriter()
    private var formatter: EventFormatter

    init(format: EventFormat) {
        formatter = EventFormatter(format: format)
    }

    /// Prints the line of `event`, with `content` when payloads were asked for.
    @inline(__always)
    func print(_ event: Event, content: ObjectContent? = nil) throws {
        formatter.append(event, content: content, to: &output.buffer)
        try output.flushIfFull()
    }

    /// Adds the line of a borrowed row to the buffer; the caller flushes between pages.
    @inline(__always)
    func append(_ row: EventRowView, topic: String) throws {
        try formatter.append(row: row, topic: topic, to: &output.buffer)
    }

    /// Writes out everything printed so far.
    func flush() throws {
        try output.flush()
    }
}

extension ObjectContent {
    /// The payload of an object event read without side effects (`replay` never evicts): the
    /// inline bytes, or the object from its store, or `.evicted` / `.missing` when it is gone.
    static func peek(_ event: Event, in db: LogDatabase) throws -> ObjectContent {
        if let payload = event.payload { return .bytes(payload) }
        guard event.key != nil else { return .bytes(Data()) }
        do {
            return .bytes(try db.object(for: event).data)
        } catch let error as StreamLogError where error.code == .objectEvicted {
            return .evicted
        } catch let error as StreamLogError where error.code == .objectMissing {
            return .missing
        }
    }
}
