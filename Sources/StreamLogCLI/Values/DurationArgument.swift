import ArgumentParser

/// A duration argument: a number with a unit, or several (`500ms`, `30s`, `15m`, `2h`, `7d`,
/// `1w`, `1h30m`). A bare number is seconds.
struct DurationArgument: ExpressibleByArgument {
    let duration: Duration

    init?(argument: String) {
        let text = Array(argument.utf8)
        guard !text.isEmpty else { return nil }
        var total: Duration = .zero
        var index = 0
        while index < text.count {
            var number: Int64 = 0
            let start = index
            while index < text.count, let digit = Self.digit(text[index]) {
                let (shifted, overflow1) = number.multipliedReportingOverflow(by: 10)
                let (next, overflow2) = shifted.addingReportingOverflow(digit)
                guard !overflow1 && !overflow2 else { return nil }
                number = next
                index += 1
            }
            guard index > start else { return nil }
            let unitStart = index
            while index < text.count, Self.digit(text[index]) == nil { index += 1 }
            let unit = String(decoding: text[unitStart..<index], as: UTF8.self)
            if unit.isEmpty && !(start == 0 && index == text.count) { return nil }
            guard let scale = Self.milliseconds(per: unit) else { return nil }
            let (milliseconds, overflow) = number.multipliedReportingOverflow(by: scale)
            guard !overflow else { return nil }
            total += .milliseconds(milliseconds)
        }
        duration = total
    }

    /// Parses the duration, explaining the expected form when it is not one.
    static func parse(_ argument: String) throws -> DurationArgument {
        guard let duration = DurationArgument(argument: argument) else {
            throw ValidationError("expected a duration such as 500ms, 30s, 15m, 2h, 7d, 1w or 1h30m")
        }
        return duration
    }

    /// Milliseconds in one `unit`; `nil` for an unknown unit.
    private static func milliseconds(per unit: String) -> Int64? {
        switch unit {
        case "ms": 1
        case "", "s": 1000
        case "m": 60_000
        case "h": 3_600_000
        case "d": 86_400_000
        case "w": 604_800_000
        default: nil
        }
    }

    private static func digit(_ byte: UInt8) -> Int64? {
        (48...57).contains(byte) ? Int64(byte - 48) : nil
    }
}
