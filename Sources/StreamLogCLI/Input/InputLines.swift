import Foundation

/// Splits a file descriptor's bytes (standard input) into lines, with a timeout so a caller can
/// commit what it has when input pauses.
///
/// Lines end at `\n`; a line ending in `\r\n` loses both characters; an empty line is an empty
/// line; a last line without a newline is still a line. Lines may hold any bytes.
final class InputLines {
    /// What ``next(until:)`` found.
    enum Next {
        /// A complete line, without its line ending.
        case line(Data)
        /// No complete line arrived before the deadline.
        case timedOut
        /// The input has ended and every line was returned.
        case end
    }

    private let fileDescriptor: Int32
    private var pending: [UInt8] = []
    /// Start of the first line not returned yet.
    private var start = 0
    /// Bytes from `start` up to here are known to hold no newline.
    private var scanned = 0
    private var reachedEnd = false
    private var chunk = [UInt8](repeating: 0, count: 1 << 16)
    /// Bytes read so far.
    private(set) var bytesRead: Int64 = 0

    init(fileDescriptor: Int32 = STDIN_FILENO) {
        self.fileDescriptor = fileDescriptor
    }

    /// The next line, waiting for input at most until `deadline` (forever when `nil`).
    func next(until deadline: ContinuousClock.Instant?) throws -> Next {
        while true {
            if let newline = findNewline() {
                var end = newline
                if end > start && pending[end - 1] == 0x0D { end -= 1 }
                let line = Data(pending[start..<end])
                start = newline + 1
                scanned = start
                return .line(line)
            }
            if reachedEnd {
                guard start < pending.count else { return .end }
                let line = Data(pending[start...])
                start = pending.count
                scanned = start
                return .line(line)
            }
            if start > 0 {
                pending.removeSubrange(0..<start)
                scanned -= start
                start = 0
            }
            guard try waitForInput(until: deadline) else { return .timedOut }
            try readChunk()
        }
    }

    private func findNewline() -> Int? {
        guard scanned < pending.count else { return nil }
        let found: Int? = pending.withUnsafeBytes { bytes in
            let base = bytes.baseAddress! + scanned
            guard let hit = memchr(base, 0x0A, bytes.count - scanned) else { return nil }
            return UnsafeRawPointer(hit) - bytes.baseAddress!
        }
        if found == nil { scanned = pending.count }
        return found
    }

    /// Waits until input is readable; `false` when `deadline` passed first.
    private func waitForInput(until deadline: ContinuousClock.Instant?) throws -> Bool {
        guard let deadline else { return true }
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return false }
            let (seconds, attoseconds) = remaining.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var descriptor = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready > 0 { return true }
            if ready == 0 { continue }
            if errno != EINTR { throw CLIError("cannot wait for standard input: \(String(cString: strerror(errno)))") }
        }
    }

    private func readChunk() throws {
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fileDescriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                pending.append(contentsOf: chunk[0..<count])
                bytesRead += Int64(count)
                return
            }
            if count == 0 {
                reachedEnd = true
                return
            }
            if errno == EAGAIN {
                // A non-blocking descriptor inherited from the caller: wait until it has data.
                var descriptor = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
                _ = poll(&descriptor, 1, -1)
                continue
            }
            if errno != EINTR { throw CLIError("cannot read standard input: \(String(cString: strerror(errno)))") }
        }
    }
}
