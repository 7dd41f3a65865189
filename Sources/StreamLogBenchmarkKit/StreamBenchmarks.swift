import Foundation
import StreamLog

/// End-to-end stream workloads with the producer and the consumer in separate processes on one
/// file: throughput, unloaded latency, the waiting consumer's CPU use and memory.
///
/// The consumer is a child process: the caller passes the command that runs
/// ``runConsumer(path:topic:mode:)`` (for `streamlog`, its hidden `bench-consumer` subcommand).
public enum StreamBenchmarks {
    /// Where a topic's objects go.
    public enum Placement: String, Sendable, CaseIterable {
        /// In the log's own object store (events carry keys; the consumer evicts on resolve).
        case store
        /// Inside the events.
        case inline
    }

    /// What the consumer child does.
    public enum ConsumerMode: String, Sendable {
        /// Reads every object; prints `done <objects> <end µs> <max RSS KiB>` at end of stream.
        case throughput
        /// Prints `<receive µs> <the object's first line>` per object, for latency.
        case latency
    }

    /// Throughput: the producer sends `count` objects of `size` bytes in batches of `batch`;
    /// objects per second from the first send to the consumer's end of stream.
    public static func throughput(
        count: Int, size: Int, batch: Int, placement: Placement, evict: Bool = true, consumerCommand: [String]
    ) throws -> [BenchmarkResult] {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanup() }
        let path = scratch.file("bench.db")
        let publisher = try SQLitePublisher(path: path)
        let child = try ConsumerChild(consumerCommand + [path, "t", ConsumerMode.throughput.rawValue])
        try child.waitForLine("ready")
        let producer = StreamProducer<Data>(
            publisher: publisher, defaultStore: placement == .store ? publisher.database.objects : nil,
            options: .init(batchSize: batch))
        let payload = Data(repeating: 0x62, count: size)
        let start = Timestamp.now()
        for _ in 0..<count { try producer.send(payload, to: "t", evict: evict) }
        try producer.close(topics: ["t"])
        let fields = try child.waitForLine(prefix: "done").split(separator: " ")
        child.wait()
        guard fields.count == 4, let received = Int(fields[1]), let end = Int64(fields[2]), let rssKiB = Int(fields[3]),
              received == count
        else { throw BenchmarkError("consumer reported \(fields)") }
        let seconds = Double(end - start.microsecondsSinceEpoch) / 1e6
        var parameters = [("batch", "\(batch)"), ("size", "\(size)"), ("count", "\(count)"), ("placement", placement.rawValue)]
        if placement == .store && !evict { parameters.append(("evict", "false")) }
        return [
            BenchmarkResult(workload: "stream", parameters: parameters, seconds: seconds, rate: Double(count) / seconds, unit: "objects/s"),
            BenchmarkResult(workload: "stream-mb", parameters: parameters, seconds: seconds,
                            rate: Double(count * size) / 1e6 / seconds, unit: "MB/s"),
            BenchmarkResult(workload: "consumer-rss", parameters: parameters, seconds: seconds, rate: Double(rssKiB) / 1024, unit: "MiB"),
        ]
    }

    /// Unloaded latency: `samples` objects of `size` bytes sent one at a time, `interval` apart;
    /// p50 and p99 in microseconds from the producer's `send` (a flush of one object) to the
    /// consumer holding the object, so a large object's write and read are both in it. Then, when
    /// `idleSeconds` is positive, the CPU share the consumer used while it waited on an empty topic.
    public static func latency(
        samples: Int, interval: Duration, size: Int = 100, placement: Placement = .store, idleSeconds: Double,
        consumerCommand: [String]
    ) throws -> [BenchmarkResult] {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanup() }
        let path = scratch.file("bench.db")
        let publisher = try SQLitePublisher(path: path)
        try publisher.database.createTopic("t")
        let child = try ConsumerChild(consumerCommand + [path, "t", ConsumerMode.latency.rawValue])
        try child.waitForLine("ready")
        // Idle CPU: the consumer waits on an empty topic.
        var idleCPU: Double?
        if idleSeconds > 0 {
            let cpuBefore = child.cpuSeconds()
            let idleStart = ContinuousClock.now
            Thread.sleep(forTimeInterval: idleSeconds)
            idleCPU = (child.cpuSeconds() - cpuBefore) / seconds(idleStart.duration(to: .now))
        }

        let producer = StreamProducer<Data>(
            publisher: publisher, defaultStore: placement == .store ? publisher.database.objects : nil,
            options: .init(batchSize: 1))
        // Each object starts with a line naming it and its send time; the rest is padding.
        var payload = Data(repeating: 0x62, count: size)
        for index in 0..<samples {
            let now = Timestamp.now().microsecondsSinceEpoch
            let header = Data("\(index) \(now)\n".utf8)
            payload.replaceSubrange(0..<min(header.count, payload.count), with: header)
            try producer.send(payload, to: "t")
            Thread.sleep(forTimeInterval: seconds(interval))
        }
        try producer.close(topics: ["t"])
        var latencies: [Double] = []
        for _ in 0..<samples {
            let fields = try child.readLine().split(separator: " ")
            guard fields.count == 3, let received = Int64(fields[0]), let sentAt = Int64(fields[2]) else {
                throw BenchmarkError("unexpected latency line \(fields)")
            }
            latencies.append(Double(received - sentAt))
        }
        child.wait()
        latencies.sort()
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        let intervalMicroseconds = interval.components.seconds * 1_000_000 + interval.components.attoseconds / 1_000_000_000_000
        let parameters = [("size", "\(size)"), ("placement", placement.rawValue), ("samples", "\(samples)"),
                          ("interval_us", "\(intervalMicroseconds)")]
        var results = [
            BenchmarkResult(workload: "latency-p50", parameters: parameters, seconds: 0, rate: percentile(0.5), unit: "us"),
            BenchmarkResult(workload: "latency-p99", parameters: parameters, seconds: 0, rate: percentile(0.99), unit: "us"),
        ]
        if let idleCPU {
            results.append(BenchmarkResult(workload: "idle-cpu", parameters: [("idle_s", String(format: "%.1f", idleSeconds))],
                                           seconds: idleSeconds, rate: idleCPU * 100, unit: "percent"))
        }
        return results
    }

    /// The consumer child's work: reads `topic` of `path` until end of stream.
    public static func runConsumer(path: String, topic: String, mode: ConsumerMode) throws {
        let consumer = StreamConsumer<Data>(subscriber: try SQLiteSubscriber(path: path, topics: [topic]))
        let out = FileHandle.standardOutput
        out.write(Data("ready\n".utf8))
        switch mode {
        case .throughput:
            var received = 0
            var bytes = 0
            while let object = try consumer.nextObject() {
                received += 1
                bytes &+= object.count
            }
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            out.write(Data("done \(received) \(Timestamp.now().microsecondsSinceEpoch) \(usage.ru_maxrss)\n".utf8))
        case .latency:
            // Printed at the end: the producer reads them only once it has sent every object, and
            // a consumer blocked on a full pipe (64 KiB, about 1,800 lines) would add the wait to
            // every later object's latency.
            var lines = Data()
            while let object = try consumer.nextObject() {
                let now = Timestamp.now().microsecondsSinceEpoch
                lines.append(contentsOf: "\(now) ".utf8)
                lines.append(object.prefix { $0 != 0x0A })
                lines.append(0x0A)
            }
            out.write(lines)
        }
        try consumer.close()
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// A benchmark that could not run as planned.
public struct BenchmarkError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The consumer process of a stream benchmark, read line by line.
final class ConsumerChild {
    private let process = Process()
    private let output = Pipe()
    private var pending = Data()

    init(_ command: [String]) throws {
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit { if process.isRunning { process.terminate() } }

    /// The next line the child printed (blocking).
    func readLine() throws -> String {
        while true {
            if let newline = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw BenchmarkError("the consumer process exited early (status \(exitStatus()))") }
            pending.append(chunk)
        }
    }

    func waitForLine(_ expected: String) throws {
        let line = try readLine()
        guard line == expected else { throw BenchmarkError("expected \(expected) from the consumer, got \(line)") }
    }

    func waitForLine(prefix: String) throws -> String {
        while true {
            let line = try readLine()
            if line.hasPrefix(prefix) { return line }
        }
    }

    func wait() { process.waitUntilExit() }

    private func exitStatus() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// User + system CPU seconds of the child so far, from /proc (Linux).
    func cpuSeconds() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
              let closing = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: closing)...].split(separator: " ")
        // After the command name: state is field 3; utime and stime are fields 14 and 15.
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
