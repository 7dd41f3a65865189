import Foundation
import StreamLogCSQLite

/// SQLite's busy handler, with fine-grained waits.
///
/// `sqlite3_busy_timeout` sleeps 1, 2, 5, 10 … 100 ms between attempts, so a writer that finds
/// the lock taken for 50 µs can lose whole milliseconds; with producers and consumers committing
/// thousands of times a second that dominates. This handler yields, then sleeps 20 µs, growing
/// to 1 ms, and gives up (SQLITE_BUSY, reported as `.busyTimeout`) once the timeout has passed.
enum BusyHandler {
    /// Installs the handler on `handle`, giving up after `timeout`. The returned context belongs
    /// to the connection: it releases it with ``release(_:)`` once `handle` is closed. (Kept by
    /// the connection, not in a registry keyed by the handle's address: a closed handle's address
    /// can be reused by a connection another thread opens before the first one's context is
    /// released.)
    static func install(on handle: OpaquePointer, timeout: Duration) -> UnsafeMutableRawPointer {
        let context = Unmanaged.passRetained(Deadline(timeout: timeout)).toOpaque()
        reinstall(context, on: handle)
        return context
    }

    /// Makes `context` (from ``install(on:timeout:)``) `handle`'s busy handler again.
    static func reinstall(_ context: UnsafeMutableRawPointer, on handle: OpaquePointer) {
        sqlite3_busy_handler(handle, { context, attempt in
            let deadline = Unmanaged<Deadline>.fromOpaque(context!).takeUnretainedValue()
            return deadline.wait(attempt: Int(attempt)) ? 1 : 0
        }, context)
    }

    /// Releases a context ``install(on:timeout:)`` returned, after its connection is closed.
    static func release(_ context: UnsafeMutableRawPointer) {
        Unmanaged<Deadline>.fromOpaque(context).release()
    }

    /// When one wait for the lock began and how long it may last.
    final class Deadline: @unchecked Sendable {
        // @unchecked: a connection's busy handler runs on the one thread using that connection.
        private let timeout: Duration
        private var start = ContinuousClock.now

        init(timeout: Duration) { self.timeout = timeout }

        /// Waits a little; returns `false` when the timeout has passed. `attempt` is 0 for the
        /// first call of a new wait.
        func wait(attempt: Int) -> Bool {
            if attempt == 0 { start = .now }
            if start.duration(to: .now) >= timeout { return false }
            switch attempt {
            case 0..<4: sched_yield()
            case 4..<40: usleep(20)
            case 40..<200: usleep(100)
            default: usleep(1000)
            }
            return true
        }
    }
}
