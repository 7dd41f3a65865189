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
    /// The object is not in its store and was never recorded as evicted (a damaged file).
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

    // MARK: JSON lines

    private mutating func appendJSON(_ event: Event, content: ObjectContent?, to buffer: inout [UInt8]) {
        if event.topic != topicName {
            topicName = event.topic
            topicJSON.removeAll(keepingCapacity: true)
            JSONText.appendString(event.topic, to: &topicJSON)
        }
        JSONText.appendASCII("{\"topic\":", to: &buffer)
        buffer.append(contentsOf: topicJSON)
        JSONText.appendASCII(",\"seq\":", to: &buffer)
        JSONText.appendInteger(event.seq, to: &buffer)
        JSONText.appendASCII(event.isEndOfStream ? ",\"type\":\"end\",\"time\":\"" : ",\"type\":\"object\",\"time\":\"", to: &buffer)
        times.append(event.time, to: &buffer)
        JSONText.appendASCII("\",\"metadata\":", to: &buffer)
        if event.metadata.isEmpty {
            JSONText.appendASCII("{}", to: &buffer)
        } else {
            MetadataValue.appendJSON(of: event.metadata, to: &buffer)
        }
        if !event.isEndOfStream {
            // An inline object has nothing to evict.
            JSONText.appendASCII(event.key != nil && event.evict ? ",\"evict\":true" : ",\"evict\":false", to: &buffer)
            if let key = event.key {
                JSONText.appendASCII(",\"key\":", to: &buffer)
                JSONText.appendKey(key, to: &buffer)
            }
            JSONText.appendASCII(",\"size\":", to: &buffer)
            JSONText.appendInteger(Int64(event.size), to: &buffer)
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
        let seq = String(event.seq)
        buffer.append(contentsOf: repeatElement(UInt8(ascii: " "), count: max(0, 8 - seq.utf8.count)))
        buffer.append(contentsOf: seq.utf8)
        buffer.append(contentsOf: "  ".utf8)
        times.append(event.time, to: &buffer)
        guard !event.isEndOfStream else {
            buffer.append(contentsOf: "  end of stream\n".utf8)
            return
        }
        let size = "\(event.size) B"
        buffer.append(contentsOf: "  object ".utf8)
        buffer.append(contentsOf: repeatElement(UInt8(ascii: " "), count: max(0, 10 - size.utf8.count)))
        buffer.append(contentsOf: size.utf8)
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
