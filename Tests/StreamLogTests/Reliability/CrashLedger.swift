import Foundation
@testable import StreamLog
import StreamLogTestSupport

/// What the database file and the workers' logs say, checked against the crash harness's
/// invariants. Fed incrementally, one round at a time, while no worker runs; every broken
/// invariant becomes a line in ``violations``.
///
/// Invariants (issue 6):
/// - every batch whose append returned (`ok` logged) is in the file, with the seqs it was given;
/// - no seq twice, no object twice, nothing in the file that no producer began to append;
/// - batches whole (all their events, on consecutive seqs) or absent;
/// - per-producer order: a producer's indexes increase with seq;
/// - fan-out: a consumer never receives an event at or below a position it acknowledged, and in
///   the end has received every event at least once;
/// - group: one event is never delivered twice with the same attempt number, no receipt token is
///   given twice, an event is acked at most once, and never delivered again after that ack (the
///   acked delivery is its last); in the end every event is done.
final class CrashLedger {
    struct BatchKey: Hashable, CustomStringConvertible {
        var producer: String
        var batch: Int
        var description: String { "batch \(batch) of \(producer)" }
    }

    struct StoredEvent {
        var producer: String
        var index: Int
        var batch: Int
        var count: Int
    }

    private struct BatchInFile {
        var firstSeq: Int64
        var lastSeq: Int64
        var firstIndex: Int
        var events: Int
        var count: Int
    }

    private struct FanOut {
        var acknowledged: Int64 = 0
        var lastReceived: Int64 = 0
        var received: Set<Int64> = []
    }

    private(set) var violations: [String] = []
    private(set) var events: [Int64: StoredEvent] = [:]
    private var lastSeq: Int64 = 0
    private var endOfStream: Int64?
    private var objectsByProducer: [String: Set<Int>] = [:]
    private var lastIndexByProducer: [String: Int] = [:]
    private var batchesInFile: [BatchKey: BatchInFile] = [:]
    private var begun: [BatchKey: (first: Int, count: Int)] = [:]
    private var confirmed: [BatchKey: ClosedRange<Int64>?] = [:]
    private var fanOuts: [String: FanOut] = [:]
    private var claims: [Int64: [Int: Int64]] = [:]
    private var tokens: Set<Int64> = []
    private var acked: [Int64: Int64] = [:]

    /// Batches begun whose append may or may not have committed before the kill, and how many of
    /// them did: the kills that landed inside an append.
    private(set) var unconfirmedBatches = 0
    private(set) var unconfirmedBatchesCommitted = 0
    /// Events a fan-out consumer received more than once (after a restart: at-least-once).
    private(set) var fanOutRedeliveries = 0
    /// Group deliveries beyond the first of an event (lapsed leases, nacks, kills).
    var groupRedeliveries: Int { claims.values.map { $0.count - 1 }.reduce(0, +) }
    /// Events acked by a group worker and logged.
    var groupAcks: Int { acked.count }

    /// Group workers killed holding a delivery they had logged and not yet acked or given back:
    /// the kills that landed between receive and ack.
    private(set) var groupKillsHoldingLeases = 0

    private func fail(_ message: String) {
        if violations.count < 200 { violations.append(message) }
    }

    /// Records a violation found outside the ledger (integrity checks).
    func record(violation message: String) { fail(message) }

    // MARK: Logs

    func recordProducer(_ name: String, lines: [Substring]) {
        var open: BatchKey?
        for line in lines {
            guard let entry = WorkerLogLine(line) else { fail("\(name): unreadable log line \(line.debugDescription)"); continue }
            switch entry {
            case .start:
                if open != nil { unconfirmedBatches += 1 }
                open = nil
            case .begin(let batch, let first, let count):
                if open != nil { fail("\(name): batch begun while \(open!) was open") }
                let key = BatchKey(producer: name, batch: batch)
                if begun[key] != nil { fail("\(name): \(key) begun twice") }
                begun[key] = (first, count)
                open = key
            case .ok(let batch, let seqs):
                let key = BatchKey(producer: name, batch: batch)
                if open != key { fail("\(name): \(key) confirmed but not the open batch") }
                confirmed[key] = seqs
                open = nil
            default:
                fail("\(name): unexpected producer log line \(line.debugDescription)")
            }
        }
        // Logs are read after each worker is killed: a batch still open was cut by the kill.
        if open != nil { unconfirmedBatches += 1 }
    }

