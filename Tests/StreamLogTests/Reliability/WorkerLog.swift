import Foundation
import StreamLogTestSupport

/// Reads a worker's log (see Tests/StreamLogTestWorker/ReliabilityRoles.swift) incrementally:
/// each call returns the complete lines written since the last call and skips a partial last
/// line, which only a killed worker leaves (the next incarnation starts a new line).
///
/// Call ``readNewLines()`` only while the worker is not running, so that a line in progress is
/// never mistaken for a partial one.
final class WorkerLog {
    let path: String
    private var offset: UInt64 = 0
    /// How many partial lines (killed mid-write) were skipped.
    private(set) var partialLines = 0

    init(path: String) { self.path = path }

    /// The last complete line written so far (while the worker may still be writing): for
    /// killing a worker at a chosen point, such as just after it logged `begin`.
    func lastCompleteLine() -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd(), size > offset else { return nil }
        try? handle.seek(toOffset: max(offset, size >= 512 ? size - 512 : 0))
        guard let data = try? handle.readToEnd() else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let end = text.lastIndex(of: "\n") else { return nil }
        let line = text[..<end].split(separator: "\n").last
        return line.map(String.init)
    }

    func readNewLines() throws -> [Substring] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        let data = try handle.readToEnd() ?? Data()
        offset += UInt64(data.count)
        let text = String(decoding: data, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if let last = lines.popLast(), !last.isEmpty { partialLines += 1 }
        return lines.filter { !$0.isEmpty }
    }
}

/// One parsed line of a worker log.
enum WorkerLogLine: Equatable {
    case start
    case begin(batch: Int, first: Int, count: Int)
    case ok(batch: Int, seqs: ClosedRange<Int64>?)
    case received(seq: Int64, producer: String, index: Int)
    case acknowledged(seq: Int64)
    case claimed([Claim])
    case acked([Int64: Int64])
    case nacked(seq: Int64, token: Int64)
    case forgotten(seq: Int64, token: Int64)
    case stale(seq: Int64, token: Int64)
    case end

    struct Claim: Equatable {
        var seq: Int64
        var attempt: Int
        var token: Int64
        var producer: String
        var index: Int
    }

    /// Parses a line, or `nil` when it is not one the workers write.
    init?(_ line: Substring) {
        let fields = line.split(separator: " ")
        guard let kind = fields.first else { return nil }
        let numbers = fields.dropFirst().map { Int64($0) }
        switch (kind, fields.count) {
        case ("start", 2): self = .start
        case ("end", 1): self = .end
        case ("begin", 4):
            guard let batch = numbers[0], let first = numbers[1], let count = numbers[2] else { return nil }
            self = .begin(batch: Int(batch), first: Int(first), count: Int(count))
        case ("ok", 2):
            guard let batch = numbers[0] else { return nil }
            self = .ok(batch: Int(batch), seqs: nil)
        case ("ok", 4):
            guard let batch = numbers[0], let low = numbers[1], let high = numbers[2], low <= high else { return nil }
            self = .ok(batch: Int(batch), seqs: low...high)
        case ("recv", 4):
            guard let seq = numbers[0], let index = numbers[2] else { return nil }
            self = .received(seq: seq, producer: String(fields[2]), index: Int(index))
        case ("acked", 2):
            guard let seq = numbers[0] else { return nil }
            self = .acknowledged(seq: seq)
        case ("claim", 2...):
            var claims: [Claim] = []
            for field in fields.dropFirst() {
                let parts = field.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count == 5, let seq = Int64(parts[0]), let attempt = Int(parts[1]), let token = Int64(parts[2]),
                      let index = Int(parts[4]) else { return nil }
                claims.append(Claim(seq: seq, attempt: attempt, token: token, producer: String(parts[3]), index: index))
            }
            self = .claimed(claims)
        case ("ack", 2...):
            var receipts: [Int64: Int64] = [:]
            for field in fields.dropFirst() {
                guard let (seq, token) = Self.receipt(field) else { return nil }
                receipts[seq] = token
            }
            self = .acked(receipts)
        case ("nack", 2):
            guard let (seq, token) = Self.receipt(fields[1]) else { return nil }
            self = .nacked(seq: seq, token: token)
        case ("forget", 2):
            guard let (seq, token) = Self.receipt(fields[1]) else { return nil }
            self = .forgotten(seq: seq, token: token)
        case ("stale", 2):
            guard let (seq, token) = Self.receipt(fields[1]) else { return nil }
            self = .stale(seq: seq, token: token)
        default:
            return nil
        }
    }

    private static func receipt(_ field: Substring) -> (Int64, Int64)? {
        let parts = field.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let seq = Int64(parts[0]), let token = Int64(parts[1]) else { return nil }
        return (seq, token)
    }
}
