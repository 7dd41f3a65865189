import Foundation
import StreamLog

/// Roles of the reliability suite (Tests/StreamLogTests/Reliability): workers that the crash
/// harness and the stress test kill with SIGKILL at random moments. Each one records what it did
/// in its own log file, one line per completed action, written with one `write(2)` and never
/// synced (a killed worker's last line may be partial; the harness ignores it). Returns `false`
/// for a role it does not know.
///
/// Log lines (every line ends with a newline; a new incarnation first writes an empty line):
/// - producer: `start PID`, `begin BATCH FIRST COUNT` before an append, `ok BATCH [LO HI]` after
///   it returned (LO…HI: the seqs, when the mode reports them);
/// - fan-out consumer: `start PID`, `recv SEQ PRODUCER INDEX`, `acked SEQ` after an explicit
///   acknowledgement returned, `end` at end of stream;
/// - group worker: `start PID`, `claim SEQ:ATTEMPT:TOKEN:PRODUCER:INDEX …`, `ack SEQ:TOKEN …`,
///   `nack SEQ:TOKEN`, `forget SEQ:TOKEN` (left to its lease to lapse), `stale SEQ:TOKEN` (an ack
///   refused because the lease had passed on), `end`.
func runReliabilityRole(_ role: String, _ arguments: [String]) throws -> Bool {
    switch role {
    case "crash-produce":
        // crash-produce DB TOPIC NAME LOG MODE SEED PAUSE_MS: appends numbered batches until killed.
        // MODE `append` uses LogDatabase.append (inline payloads), `stream` a StreamProducer
        // putting objects into the file's store. Indexes continue after the last one in LOG.
        try produceUntilKilled(
            path: arguments[1], topic: arguments[2], name: arguments[3], log: LineLog(path: arguments[4]),
            streaming: arguments[5] == "stream", seed: UInt64(arguments[6])!, pauseMilliseconds: Int(arguments[7])!)
    case "crash-fanout":
        // crash-fanout DB TOPIC CONSUMER LOG SEED: a durable consumer reading until end of stream,
        // acknowledging explicitly now and then.
        try consumeFanOut(
            path: arguments[1], topic: arguments[2], consumer: arguments[3], log: LineLog(path: arguments[4]),
            seed: UInt64(arguments[5])!)
    case "crash-group":
        // crash-group DB TOPIC GROUP MEMBER LOG LEASE_MS SEED: claims, works, acks (sometimes with
        // the next claim), nacks or lets leases lapse, until every event of the group is done.
        try workGroupUntilDone(
            path: arguments[1], topic: arguments[2], group: arguments[3], member: arguments[4],
            log: LineLog(path: arguments[5]), leaseMilliseconds: Int(arguments[6])!, seed: UInt64(arguments[7])!)
    default:
        return false
    }
    return true
}

// MARK: Producer

private func produceUntilKilled(
    path: String, topic: String, name: String, log: LineLog, streaming: Bool, seed: UInt64, pauseMilliseconds: Int
) throws {
    var random = SplitMix64(seed: seed)
    var (batch, index) = try resumePoint(log: log.path)
    log.write("start \(getpid())")
    let publisher = try SQLitePublisher(path: path)
    // Flushed explicitly after each batch; batches stay below the batch size.
    let producer = StreamProducer<String>(
        publisher: publisher, defaultStore: publisher.database.objects, options: .init(batchSize: 1000))
    while true {
        // Mostly small batches, now and then a large one (a longer transaction to be killed in).
        let roll = random.next(below: 100)
        let count = roll < 75 ? 1 + random.next(below: 4)
            : roll < 97 ? 5 + random.next(below: 20) : 25 + random.next(below: 100)
        // Mostly small objects, some of several pages, and a few either side of the 64 KiB row
        // limit of the object store (larger ones are stored in chunks).
        let sizeRoll = random.next(below: 100)
        let padding = sizeRoll < 80 ? random.next(below: 64)
            : sizeRoll < 97 ? 1 + random.next(below: 16_000) : 60_000 + random.next(below: 10_000)
        log.write("begin \(batch) \(index) \(count)")
        var events: [Event] = []
        for offset in 0..<count {
            let metadata: Metadata = ["p": .string(name), "i": .int(Int64(index + offset)), "b": .int(Int64(batch)),
                                      "n": .int(Int64(count))]
            let payload = "\(name):\(index + offset) " + String(repeating: "x", count: padding)
            if streaming {
                try producer.send(payload, to: topic, evict: false, metadata: metadata)
            } else {
                events.append(.inline(Data(payload.utf8), encoding: "utf8", metadata: metadata))
            }
        }
        if streaming {
            try producer.flush()
            log.write("ok \(batch)")
        } else {
            let seqs = try publisher.database.append(events, to: topic)!
            log.write("ok \(batch) \(seqs.lowerBound) \(seqs.upperBound)")
        }
        batch += 1
        index += count
        if pauseMilliseconds > 0 { usleep(UInt32(1000 * (1 + random.next(below: pauseMilliseconds)))) }
    }
}

