import Foundation

/// A progress line on standard error for long work, drawn only when standard error is a terminal
/// (never in pipes, files or CI logs) and erased when the work ends.
///
/// ```swift
/// let progress = ProgressBar(label: "replay", total: 1_000_000)
/// for … { progress.update(done) }
/// progress.finish()
/// ```
///
/// `@unchecked Sendable`: every mutable field is guarded by `lock`, because ``spinner(label:)``
/// redraws from a background thread.
final class ProgressBar: @unchecked Sendable {
    /// What the counts are.
    enum Unit {
        case events
        case bytes
    }

    private let label: String
    private let total: Int64?
    private let unit: Unit
    private let enabled: Bool
    private let lock = NSLock()
    private var completed: Int64 = 0
    private var lastDraw = ContinuousClock.now
    private var drawn = false
    private var finished = false
    private var frame = 0
    private var calls = 0

    /// A bar for `total` units of work (`nil`: unknown, show a count and a spinner).
    init(label: String, total: Int64?, unit: Unit = .events, enabled: Bool = ProgressBar.standardErrorIsTerminal) {
        self.label = label
        self.total = total.map { max($0, 0) }
        self.unit = unit
        self.enabled = enabled
    }

    /// Whether standard error is a terminal.
    static var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// An indeterminate bar redrawn by a background thread until ``finish()``: for work done in
    /// one call that reports no progress (a trim or a garbage collection in one transaction).
    static func spinner(label: String) -> ProgressBar {
        let bar = ProgressBar(label: label, total: nil)
        guard bar.enabled else { return bar }
        Thread.detachNewThread {
            while bar.tick() { Thread.sleep(forTimeInterval: 0.1) }
        }
        return bar
    }

    /// Records that `completed` units are done; redraws at most ten times a second.
    func update(_ completed: Int64) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        self.completed = completed
        calls &+= 1
        // Reading the clock on every call would cost more than the work in fast loops.
        guard calls & 255 == 0 || !drawn else { return }
        let now = ContinuousClock.now
        guard !drawn || now - lastDraw >= .milliseconds(100) else { return }
        lastDraw = now
        draw()
    }

    /// Erases the line. Later updates draw nothing; finishing again does nothing.
    func finish() {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        finished = true
        if drawn { Self.writeToStandardError("\r\u{1B}[2K") }
    }

    /// Redraws from the spinner thread; `false` once finished.
    private func tick() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return false }
        draw()
        return true
    }

    /// Draws the line; called with `lock` held.
    private func draw() {
        guard !finished else { return }
        drawn = true
        frame += 1
        var line = "\r\u{1B}[2K\(label) "
        if let total, total > 0 {
            let fraction = min(Double(completed) / Double(total), 1)
            let width = 30
            let filled = Int(fraction * Double(width))
            line += "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
            line += "\(Int(fraction * 100))% \(format(completed))/\(format(total))"
        } else {
            let spinner = ["|", "/", "-", "\\"][frame % 4]
            line += completed > 0 ? "\(spinner) \(format(completed))" : spinner
        }
        Self.writeToStandardError(line)
    }

    private func format(_ count: Int64) -> String {
        switch unit {
        case .events: return "\(count)"
        case .bytes: return ByteCount.format(count)
        }
    }

    private static func writeToStandardError(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}

/// Byte counts for people: `512 B`, `1.5 KiB`, `20.0 MiB`.
enum ByteCount {
    static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while abs(value) >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
