import Foundation
import StreamLogCSQLite

/// SQLite's busy handler, with fine-grained waits.
///
/// `sqlite3_busy_timeout` sleeps 1, 2, 5, 10 … 100 ms between attempts, so a writer that finds
/// the lock taken for 50 µs can lose whole milliseconds; with producers and consumers committing
/// thousands of times a second that dominates. This handler yields, then sleeps 20 µs, growing
/// to 1 ms, and gives up (SQLITE_BUSY, reported as `.busyTimeout`) once the timeout has passed.
enum BusyHandler {
    /// Installs the handler on `handle`, giving up after `timeout`.
    static func install(on handle: OpaquePointer, timeout: Duration) {
        let context = Unmanaged.passRetained(Deadline(timeout: timeout)).toOpaque()
        sqlite3_busy_handler(handle, { context, attempt in
            let deadline = Unmanaged<Deadline>.fromOpaque(context!).takeUnretainedValue()
            return deadline.wait(attempt: Int(attempt)) ? 1 : 0
        }, context)
        contexts.withLock { $0[UInt(bitPattern: handle)] = context }
    }

    /// Releases the context of `handle`'s handler (after the connection is closed).
    static func remove(from handle: OpaquePointer) {
        if let context = contexts.withLock({ $0.removeValue(forKey: UInt(bitPattern: handle)) }) {
            Unmanaged<Deadline>.fromOpaque(context).release()
        }
    }

    /// The handlers' contexts by connection, so they can be released when the connection closes.
    private static let contexts = LockedDictionary()

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

/// A dictionary behind a lock (for process-wide registries).
final class LockedDictionary: @unchecked Sendable {
    // @unchecked: `storage` is only touched under `lock`.
    private let lock = NSLock()
    private var storage: [UInt: UnsafeMutableRawPointer] = [:]

    func withLock<R>(_ body: (inout [UInt: UnsafeMutableRawPointer]) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&storage)
    }
}