    func recordFanOut(_ name: String, lines: [Substring]) {
        var state = fanOuts[name, default: FanOut()]
        defer { fanOuts[name] = state }
        for line in lines {
            guard let entry = WorkerLogLine(line) else { fail("\(name): unreadable log line \(line.debugDescription)"); continue }
            switch entry {
            case .start:
                state.lastReceived = 0
            case .received(let seq, let producer, let index):
                if seq <= state.acknowledged {
                    fail("\(name) received event \(seq) again after acknowledging through \(state.acknowledged)")
                }
                if seq <= state.lastReceived {
                    fail("\(name) received event \(seq) after \(state.lastReceived) in one run (out of order)")
                }
                state.lastReceived = seq
                if !state.received.insert(seq).inserted { fanOutRedeliveries += 1 }
                expectEvent(seq, producer: producer, index: index, by: name)
            case .acknowledged(let seq):
                if seq != state.lastReceived { fail("\(name) acknowledged \(seq) but last received \(state.lastReceived)") }
                state.acknowledged = max(state.acknowledged, seq)
            case .end:
                break
            default:
                fail("\(name): unexpected fan-out log line \(line.debugDescription)")
            }
        }
    }

    func recordGroupWorker(_ name: String, lines: [Substring]) {
        var outstanding: [Int64: Int64] = [:]  // seq -> token of this run's unfinished claims
        var ended = false
        for line in lines {
            guard let entry = WorkerLogLine(line) else { fail("\(name): unreadable log line \(line.debugDescription)"); continue }
            switch entry {
            case .start:
                if !outstanding.isEmpty { groupKillsHoldingLeases += 1 }
                outstanding = [:]
            case .claimed(let deliveries):
                for claim in deliveries {
                    if claims[claim.seq]?[claim.attempt] != nil {
                        fail("event \(claim.seq) delivered twice as attempt \(claim.attempt) (again to \(name))")
                    }
                    if !tokens.insert(claim.token).inserted { fail("receipt token \(claim.token) given twice") }
                    claims[claim.seq, default: [:]][claim.attempt] = claim.token
                    outstanding[claim.seq] = claim.token
                    expectEvent(claim.seq, producer: claim.producer, index: claim.index, by: name)
                }
            case .acked(let receipts):
                for (seq, token) in receipts {
                    if outstanding[seq] != token { fail("\(name) acked event \(seq) with a token it was not given") }
                    if let earlier = acked[seq] { fail("event \(seq) acked twice (tokens \(earlier) and \(token))") }
                    acked[seq] = token
                    outstanding[seq] = nil
                }
            case .nacked(let seq, let token), .forgotten(let seq, let token), .stale(let seq, let token):
                if outstanding[seq] != token { fail("\(name) gave back event \(seq) with a token it was not given") }
                outstanding[seq] = nil
            case .end:
                ended = true
                if !outstanding.isEmpty { fail("\(name) ended holding \(outstanding.keys.sorted())") }
            default:
                fail("\(name): unexpected group log line \(line.debugDescription)")
            }
        }
        if !ended && !outstanding.isEmpty { groupKillsHoldingLeases += 1 }
    }

    private func expectEvent(_ seq: Int64, producer: String, index: Int, by worker: String) {
        guard let event = events[seq] else {
            fail("\(worker) got event \(seq), which is not in the file")
            return
        }
        if event.producer != producer || event.index != index {
            fail("\(worker) got event \(seq) as \(producer):\(index) but the file has \(event.producer):\(event.index)")
        }
    }

    // MARK: The file

