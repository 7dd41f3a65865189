import ArgumentParser
import Foundation
import StreamLog
import StreamLogBenchmarkKit

/// `streamlog bench`: throughput and latency benchmarks on temporary files.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput and latency on a temporary file.",
        discussion: """
            Each subcommand prints machine-readable lines (`lib WORKLOAD key=value… rate=R unit=U`);
            `stream` and `latency` also print a table. The stream benchmarks run the consumer in a
            separate process. tools/bench.sh runs these beside the C floor and prints ratios.
            Always uses temporary files: --db is accepted for uniformity and ignored.

            Example:
              streamlog bench stream --size 100 --count 200000 --batch 100 --placement store
            """,
        subcommands: [
            LogBench.self, StreamBench.self, LatencyBench.self, GroupBench.self, GrowthBench.self, BenchConsumer.self,
            BenchGroupWorker.self,
        ],
        defaultSubcommand: StreamBench.self
    )

    /// Log-layer workloads matching tools/floor.sh.
    struct LogBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "log", abstract: "Append, cursor-read and object workloads, as the C floor runs them.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "append | read | blob") var workload = "append"
        @Option(help: "Events (or objects) to write.") var count = 1_000_000
        @Option(help: "Events per transaction (append) or page size (read).") var batch = 1000
        @Option(help: "Payload bytes.") var size: Int?
        @Flag(help: "synchronous=FULL instead of NORMAL.") var full = false

        func run() throws {
            let results: [BenchmarkResult]
            switch workload {
            case "append":
                results = [try LogBenchmarks.append(count: count, size: size ?? 100, batch: max(batch, 1),
                                                    synchronous: full ? .full : .normal)]
            case "read": results = try LogBenchmarks.read(count: count, size: size ?? 100, page: max(batch, 1))
            case "blob": results = try LogBenchmarks.objects(count: count, size: size ?? 1 << 20)
            default: throw ValidationError("unknown workload \(workload): use append, read or blob")
            }
            for result in results { print(result.line) }
        }
    }

    /// Producer and consumer processes on one file.
    struct StreamBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stream", abstract: "Producer → consumer throughput across processes.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "Objects to send.") var count = 100_000
        @Option(help: "Object size in bytes.") var size = 100
        @Option(help: "Objects per flush (one transaction each).") var batch = 100
        @Option(help: "store | inline") var placement: StreamBenchmarks.Placement = .store
        @Flag(help: "Keep stored objects after the consumer reads them (default: evict, as ProxyStore).")
        var noEvict = false

        func run() throws {
            guard size >= 0 else { throw ValidationError("--size must not be negative") }
            let results = try StreamBenchmarks.throughput(
                count: count, size: size, batch: max(batch, 1), placement: placement, evict: !noEvict,
                consumerCommand: consumerCommand())
            for result in results { print(result.line) }
        }
    }

    /// Unloaded latency and idle CPU of a waiting consumer.
    struct LatencyBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "latency", abstract: "Unloaded producer → consumer latency across processes, and idle CPU.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "Objects sent, one at a time.") var samples = 500
        @Option(help: "Pause between sends, in microseconds.") var intervalMicroseconds = 2000
        @Option(help: "Object size in bytes.") var size = 100
        @Option(help: "store | inline") var placement: StreamBenchmarks.Placement = .store
        @Option(help: "Seconds the consumer waits idle while its CPU use is measured (0: not measured).")
        var idleSeconds = 5.0

        func run() throws {
            guard size >= 0 else { throw ValidationError("--size must not be negative") }
            let results = try StreamBenchmarks.latency(
                samples: max(samples, 1), interval: .microseconds(intervalMicroseconds), size: size, placement: placement,
                idleSeconds: idleSeconds, consumerCommand: consumerCommand())
            for result in results { print(result.line) }
        }
    }

    /// Competing consumers in separate processes.
    struct GroupBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "group", abstract: "Group claim+ack throughput with worker processes, and lag query cost.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "Jobs in the topic.") var count = 100_000
        @Option(help: "Worker processes.") var workers = 2
        @Option(help: "Jobs claimed (and acked) per transaction.") var batch = 1
        @Flag(help: "Also measure the cost of a lag query.") var lag = false

        func run() throws {
            print(try GroupBenchmarks.claimAck(count: count, workers: max(workers, 1), batch: max(batch, 1),
                                               workerCommand: selfCommand(["bench", "group-worker"])).line)
            if lag { print(try GroupBenchmarks.lagCost(count: 1_000_000, repeats: 20).line) }
        }
    }

    /// Append and read rates with many events already in the topic, against an empty one.
    struct GrowthBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "growth", abstract: "Append and read rates on a long topic vs an empty one.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "Events already in the topic.") var existing = 10_000_000
        @Option(help: "Events appended and read in the measurement, per file.") var count = 1_000_000
        @Option(help: "Alternating rounds the measurement is split into (medians are reported).") var rounds = 5

        func run() throws {
            for result in try LogBenchmarks.growth(existing: existing, count: count, rounds: max(rounds, 1)) {
                print(result.line)
            }
        }
    }

    /// A group worker process of `bench group` (not for direct use).
    struct BenchGroupWorker: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "group-worker", abstract: "A worker of the group benchmark.", shouldDisplay: false)
        @Argument var path: String
        @Argument var topic: String
        @Argument var group: String
        @Argument var member: String
        @Argument var batch: Int

        func run() throws {
            try GroupBenchmarks.runWorker(path: path, topic: topic, group: group, member: member, batch: max(batch, 1))
        }
    }

    /// The consumer process the stream benchmarks start (not for direct use).
    struct BenchConsumer: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "consumer-process", abstract: "The consumer side of the stream benchmarks.", shouldDisplay: false)
        @Argument var path: String
        @Argument var topic: String
        @Argument var mode: String

        func run() throws {
            guard let mode = StreamBenchmarks.ConsumerMode(rawValue: mode) else { throw ValidationError("unknown mode") }
            try StreamBenchmarks.runConsumer(path: path, topic: topic, mode: mode)
        }
    }
}

/// This executable's `bench consumer-process` command line.
private func consumerCommand() -> [String] { selfCommand(["bench", "consumer-process"]) }

/// A command line running this same executable with `arguments`.
private func selfCommand(_ arguments: [String]) -> [String] {
    [URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path] + arguments
}

/// `--placement store|inline` (ArgumentParser lists the values when another is given).
extension StreamBenchmarks.Placement: ExpressibleByArgument {}
