import Foundation
import StreamLog

/// The log-layer workloads of the C floor (`tools/floor/floor.c`), through the library, on the
/// same schema and batch sizes: append, cursor read, and object put/get.
public enum LogBenchmarks {
    /// Appends `count` inline events of `size` bytes in batches of `batch`; rows per second.
    public static func append(count: Int, size: Int, batch: Int, synchronous: LogDatabase.Options.Synchronous = .normal) throws
        -> BenchmarkResult
    {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanup() }
        let db = try LogDatabase(path: scratch.file("bench.db"), options: .init(synchronous: synchronous))
        try db.createTopic("t")
        let payload = Data(repeating: 0x61, count: size)
        var events = [Event](repeating: .inline(payload), count: batch)
        let seconds = try measure {
            var done = 0
            while done < count {
                let rows = min(batch, count - done)
                if rows != events.count { events = Array(events.prefix(rows)) }
                try db.append(events, to: "t")
                done += rows
            }
        }
        db.close()
        return BenchmarkResult(
            workload: "append", parameters: [("batch", "\(batch)"), ("size", "\(size)"), ("count", "\(count)")],
            seconds: seconds, rate: Double(count) / seconds, unit: "rows/s")
    }

    /// Reads `count` events of `size` bytes back by cursor, in pages of `page`; rows per second.
    /// `read` is the borrowed-row API (copying payloads into a reused buffer, like the floor);
    /// `read-events` builds an `Event` value per row.
    public static func read(count: Int, size: Int, page: Int = 1000) throws -> [BenchmarkResult] {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanup() }
        let db = try LogDatabase(path: scratch.file("bench.db"))
        let payload = Data(repeating: 0x61, count: size)
        let batch = [Event](repeating: .inline(payload), count: 1000)
        for _ in 0..<(count / 1000) { try db.append(batch, to: "t") }
        var seen = 0
        var bytes = 0
        let seconds = try measure {
            var cursor: Int64 = 0
            while true {
                let events = try db.read(topic: "t", after: cursor, limit: page)
                guard let last = events.last else { break }
                for index in events.indices { bytes &+= events[index].payload?.count ?? 0 }
                seen += events.count
                cursor = last.seq
                if events.count < page { break }
            }
        }
        precondition(seen == count / 1000 * 1000 && bytes == seen * size, "read back \(seen) events")
        // The same read through the borrowed view, copying each payload into one reused buffer
        // as the C floor does.
        var copied = 0
        var buffer = [UInt8](repeating: 0, count: max(size, 1))
        let viewSeconds = try measure {
            try db.forEachEventRow(topic: "t", pageSize: page) { row in
                _ = row.seq
                _ = row.time
                row.withPayload { payload in
                    guard let payload else { return }
                    buffer.withUnsafeMutableBytes { $0.copyMemory(from: payload) }
                }
                copied += 1
                return true
            }
        }
        precondition(copied == seen)
        db.close()
        let parameters = [("batch", "\(page)"), ("size", "\(size)"), ("count", "\(seen)")]
        return [
            BenchmarkResult(workload: "read", parameters: parameters, seconds: viewSeconds, rate: Double(seen) / viewSeconds, unit: "rows/s"),
            BenchmarkResult(workload: "read-events", parameters: parameters, seconds: seconds, rate: Double(seen) / seconds, unit: "rows/s"),
        ]
    }

    /// Puts then gets `count` objects of `size` bytes, one transaction each; MB per second (10⁶ B).
    public static func objects(count: Int, size: Int) throws -> [BenchmarkResult] {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanup() }
        let store = try LogDatabase(path: scratch.file("bench.db")).objects
        let data = Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 131) })
        var keys: [ObjectKey] = []
        keys.reserveCapacity(count)
        let putSeconds = try measure {
            for _ in 0..<count { keys.append(try store.put(data)) }
        }
        var total = 0
        let getSeconds = try measure {
            for key in keys { total += try store.get(key).data.count }
        }
        precondition(total == count * size)
        store.database.close()
        let parameters = [("batch", "1"), ("size", "\(size)"), ("count", "\(count)")]
        let megabytes = Double(count * size) / 1e6
        return [
            BenchmarkResult(workload: "blob-put", parameters: parameters, seconds: putSeconds, rate: megabytes / putSeconds, unit: "MB/s"),
            BenchmarkResult(workload: "blob-get", parameters: parameters, seconds: getSeconds, rate: megabytes / getSeconds, unit: "MB/s"),
        ]
    }
}

extension LogBenchmarks {
    /// Append and read rates on a topic that already holds `existing` events, and on an empty
    /// one: `growth-append` / `growth-read` with `existing=N` and `existing=0`.
    ///
    /// Both files are filled first; then `count` events go to each in `rounds` alternating rounds
    /// (append a round's events, read them back by cursor three times), so drift on a shared
    /// machine hits both files alike. Each figure is the median of its rounds. Measured one file after the
    /// other, the ratio moved between 0.55× and 1.55× from run to run on this project's machine.
    public static func growth(existing: Int, count: Int, rounds: Int = 5) throws -> [BenchmarkResult] {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanup() }
        let batch = [Event](repeating: .inline(Data(repeating: 0x61, count: 100)), count: 1000)
        let prefills = [0, existing]
        var databases: [LogDatabase] = []
        defer { for db in databases { db.close() } }
        for (index, prefill) in prefills.enumerated() {
            let db = try LogDatabase(path: scratch.file("growth-\(index).db"))
            try db.createTopic("t")
            for _ in 0..<(prefill / 1000) { try db.append(batch, to: "t") }
            _ = try db.checkpoint()
            databases.append(db)
        }
        let batchesPerRound = max(count / max(rounds, 1) / batch.count, 1)
        let perRound = batchesPerRound * batch.count
        var cursors = prefills.map { Int64($0 / 1000 * 1000) }
        var appendRates: [[Double]] = [[], []]
        var readRates: [[Double]] = [[], []]
        for round in 0..<max(rounds, 1) {
            for index in round.isMultiple(of: 2) ? [0, 1] : [1, 0] {
                let db = databases[index]
                let appendSeconds = try measure {
                    for _ in 0..<batchesPerRound { try db.append(batch, to: "t") }
                }
                // The round's events are read back three times (the median counts): one read of
                // 200 k rows lasts under 0.1 s, and single reads varied by 2x from round to round.
                var readTimes: [Double] = []
                for _ in 0..<3 {
                    var seen = 0
                    readTimes.append(try measure {
                        try db.forEachEventRow(topic: "t", after: cursors[index]) { _ in
                            seen += 1
                            return true
                        }
                    })
                    guard seen == perRound else { throw BenchmarkError("read \(seen) events back, expected \(perRound)") }
                }
                let readSeconds = median(readTimes)
                cursors[index] += Int64(perRound)
                appendRates[index].append(Double(perRound) / appendSeconds)
                readRates[index].append(Double(perRound) / readSeconds)
            }
        }
        var results: [BenchmarkResult] = []
        for (index, prefill) in prefills.enumerated() {
            let parameters = [("existing", "\(prefill)"), ("count", "\(perRound * max(rounds, 1))"), ("rounds", "\(max(rounds, 1))")]
            for (workload, rates) in [("growth-append", appendRates[index]), ("growth-read", readRates[index])] {
                let rate = median(rates)
                results.append(BenchmarkResult(workload: workload, parameters: parameters, seconds: Double(perRound) / rate,
                                               rate: rate, unit: "rows/s"))
            }
        }
        return results
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count.isMultiple(of: 2)
            ? (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2 : sorted[sorted.count / 2]
    }
}
