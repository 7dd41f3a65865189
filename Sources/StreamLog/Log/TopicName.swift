import Foundation

/// Rules for topic names (and consumer and group names, which follow the same rules).
///
/// A name is data, never an SQL identifier: any non-empty UTF-8 string of at most
/// ``maxBytes`` bytes without NUL characters, in Unicode normalization form C, is accepted
/// (quotes, semicolons, Unicode, spaces…). Form C because Swift compares strings by canonical
/// equivalence and SQLite by bytes: two spellings of "café" are one string to a Swift program
/// and two names to the file. Requiring the composed spelling (what keyboards and most text
/// produce) keeps every name one name on both sides.
public enum TopicName {
    /// The longest accepted name, in UTF-8 bytes.
    public static let maxBytes = 1024

    /// Throws `.invalidArgument` naming the problem when `name` is not acceptable.
    public static func validate(_ name: String, kind: String = "topic") throws {
        if name.isEmpty {
            throw StreamLogError(.invalidArgument, "\(kind) name is empty")
        }
        let length = name.utf8.count
        if length > maxBytes {
            throw StreamLogError(
                .invalidArgument, "\(kind) name is \(length) bytes long; the limit is \(maxBytes) bytes")
        }
        if name.utf8.contains(0) {
            throw StreamLogError(.invalidArgument, "\(kind) name contains a NUL character")
        }
        if name.utf8.contains(where: { $0 >= 0x80 }) {  // ASCII is always in form C
            let composed = name.precomposedStringWithCanonicalMapping
            if !composed.utf8.elementsEqual(name.utf8) {
                throw StreamLogError(
                    .invalidArgument,
                    "\(kind) name \(quoted(name)) is not in Unicode normalization form C; use its composed form \(quoted(composed))")
            }
        }
    }

    /// `name` in double quotes with quotes, backslashes and control characters escaped, shortened
    /// past 200 characters: how messages name topics, consumers and groups.
    public static func quoted(_ name: String) -> String {
        var result = "\""
        for scalar in name.unicodeScalars.prefix(200) {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: result += "\\u{\(String(scalar.value, radix: 16))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        if name.unicodeScalars.count > 200 { result += "…" }
        return result + "\""
    }
}
