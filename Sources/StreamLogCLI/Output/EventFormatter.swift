import ArgumentParser
import Foundation
import StreamLog

/// How events are printed.
enum EventFormat: String, ExpressibleByArgument, CaseIterable {
    /// One JSON object per line, for scripts.
    case jsonl
    /// Aligned columns, for people.
    case text
}

/// The payload printed for an object event when `--objects` asks for it.
enum ObjectContent {
    /// The object's bytes.
    case bytes(Data)
    /// The object was deleted by eviction.
    case evicted
    /// The object is not in its store, and neither an eviction record nor the event's evict flag
    /// explains it (a damaged file, or an object store in another file that was lost).
    case missing
}

/// Formats events as the lines of `replay` (and of `consume`, which prints the same lines).
///
/// JSON line fields, in order: `topic`, `seq`, `type` (`object` | `end`), `time` (RFC 3339 UTC),
/// `metadata`, then for objects only `evict`, `key` (object-store events only), `size`, and with
/// content `data` (valid UTF-8) or `data_base64`, or `evicted: true` / `missing: true`.
struct EventFormatter {
    let format: EventFormat
    private var times = TimestampFormatter()
    private var topicName: String?
    private var topicJSON: [UInt8] = []

    init(format: EventFormat) {
        self.format = format
    }

    /// Appends the line of `event` (newline included) to `buffer`.
    mutating func append(_ event: Event, content: ObjectContent?, to buffer: inout [UInt8]) {
        switch format {
        case .jsonl: appendJSON(event, content: content, to: &buffer)
        case .text: appendText(event, content: content, to: &buffer)
        }
    }

    /// Appends the line of a borrowed row (newline included), copying its stored metadata text
    /// as it is when it is a compact JSON object, as the library writes it.
    mutating func append(row: EventRowView, topic: String, to buffer: inout [UInt8]) throws {
        let isEnd = row.kind == .endOfStream
        switch format {
        case .jsonl:
            appendJSONHeader(topic: topic, seq: row.seq, isEnd: isEnd, time: row.time, to: &buffer)
            try appendMetadata(of: row, to: &buffer)
            if !isEnd {
                let key = row.key
                appendJSONObjectFields(key: key, evict: key != nil && row.evict, size: row.size, to: &buffer)
            }
            JSONText.appendASCII("}\n", to: &buffer)
        case .text:
            appendTextHeader(seq: row.seq, time: row.time, to: &buffer)
            guard !isEnd else {
                buffer.append(contentsOf: "  end of stream\n".utf8)
                return
            }
            appendTextSize(row.size, to: &buffer)
            if row.withMetadataJSON({ $0?.isEmpty == false }) {
                buffer.append(contentsOf: "  ".utf8)
                try appendMetadata(of: row, to: &buffer)
            }
            buffer.append(0x0A)
        }
    }

