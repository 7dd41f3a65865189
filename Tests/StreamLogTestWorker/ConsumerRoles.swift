import Foundation
import StreamLog

/// Durable-consumer and group roles: workers that ack, workers that block between receive and
/// ack (to be killed), and benchmark loops. Returns `false` for a role it does not know.
func runConsumerRole(_ role: String, _ arguments: [String]) throws -> Bool {
    switch role {
    case "close":
        // close DB TOPIC: appends the end-of-stream event.
        try LogDatabase(path: arguments[1]).closeTopic(arguments[2])
    case "group-work":
        // group-work DB TOPIC GROUP MEMBER BATCH: claims BATCH at a time and acks until end of
        // stream; after each committed ack prints "acked SEQ SEQ …", then "end".
        let db = try LogDatabase(path: arguments[1])
        try workGroup(db, topic: arguments[2], group: arguments[3], member: arguments[4], batch: Int(arguments[5])!) {
            seqs in emit("acked " + seqs.map(String.init).joined(separator: " "))
        }
        emit("end")
    case "group-claim-block":
        // group-claim-block DB TOPIC GROUP MEMBER COUNT LEASE_MS MARKER: claims COUNT events,
        // acks the first, writes "acked SEQ holding SEQ…" to MARKER, then blocks until killed.
        let db = try LogDatabase(path: arguments[1])
        let deliveries = try db.claim(
            group: arguments[3], topic: arguments[2], member: arguments[4], limit: Int(arguments[5])!,
            lease: .milliseconds(Int(arguments[6])!))
        guard let first = deliveries.first else { throw WorkerError("nothing to claim") }
        try db.ack(first.receipt)
        let held = deliveries.dropFirst().map { String($0.event.seq) }.joined(separator: " ")
        try writeMarker(arguments[7], "acked \(first.event.seq) holding \(held)")
        blockForever()
    case "consumer-read-block":
        // consumer-read-block DB TOPIC CONSUMER MARKER: reads one event as the named consumer and
        // acknowledges it, reads the next one, writes "acked SEQ received SEQ" to MARKER, blocks.
        let db = try LogDatabase(path: arguments[1])
        let topic = arguments[2], consumer = arguments[3]
        guard let first = try db.read(topic: topic, consumer: consumer, limit: 1).first else {
            throw WorkerError("nothing to read")
        }
        guard let second = try db.read(topic: topic, consumer: consumer, limit: 1, acknowledging: first.seq).first else {
            throw WorkerError("only one event to read")
        }
        try writeMarker(arguments[4], "acked \(first.seq) received \(second.seq)")
        blockForever()
    case "bench-group":
        // bench-group DB TOPIC GROUP MEMBER BATCH [piggyback]: claim+ack until end of stream, then
        // prints "MEMBER JOBS SECONDS". With "piggyback", each claim acks the previous batch
        // (one transaction per batch instead of two).
        let db = try LogDatabase(path: arguments[1])
        var jobs = 0
        let clock = ContinuousClock()
        let start = clock.now
        try workGroup(
            db, topic: arguments[2], group: arguments[3], member: arguments[4], batch: Int(arguments[5])!,
            piggyback: arguments.count > 6 && arguments[6] == "piggyback"
        ) { jobs += $0.count }
        let elapsed = clock.now - start
        emit("\(arguments[4]) \(jobs) \(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)")
    case "bench-lag":
        // bench-lag DB TOPIC CONSUMER REPEAT: prints the lag and the microseconds per lag query.
        let db = try LogDatabase(path: arguments[1])
        let repeats = Int(arguments[4])!
        let clock = ContinuousClock()
        let start = clock.now
        var lag: LogDatabase.Lag?
        for _ in 0..<repeats { lag = try db.lag(consumer: arguments[3], topic: arguments[2]) }
        let elapsed = clock.now - start
        let micros = (Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12)
        emit("lag \(lag?.events ?? -1) \(micros / Double(repeats)) us/query")
    default:
        return false
    }
    return true
}

/// Claims `batch` at a time and acks each batch in one call — or, with `piggyback`, with the next
/// claim — reporting its seqs after the commit, until the end-of-stream delivery. Polls every
/// millisecond while nothing is due.
private func workGroup(
    _ db: LogDatabase, topic: String, group: String, member: String, batch: Int, piggyback: Bool = false,
    acked: ([Int64]) -> Void
) throws {
    var pending: [LogDatabase.Delivery] = []
    while true {
        let deliveries = try db.claim(group: group, topic: topic, member: member, limit: batch, acking: pending.map(\.receipt))
        if !pending.isEmpty { acked(pending.map(\.event.seq)) }
        pending = []
        if deliveries.isEmpty {
            usleep(1000)
            continue
        }
        let objects = deliveries.filter { !$0.isEndOfStream }
        let last = deliveries.last?.isEndOfStream == true
        if piggyback && !last {
            pending = objects
        } else if !objects.isEmpty {
            if objects.count == 1 { try db.ack(objects[0].receipt) } else { try db.ack(objects.map(\.receipt)) }
            acked(objects.map(\.event.seq))
        }
        if last { return }
    }
}

private func writeMarker(_ path: String, _ text: String) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path + ".tmp"))
    try FileManager.default.moveItem(atPath: path + ".tmp", toPath: path)  // appears whole
}

private func blockForever() -> Never {
    while true { sleep(3600) }
}

struct WorkerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