/// The next batch number and index after the last `begin` line of a producer's log (a begun
/// batch may have been committed before the kill, so its numbers are never used again).
private func resumePoint(log path: String) throws -> (batch: Int, index: Int) {
    guard let data = FileManager.default.contents(atPath: path) else { return (0, 0) }
    var next = (batch: 0, index: 0)
    for line in completeLines(data) {
        let fields = line.split(separator: " ")
        if fields.count == 4, fields[0] == "begin", let batch = Int(fields[1]), let first = Int(fields[2]),
           let count = Int(fields[3]) {
            next = (batch + 1, first + count)
        }
    }
    return next
}

// MARK: Fan-out consumer

private func consumeFanOut(path: String, topic: String, consumer name: String, log: LineLog, seed: UInt64) throws {
    var random = SplitMix64(seed: seed)
    log.write("start \(getpid())")
    let subscriber = try SQLiteSubscriber(
        path: path, topics: [topic], consumer: name, pageSize: 1 + random.next(below: 100),
        acknowledgementBatch: 1 + random.next(below: 64))
    let consumer = StreamConsumer<String>(subscriber: subscriber)
    while let delivery = try consumer.nextDelivery() {
        guard case .string(let producer) = delivery.metadata["p"], case .int(let index) = delivery.metadata["i"] else {
            throw WorkerError("event \(delivery.seq) has no producer metadata")
        }
        log.write("recv \(delivery.seq) \(producer) \(index)")
        switch random.next(below: 100) {
        case 0..<8:
            try consumer.acknowledge()
            log.write("acked \(delivery.seq)")
        case 8..<12:
            usleep(UInt32(200 + random.next(below: 1500)))  // work: a window to be killed in before the ack
        default:
            break
        }
    }
    try consumer.close()
    log.write("end")
}

// MARK: Group worker

