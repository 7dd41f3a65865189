/// Wall-clock arithmetic for leases, redelivery delays and dedup windows.
///
/// Lease expiries are stored as wall-clock microseconds (``Timestamp``) because every process
/// sharing the file must agree on them; a monotonic clock is per process.
enum LeaseClock {
    /// `duration` in whole microseconds, rounded up so a positive duration is never zero;
    /// negative durations count as zero.
    static func microseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 || seconds > 0 else { return 0 }
        let whole = seconds.multipliedReportingOverflow(by: 1_000_000)
        guard !whole.overflow else { return .max }
        let fraction = (attoseconds + 999_999_999_999) / 1_000_000_000_000
        let (sum, overflow) = whole.partialValue.addingReportingOverflow(fraction)
        return overflow ? .max : max(sum, 0)
    }

    /// `time` plus `duration`, saturating instead of overflowing.
    static func adding(_ duration: Duration, to time: Timestamp) -> Timestamp {
        let (sum, overflow) = time.microsecondsSinceEpoch.addingReportingOverflow(microseconds(duration))
        return Timestamp(microsecondsSinceEpoch: overflow ? .max : sum)
    }

    /// The time from `earlier` to `later`, never negative.
    static func elapsed(from earlier: Timestamp, to later: Timestamp) -> Duration {
        .microseconds(max(later.microsecondsSinceEpoch - earlier.microsecondsSinceEpoch, 0))
    }

    /// A new receipt token: random, never 0 (0 marks a released lease and the end-of-stream
    /// delivery). Drawn from the object-key generator, which costs nanoseconds, not a syscall.
    static func newToken() -> Int64 {
        while true {
            let token = Int64(bitPattern: ObjectKey.random().low ^ ObjectKey.random().high)
            if token != 0 { return token }
        }
    }
}