    /// The row's metadata as JSON: the stored text when it is a compact object (no control
    /// bytes, so one line stays one line), else parsed and re-encoded.
    private func appendMetadata(of row: EventRowView, to buffer: inout [UInt8]) throws {
        let copied = row.withMetadataJSON { bytes -> Bool in
            guard let bytes, !bytes.isEmpty else {
                JSONText.appendASCII("{}", to: &buffer)
                return true
            }
            guard bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}"), !bytes.contains(where: { $0 < 0x20 })
            else { return false }
            buffer.append(contentsOf: bytes)
            return true
        }
        if !copied { MetadataValue.appendJSON(of: try row.metadata(), to: &buffer) }
    }

    // MARK: JSON lines

    private mutating func appendJSONHeader(topic: String, seq: Int64, isEnd: Bool, time: Timestamp, to buffer: inout [UInt8]) {
        if topic != topicName {
            topicName = topic
            topicJSON.removeAll(keepingCapacity: true)
            JSONText.appendString(topic, to: &topicJSON)
        }
        JSONText.appendASCII("{\"topic\":", to: &buffer)
        buffer.append(contentsOf: topicJSON)
        JSONText.appendASCII(",\"seq\":", to: &buffer)
        JSONText.appendInteger(seq, to: &buffer)
        JSONText.appendASCII(isEnd ? ",\"type\":\"end\",\"time\":\"" : ",\"type\":\"object\",\"time\":\"", to: &buffer)
        times.append(time, to: &buffer)
        JSONText.appendASCII("\",\"metadata\":", to: &buffer)
    }

    private func appendJSONObjectFields(key: ObjectKey?, evict: Bool, size: Int, to buffer: inout [UInt8]) {
        // An inline object has nothing to evict.
        JSONText.appendASCII(evict ? ",\"evict\":true" : ",\"evict\":false", to: &buffer)
        if let key {
            JSONText.appendASCII(",\"key\":", to: &buffer)
            JSONText.appendKey(key, to: &buffer)
        }
        JSONText.appendASCII(",\"size\":", to: &buffer)
        JSONText.appendInteger(Int64(size), to: &buffer)
    }

    private mutating func appendJSON(_ event: Event, content: ObjectContent?, to buffer: inout [UInt8]) {
        appendJSONHeader(topic: event.topic, seq: event.seq, isEnd: event.isEndOfStream, time: event.time, to: &buffer)
        if event.metadata.isEmpty {
            JSONText.appendASCII("{}", to: &buffer)
        } else {
            MetadataValue.appendJSON(of: event.metadata, to: &buffer)
        }
        if !event.isEndOfStream {
            appendJSONObjectFields(key: event.key, evict: event.key != nil && event.evict, size: event.size, to: &buffer)
            switch content {
            case nil:
                break
            case .bytes(let data):
                data.withUnsafeBytes { bytes in
                    if Self.isValidUTF8(bytes) {
                        JSONText.appendASCII(",\"data\":", to: &buffer)
                        JSONText.appendString(utf8: bytes, to: &buffer)
                    } else {
                        JSONText.appendASCII(",\"data_base64\":", to: &buffer)
                        JSONText.appendBase64(bytes, to: &buffer)
                    }
                }
            case .evicted:
                JSONText.appendASCII(",\"evicted\":true", to: &buffer)
            case .missing:
                JSONText.appendASCII(",\"missing\":true", to: &buffer)
            }
        }
        JSONText.appendASCII("}\n", to: &buffer)
    }

    // MARK: Text

    private mutating func appendText(_ event: Event, content: ObjectContent?, to buffer: inout [UInt8]) {
        appendTextHeader(seq: event.seq, time: event.time, to: &buffer)
        guard !event.isEndOfStream else {
            buffer.append(contentsOf: "  end of stream\n".utf8)
            return
        }
        appendTextSize(event.size, to: &buffer)
        if !event.metadata.isEmpty {
            buffer.append(contentsOf: "  ".utf8)
            MetadataValue.appendJSON(of: event.metadata, to: &buffer)
        }
        switch content {
        case nil:
            break
        case .bytes(let data):
            buffer.append(contentsOf: "  ".utf8)
            data.withUnsafeBytes { bytes in
                if Self.isValidUTF8(bytes) {
                    Self.appendPrintable(bytes, to: &buffer)
                } else {
                    buffer.append(contentsOf: "(binary, base64 ".utf8)
                    JSONText.appendBase64(bytes, to: &buffer)
                    buffer.append(UInt8(ascii: ")"))
                }
            }
        case .evicted:
            buffer.append(contentsOf: "  (evicted)".utf8)
        case .missing:
            buffer.append(contentsOf: "  (missing from the store)".utf8)
        }
        buffer.append(0x0A)
    }

    private mutating func appendTextHeader(seq: Int64, time: Timestamp, to buffer: inout [UInt8]) {
        let digits = String(seq)
        buffer.append(contentsOf: repeatElement(UInt8(ascii: " "), count: max(0, 8 - digits.utf8.count)))
        buffer.append(contentsOf: digits.utf8)
        buffer.append(contentsOf: "  ".utf8)
        times.append(time, to: &buffer)
    }

    private func appendTextSize(_ size: Int, to buffer: inout [UInt8]) {
        let text = "\(size) B"
        buffer.append(contentsOf: "  object ".utf8)
        buffer.append(contentsOf: repeatElement(UInt8(ascii: " "), count: max(0, 10 - text.utf8.count)))
        buffer.append(contentsOf: text.utf8)
    }

    /// Appends UTF-8 text with control characters shown as escapes, so one event stays one line.
    private static func appendPrintable(_ bytes: UnsafeRawBufferPointer, to buffer: inout [UInt8]) {
        for byte in bytes {
            switch byte {
            case 0x0A: buffer.append(contentsOf: "\\n".utf8)
            case 0x0D: buffer.append(contentsOf: "\\r".utf8)
            case 0x09: buffer.append(contentsOf: "\\t".utf8)
            case 0x5C: buffer.append(contentsOf: "\\\\".utf8)
            case 0..<0x20, 0x7F: buffer.append(contentsOf: "\\x\(byte < 16 ? "0" : "")\(String(byte, radix: 16))".utf8)
            default: buffer.append(byte)
            }
        }
    }

    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        // ASCII is valid UTF-8; only longer sequences need the full decoder.
        if !bytes.contains(where: { $0 >= 0x80 }) { return true }
        return String(validating: bytes, as: UTF8.self) != nil
    }
}