private func workGroupUntilDone(
    path: String, topic: String, group: String, member: String, log: LineLog, leaseMilliseconds: Int, seed: UInt64
) throws {
    let lease = Duration.milliseconds(leaseMilliseconds)
    var random = SplitMix64(seed: seed)
    log.write("start \(getpid())")
    let db = try LogDatabase(path: path)
    var piggyback: [LogDatabase.Delivery] = []
    var endSeq: Int64?
    while true {
        if let endSeq, let position = try db.groupPosition(group: group, topic: topic), position >= endSeq - 1 {
            // Everything is done, yet this worker may still hold deliveries it meant to ack with
            // its next claim: their leases lapsed (a slow delivery, a loaded machine) and another
            // member acked them. Ack them now; each ack is refused and logged as stale. Ending
            // without would leave them unaccounted for in the log (CI failed on it, 2026-12-01).
            try ackOneByOne(piggyback, db: db, log: log)
            log.write("end")
            return
        }
        let deliveries: [LogDatabase.Delivery]
        do {
            deliveries = try db.claim(
                group: group, topic: topic, member: member, limit: 1 + random.next(below: 8), lease: lease,
                acking: piggyback.map(\.receipt))
            if !piggyback.isEmpty { log.write("ack " + piggyback.map(receiptField).joined(separator: " ")) }
        } catch let error as StreamLogError where error.code == .staleReceipt {
            try ackOneByOne(piggyback, db: db, log: log)
            piggyback = []
            continue
        }
        piggyback = []
        let work = deliveries.filter { !$0.isEndOfStream }
        if let end = deliveries.last, end.isEndOfStream { endSeq = end.event.seq }
        if work.isEmpty {
            usleep(1000)
            continue
        }
        log.write("claim " + work.map(claimField).joined(separator: " "))
        var done: [LogDatabase.Delivery] = []
        for delivery in work {
            switch random.next(below: 1000) {
            case 0..<50:
                do {
                    try db.nack(delivery.receipt)
                    log.write("nack \(receiptField(delivery))")
                } catch let error as StreamLogError where error.code == .staleReceipt {
                    log.write("stale \(receiptField(delivery))")  // an earlier delivery of the batch was too slow
                }
                continue
            case 50..<60:
                log.write("forget \(receiptField(delivery))")
                continue  // the lease lapses and the event goes to a member again
            case 60..<62:
                usleep(UInt32(leaseMilliseconds * 1000 + 20_000))  // too slow: the ack will be stale
            case 62..<300:
                usleep(UInt32(100 + random.next(below: 1500)))  // work: a window to be killed in before the ack
            default:
                break
            }
            done.append(delivery)
        }
        if random.next(below: 3) == 0 {
            piggyback = done  // acked with the next claim, in its transaction
        } else if !done.isEmpty {
            do {
                try db.ack(done.map(\.receipt))
                log.write("ack " + done.map(receiptField).joined(separator: " "))
            } catch let error as StreamLogError where error.code == .staleReceipt {
                try ackOneByOne(done, db: db, log: log)
            }
        }
    }
}

private func ackOneByOne(_ deliveries: [LogDatabase.Delivery], db: LogDatabase, log: LineLog) throws {
    for delivery in deliveries {
        do {
            try db.ack(delivery.receipt)
            log.write("ack \(receiptField(delivery))")
        } catch let error as StreamLogError where error.code == .staleReceipt {
            log.write("stale \(receiptField(delivery))")
        }
    }
}

private func receiptField(_ delivery: LogDatabase.Delivery) -> String {
    "\(delivery.event.seq):\(delivery.receipt.token)"
}

private func claimField(_ delivery: LogDatabase.Delivery) -> String {
    let producer: String
    if case .string(let name) = delivery.event.metadata["p"] { producer = name } else { producer = "?" }
    let index: String
    if case .int(let value) = delivery.event.metadata["i"] { index = String(value) } else { index = "?" }
    return "\(delivery.event.seq):\(delivery.attempt):\(delivery.receipt.token):\(producer):\(index)"
}

// MARK: Support

/// An append-only log of lines, each written with one `write(2)` and never synced: what a worker
/// did survives its own SIGKILL (the kernel has the bytes), not a power loss.
final class LineLog {
    let path: String
    private let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw WorkerError("cannot open log \(path): errno \(errno)") }
        // The previous incarnation may have been killed in the middle of a line: start a new one.
        write("")
    }

    deinit { close(descriptor) }

    /// Appends `line` and a newline in one write.
    func write(_ line: String) {
        var bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeMutableBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
    }
}

/// The complete (newline-terminated) lines of a log; a partial last line is dropped.
func completeLines(_ data: Data) -> [Substring] {
    let text = String(decoding: data, as: UTF8.self)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    lines.removeLast()  // after the last newline: empty, or a line cut short by a kill
    return lines.filter { !$0.isEmpty }
}

/// A small seeded generator (SplitMix64), so a worker's choices are reproducible from its seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound`.
    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
