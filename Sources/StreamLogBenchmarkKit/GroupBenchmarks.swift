import Foundation
import StreamLog

/// Competing consumers: worker processes claiming and acking the jobs of one topic.
public enum GroupBenchmarks {
    /// `count` jobs (100-byte inline events) shared by `workers` processes, each claiming `batch`
    /// at a time and acking every batch with its next claim (one transaction per claim); jobs
    /// per second from the workers' start to the last one's end of stream.
    public static func claimAck(count: Int, workers: Int, batch: Int, workerCommand: [String]) throws -> BenchmarkResult {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanup() }
        let path = scratch.file("bench.db")
        let db = try LogDatabase(path: path)
        let payload = Data(repeating: 0x6A, count: 100)
        var remaining = count
        while remaining > 0 {
            let rows = min(1000, remaining)
            try db.append([Event](repeating: .inline(payload), count: rows), to: "jobs")
            remaining -= rows
        }
        try db.closeTopic("jobs")
        try db.createGroup("workers", topic: "jobs")
        db.close()
        let start = ContinuousClock.now
        let children = try (0..<workers).map { member in
            try ConsumerChild(workerCommand + [path, "jobs", "workers", "w\(member)", "\(batch)"])
        }
        var total = 0
        for child in children {
            let fields = try child.waitForLine(prefix: "done").split(separator: " ")
            child.wait()
            guard fields.count == 2, let jobs = Int(fields[1]) else { throw BenchmarkError("worker reported \(fields)") }
            total += jobs
        }
        let seconds = StreamBenchmarks.seconds(start.duration(to: .now))
        guard total == count else { throw BenchmarkError("workers acked \(total) jobs of \(count)") }
        return BenchmarkResult(
            workload: "group", parameters: [("workers", "\(workers)"), ("batch", "\(batch)"), ("count", "\(count)")],
            seconds: seconds, rate: Double(count) / seconds, unit: "jobs/s")
    }

    /// A worker's loop: claim `batch`, ack it with the next claim, until end of stream; prints
    /// `done <jobs>`.
    public static func runWorker(path: String, topic: String, group: String, member: String, batch: Int) throws {
        let db = try LogDatabase(path: path)
        var jobs = 0
        var pending: [LogDatabase.Delivery] = []
        while true {
            let deliveries = try db.claim(group: group, topic: topic, member: member, limit: batch,
                                          acking: pending.map(\.receipt))
            jobs += pending.count
            pending = deliveries.filter { !$0.isEndOfStream }
            if deliveries.last?.isEndOfStream == true {
                if !pending.isEmpty { try db.ack(pending.map(\.receipt)) }
                jobs += pending.count
                break
            }
            if deliveries.isEmpty { usleep(200) }
        }
        FileHandle.standardOutput.write(Data("done \(jobs)\n".utf8))
    }

    /// Microseconds per lag query of a durable consumer halfway through a topic of `count` events.
    public static func lagCost(count: Int, repeats: Int) throws -> BenchmarkResult {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanup() }
        let db = try LogDatabase(path: scratch.file("bench.db"))
        let payload = Data(repeating: 0x6A, count: 100)
        for _ in 0..<(count / 1000) { try db.append([Event](repeating: .inline(payload), count: 1000), to: "t") }
        try db.acknowledge(consumer: "c", topic: "t", through: Int64(count / 2))
        var lag: LogDatabase.Lag?
        let seconds = try measure {
            for _ in 0..<repeats { lag = try db.lag(consumer: "c", topic: "t") }
        }
        guard lag?.events == count - count / 2 else { throw BenchmarkError("lag \(String(describing: lag))") }
        return BenchmarkResult(
            workload: "lag-query", parameters: [("events", "\(count)"), ("repeats", "\(repeats)")], seconds: seconds,
            rate: seconds / Double(repeats) * 1e6, unit: "us")
    }
}
