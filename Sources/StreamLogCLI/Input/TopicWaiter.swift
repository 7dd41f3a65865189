import Foundation
import StreamLog

/// Waits for new events in a topic (`--follow`), from this process or any other.
///
/// Polls the topic's highest seq — one indexed read, a few microseconds — with a backoff from
/// 0.5 ms up to 25 ms while nothing happens, so a new event is seen within about 25 ms and an idle
/// follower costs almost no CPU.
enum TopicWaiter {
    static let firstPause: Duration = .microseconds(500)
    static let longestPause: Duration = .milliseconds(25)

    /// The topic's highest seq once it is above `seq`, or at `deadline` (then possibly not above
    /// it); `nil` when SIGINT/SIGTERM arrived first (see ``StopSignal``).
    static func waitForSeq(
        after seq: Int64, topic: String, in db: LogDatabase, until deadline: ContinuousClock.Instant? = nil
    ) throws -> Int64? {
        var pause = firstPause
        while !StopSignal.isRaised {
            let highest = try db.lastSeq(topic: topic)
            if highest > seq { return highest }
            if let deadline {
                let remaining = deadline - .now
                if remaining <= .zero { return highest }
                pause = min(pause, remaining)
            }
            let (seconds, attoseconds) = pause.components
            var interval = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            // A signal cuts the sleep short (EINTR), and the loop sees the flag at once.
            nanosleep(&interval, nil)
            pause = min(pause * 2, longestPause)
        }
        return nil
    }
}
