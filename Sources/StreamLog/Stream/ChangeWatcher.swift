import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Waits, cheaply, until another connection may have committed to a database file.
///
/// On Linux it watches the file's directory with inotify: a commit writes the `-wal` file, which
/// wakes the waiter within microseconds at no idle CPU cost. Watching the directory (not the
/// `-wal` file itself) survives SQLite deleting and re-creating the WAL. A wakeup is only a hint —
/// the write may precede the commit becoming visible — so callers re-check by reading, and
/// ``wait(timeout:)`` also returns after a safety-net interval. Elsewhere it falls back to
/// polling at a short interval.
final class ChangeWatcher {
    private let walName: String
    #if os(Linux)
    private let descriptor: Int32
    private var buffer = [UInt8](repeating: 0, count: 4096)
    #endif

    init(databasePath: String) {
        let url = URL(fileURLWithPath: databasePath).standardizedFileURL
        walName = url.lastPathComponent + "-wal"
        #if os(Linux)
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if descriptor >= 0 {
            let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE)
            if inotify_add_watch(descriptor, url.deletingLastPathComponent().path, mask) < 0 {
                close(descriptor)
            }
        }
        #endif
    }

    deinit {
        #if os(Linux)
        if descriptor >= 0 { close(descriptor) }
        #endif
    }

    /// Blocks until the WAL was written to or `timeout` passed. Returns `true` on a wakeup.
    @discardableResult
    func wait(timeout: Duration) -> Bool {
        #if os(Linux)
        if descriptor >= 0 {
            var pollDescriptor = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(clamping: max(timeout.milliseconds, timeout > .zero ? 1 : 0))
            let ready = poll(&pollDescriptor, 1, milliseconds)
            return ready > 0 && drainMatchingEvents()
        }
        #endif
        Thread.sleep(forTimeInterval: min(Double(timeout.milliseconds) / 1000, 0.001))
        return false
    }

    #if os(Linux)
    /// Reads every queued event; returns whether one concerned the WAL (events coalesce, so they
    /// are never counted as commits).
    private func drainMatchingEvents() -> Bool {
        var matched = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            buffer.withUnsafeBytes { raw in
                var offset = 0
                while offset + MemoryLayout<inotify_event>.size <= count {
                    let nameLength = Int(raw.load(fromByteOffset: offset + 12, as: UInt32.self))
                    let nameStart = offset + MemoryLayout<inotify_event>.size
                    if nameLength > 0 {
                        let nameBytes = UnsafeRawBufferPointer(rebasing: raw[nameStart..<nameStart + nameLength])
                        let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                        if name == walName { matched = true }
                    }
                    offset = nameStart + nameLength
                }
            }
        }
        return matched
    }
    #endif
}
