/// Rules for topic names (and consumer and group names, which follow the same rules).
///
/// A name is data, never an SQL identifier: any non-empty UTF-8 string of at most
/// ``maxBytes`` bytes without NUL characters is accepted (quotes, semicolons, Unicode, spaces…).
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
    }
}