    /// Reads every event of `topic` (new ones in full, known ones by seq), then checks the
    /// invariants that involve the file. Call after the producer logs of the round are recorded
    /// and before the consumer logs are.
    func readFile(_ db: LogDatabase, topic: String) throws {
        guard try db.topicExists(topic) else {
            if !confirmed.isEmpty { fail("topic \(topic) is missing but \(confirmed.count) batches were confirmed") }
            return
        }
        var present = 0
        var fresh: [Event] = []
        try db.forEachEventRow(topic: topic) { row in
            if row.seq <= lastSeq {
                if events[row.seq] != nil || row.seq == endOfStream { present += 1 } else {
                    fail("event \(row.seq) appeared below seqs read before")
                }
            } else {
                fresh.append(try row.event())
            }
            return true
        }
        let known = events.count + (endOfStream == nil ? 0 : 1)
        if present != known { fail("\(known - present) events read in earlier rounds are gone") }
        var touched: Set<BatchKey> = []
        for event in fresh {
            if event.seq <= lastSeq { fail("seq \(event.seq) read twice") }
            lastSeq = max(lastSeq, event.seq)
            if event.isEndOfStream {
                endOfStream = event.seq
                continue
            }
            if endOfStream != nil { fail("event \(event.seq) follows the end of stream") }
            guard case .string(let producer) = event.metadata["p"], case .int(let index) = event.metadata["i"],
                  case .int(let batch) = event.metadata["b"], case .int(let count) = event.metadata["n"] else {
                fail("event \(event.seq) lacks the producer metadata: \(event.metadata)")
                continue
            }
            let stored = StoredEvent(producer: producer, index: Int(index), batch: Int(batch), count: Int(count))
            events[event.seq] = stored
            try checkPayload(event, stored, db: db)
            if !objectsByProducer[producer, default: []].insert(stored.index).inserted {
                fail("\(producer):\(index) is in the file twice (again at seq \(event.seq))")
            }
            if let last = lastIndexByProducer[producer], stored.index <= last {
                fail("\(producer):\(index) at seq \(event.seq) comes after \(producer):\(last): order broken")
            }
            lastIndexByProducer[producer] = stored.index
            let key = BatchKey(producer: producer, batch: stored.batch)
            guard let begin = begun[key] else {
                fail("event \(event.seq) belongs to \(key), which its producer never began")
                continue
            }
            if begin.count != stored.count { fail("event \(event.seq) says \(key) has \(count) events; the log says \(begin.count)") }
            if var found = batchesInFile[key] {
                if event.seq != found.lastSeq + 1 || stored.index != found.firstIndex + found.events {
                    fail("\(key) is split: event \(event.seq) (\(producer):\(index)) does not follow seq \(found.lastSeq)")
                }
                found.lastSeq = event.seq
                found.events += 1
                batchesInFile[key] = found
            } else {
                if stored.index != begin.first { fail("\(key) starts at \(producer):\(index), not \(begin.first)") }
                batchesInFile[key] = BatchInFile(
                    firstSeq: event.seq, lastSeq: event.seq, firstIndex: stored.index, events: 1, count: stored.count)
            }
            touched.insert(key)
        }
        for key in touched {
            if let found = batchesInFile[key], found.events != found.count {
                fail("\(key) is not whole: \(found.events) of its \(found.count) events are in the file")
            }
        }
        for (key, seqs) in confirmed {
            guard let found = batchesInFile[key] else {
                fail("\(key) was confirmed by its producer but is not in the file")
                continue
            }
            if let seqs, seqs != found.firstSeq...found.lastSeq {
                fail("\(key) was given seqs \(seqs) but holds \(found.firstSeq)...\(found.lastSeq)")
            }
        }
        unconfirmedBatchesCommitted = begun.keys.filter { confirmed[$0] == nil && batchesInFile[$0] != nil }.count
    }

    private func checkPayload(_ event: Event, _ stored: StoredEvent, db: LogDatabase) throws {
        let data: Data
        if let payload = event.payload {
            data = payload
        } else if let key = event.key {
            data = try db.objects.get(key).data
        } else {
            fail("event \(event.seq) has neither payload nor key")
            return
        }
        let prefix = Data("\(stored.producer):\(stored.index) ".utf8)
        if !data.starts(with: prefix) {
            fail("event \(event.seq) carries \(String(decoding: data.prefix(40), as: UTF8.self).debugDescription), "
                 + "not the object of \(stored.producer):\(stored.index)")
        }
    }

    /// Checks what the consumers' state in the file must satisfy after a round: cursors at or past
    /// what was acknowledged, and no acked group event claimed again later.
    func checkConsumers(_ db: LogDatabase, topic: String) throws {
        for (name, state) in fanOuts.sorted(by: { $0.key < $1.key }) where state.acknowledged > 0 {
            let position = try db.cursorPosition(consumer: name, topic: topic) ?? 0
            if position < state.acknowledged {
                fail("\(name)'s cursor is at \(position) but it acknowledged through \(state.acknowledged)")
            }
        }
        for (seq, token) in acked {
            guard let attempts = claims[seq], let acknowledged = attempts.first(where: { $0.value == token })?.key else {
                fail("event \(seq) was acked with token \(token), which no claim logged")
                continue
            }
            if let latest = attempts.keys.max(), latest > acknowledged {
                fail("event \(seq) was delivered again (attempt \(latest)) after attempt \(acknowledged) was acked")
            }
        }
    }

    /// The checks once every worker has run to the end of the stream.
    func checkFinished(_ db: LogDatabase, topic: String, group: String) throws {
        guard let end = endOfStream else {
            fail("the topic has no end-of-stream event")
            return
        }
        let objects = Set(events.keys)
        for (name, state) in fanOuts.sorted(by: { $0.key < $1.key }) {
            let missed = objects.subtracting(state.received)
            if !missed.isEmpty { fail("\(name) never received \(missed.count) events, e.g. \(missed.sorted().prefix(10))") }
            let position = try db.cursorPosition(consumer: name, topic: topic) ?? 0
            if position < end { fail("\(name) finished at position \(position), before the end of stream \(end)") }
        }
        let position = try db.groupPosition(group: group, topic: topic) ?? 0
        if position < end - 1 { fail("group \(group) finished at position \(position); the last event is \(end - 1)") }
        if let lag = try db.lag(group: group, topic: topic), lag.events != 0 {
            fail("group \(group) still has \(lag.events) events not done")
        }
    }
}
