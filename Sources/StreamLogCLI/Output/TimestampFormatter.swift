import Foundation
import StreamLog

/// Formats timestamps as RFC 3339 UTC with microseconds (`2026-11-25T08:18:49.123456Z`) into a
/// byte buffer, the same text as ``Timestamp/rfc3339`` without allocating: the calendar part is
/// computed once per second and reused, since consecutive events share their second.
struct TimestampFormatter {
    private var cachedSecond = Int64.min
    /// `YYYY-MM-DDTHH:MM:SS.` of `cachedSecond`.
    private var cachedPrefix: [UInt8] = []

    mutating func append(_ time: Timestamp, to buffer: inout [UInt8]) {
        let micros = time.microsecondsSinceEpoch
        let second = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        if second != cachedSecond { cache(second) }
        buffer.append(contentsOf: cachedPrefix)
        var fraction = Int(micros - second * 1_000_000)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 6) { digits in
            for index in (0..<6).reversed() {
                digits[index] = UInt8(ascii: "0") + UInt8(fraction % 10)
                fraction /= 10
            }
            buffer.append(contentsOf: digits)
        }
        buffer.append(UInt8(ascii: "Z"))
    }

    private mutating func cache(_ second: Int64) {
        var seconds = time_t(second)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        cachedPrefix.removeAll(keepingCapacity: true)
        appendDigits(Int(parts.tm_year) + 1900, count: 4)
        cachedPrefix.append(UInt8(ascii: "-"))
        appendDigits(Int(parts.tm_mon) + 1, count: 2)
        cachedPrefix.append(UInt8(ascii: "-"))
        appendDigits(Int(parts.tm_mday), count: 2)
        cachedPrefix.append(UInt8(ascii: "T"))
        appendDigits(Int(parts.tm_hour), count: 2)
        cachedPrefix.append(UInt8(ascii: ":"))
        appendDigits(Int(parts.tm_min), count: 2)
        cachedPrefix.append(UInt8(ascii: ":"))
        appendDigits(Int(parts.tm_sec), count: 2)
        cachedPrefix.append(UInt8(ascii: "."))
        cachedSecond = second
    }

    private mutating func appendDigits(_ value: Int, count: Int) {
        var divisor = 1
        for _ in 1..<count { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            cachedPrefix.append(UInt8(ascii: "0") + UInt8((rest / divisor) % 10))
            rest %= divisor
            divisor /= 10
        }
    }
}
