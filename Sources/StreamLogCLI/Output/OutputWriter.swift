import ArgumentParser
import Foundation

/// Buffered output to a file descriptor (standard output by default), written in large pieces.
///
/// Text is appended to an in-memory buffer and written with `write(2)` once it holds
/// ``flushThreshold`` bytes, and on ``flush()``. When the reader has gone away (`EPIPE`, as in
/// `streamlog replay t | head -1`) it throws `ExitCode.success`: the command ends quietly with
/// status 0. Any other write failure is an error naming the problem.
///
/// Not `Sendable`: one command uses it from one thread.
final class OutputWriter {
    /// Bytes buffered before a write.
    static let flushThreshold = 1 << 17

    /// The pending bytes. Appended to directly by the formatting helpers.
    var buffer: [UInt8] = []
    private let fileDescriptor: Int32

    init(fileDescriptor: Int32 = STDOUT_FILENO) {
        self.fileDescriptor = fileDescriptor
        buffer.reserveCapacity(Self.flushThreshold + (Self.flushThreshold >> 2))
    }

    /// Whether the descriptor is a terminal.
    var isTerminal: Bool { isatty(fileDescriptor) == 1 }

    /// Appends text.
    func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
    }

    /// Appends a line of text and its newline.
    func writeLine(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        buffer.append(0x0A)
    }

    /// Whether the buffer holds enough to be written out.
    var isFull: Bool { buffer.count >= Self.flushThreshold }

    /// Writes the buffer out once it is large enough.
    @inline(__always)
    func flushIfFull() throws {
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    /// Writes everything buffered.
    func flush() throws {
        guard !buffer.isEmpty else { return }
        defer { buffer.removeAll(keepingCapacity: true) }
        try buffer.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Foundation.write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written >= 0 {
                    offset += written
                    continue
                }
                switch errno {
                case EINTR:
                    continue
                case EAGAIN:
                    // A non-blocking descriptor inherited from the caller: wait until it drains.
                    var waiting = pollfd(fd: fileDescriptor, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&waiting, 1, -1)
                case EPIPE, EBADF:
                    // The reader is gone (or stdout was closed): nothing more to say to anyone.
                    throw ExitCode.success
                default:
                    throw CLIError("cannot write to standard output: \(String(cString: strerror(errno)))")
                }
            }
        }
    }
}
