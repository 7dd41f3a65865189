import Foundation
@testable import StreamLog
import StreamLogTestSupport

/// `count` inline events whose payloads are "0", "1", … (offset by `from`).
func numberedEvents(_ count: Int, from: Int = 0) -> [Event] {
    (from..<from + count).map { .inline(Data("\($0)".utf8)) }
}

/// The payloads of `events` as text.
func texts(_ events: [Event]) -> [String] {
    events.map { String(decoding: $0.payload ?? Data(), as: UTF8.self) }
}

extension Timestamp {
    /// This time shifted by `duration` (for driving lease clocks in tests).
    func shifted(by duration: Duration) -> Timestamp { LeaseClock.adding(duration, to: self) }
}

/// Waits for a worker's marker file and returns its text.
func waitForMarker(_ path: String, timeout: Duration = .seconds(20)) throws -> String? {
    guard waitUntil(timeout: timeout, { FileManager.default.fileExists(atPath: path) }) else { return nil }
    return try String(contentsOfFile: path, encoding: .utf8)
}
