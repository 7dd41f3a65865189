import ArgumentParser
import StreamLog

/// An RFC 3339 time argument such as `2026-11-25T08:18:49Z` or `2026-11-25T09:18:49.5+01:00`.
struct TimeArgument: ExpressibleByArgument {
    let timestamp: Timestamp

    init?(argument: String) {
        guard let timestamp = Timestamp(rfc3339: argument) else { return nil }
        self.timestamp = timestamp
    }

    /// Parses the time, explaining the expected form when it is not RFC 3339.
    static func parse(_ argument: String) throws -> TimeArgument {
        guard let time = TimeArgument(argument: argument) else {
            throw ValidationError("expected an RFC 3339 time such as 2026-11-25T08:00:00Z or 2026-11-25T09:00:00.5+01:00")
        }
        return time
    }
}
