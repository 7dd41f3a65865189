import Foundation
@testable import StreamLog
import StreamLogTestSupport

/// Starts producer, durable fan-out consumer and group-worker processes (StreamLogTestWorker) on
/// one file, SIGKILLs each at a random moment of every round, and after every round checks the
/// file (`PRAGMA integrity_check`, ``LogDatabase/check(maxProblemsPerCheck:)``) and the workers'
/// logs against ``CrashLedger``'s invariants. After the last round the topic is closed and the
/// consumers and group workers run, unkilled, to the end of the stream; then the final checks.
///
/// Reproducible in its choices from ``Configuration/seed`` (process timing is not).
struct CrashHarness {
    struct Configuration {
        var rounds = 100
        var seed: UInt64 = 1
        var producers = 2
        var fanOutConsumers = 2
        var groupWorkers = 3
        /// Each worker is killed at a uniformly random moment between 1 ms and this after its round starts.
        var longestRound: Duration = .milliseconds(250)
        /// A producer pauses up to this long between batches (bounds the file's growth).
        var producerPauseMilliseconds = 15
        var leaseMilliseconds = 200
        /// Called with a line of progress now and then.
        var progress: (String) -> Void = { _ in }
    }

    /// What happened, for the test's output and RELIABILITY.md.
    struct Report: CustomStringConvertible {
        var rounds = 0
        var kills = 0
        var exitedBeforeKill = 0
        var events = 0
        var unconfirmedBatches = 0
        var unconfirmedBatchesCommitted = 0
        var groupKillsHoldingLeases = 0
        var partialLogLines = 0
        var elapsed: Duration = .zero
        var verifying: Duration = .zero
        var cliChecked = false
        var violations: [String] = []

        /// The first few violations, a line each, for printing beside the summary: a CI log
        /// excerpt may keep a test's output and not its recorded issues.
        var firstViolations: String {
            violations.prefix(5).map { "\n  violation: \($0.prefix(500))" }.joined()
        }

        var description: String {
            "\(rounds) rounds, \(kills) SIGKILLs, \(events) events; kills inside an append: \(unconfirmedBatches) "
                + "(\(unconfirmedBatchesCommitted) of those batches had committed whole, the rest not at all); "
                + "group workers killed between receive and ack: \(groupKillsHoldingLeases); partial log lines "
                + "skipped: \(partialLogLines); \(violations.count) violations; "
                + "\(cliChecked ? "streamlog check passed; " : "")"
                + "\(elapsed.components.seconds) s (\(verifying.components.seconds) s verifying)"
        }
    }

    enum Role {
        case producer(streaming: Bool)
        case fanOut
        case group
    }

    final class Worker {
        let name: String
        let role: Role
        let log: WorkerLog
        var process: ChildProcess?

        init(name: String, role: Role, directory: URL) {
            self.name = name
            self.role = role
            self.log = WorkerLog(path: directory.appendingPathComponent("\(name).log").path)
        }
    }

    static let topic = "crash"
    static let group = "workers"

    let configuration: Configuration
    let directory: URL
    var path: String { directory.appendingPathComponent("crash.db").path }

    func run() throws -> Report {
        let clock = ContinuousClock()
        let started = clock.now
        var random = SeededGenerator(seed: configuration.seed)
        let executable = try builtExecutable("StreamLogTestWorker")
        let workers = try prepare()
        defer { stopAll(workers) }
        let ledger = CrashLedger()
        var report = Report()
        for round in 1...max(configuration.rounds, 1) {
            for worker in workers {
                worker.process = try start(worker, executable: executable, seed: random.next())
            }
            let longest = max(Int(configuration.longestRound.milliseconds), 2)
            let plans = workers.map { worker in
                (worker, clock.now.advanced(by: .milliseconds(1 + random.next(below: longest))), random.next(below: 2) == 0)
            }.sorted { $0.1 < $1.1 }
            for (worker, deadline, targeted) in plans {
                // Waiting for the chosen moment to kill is the point of the test, not synchronisation.
                let wait = clock.now.duration(to: deadline)
                if wait > .zero { Thread.sleep(forTimeInterval: Double(wait.milliseconds) / 1000) }
                if targeted {
                    waitForWindow(worker)
                    // Just after the line, or a little later: before or after the commit it announces.
                    if random.next(below: 2) == 0 { usleep(UInt32(random.next(below: 500))) }
                }
                worker.process?.kill()
            }
            for worker in workers {
                guard let process = worker.process else { continue }
                let result = process.finish(timeout: .seconds(30))
                worker.process = nil
                if process.process.terminationReason == .uncaughtSignal && result.status == SIGKILL {
                    report.kills += 1
                } else {
                    report.exitedBeforeKill += 1
                    report.violations.append(
                        "round \(round): \(worker.name) exited with status \(result.status) before it was killed: "
                            + result.stderr.prefix(2000))
                }
            }
            let verifying = clock.now
            try verify(workers, ledger: ledger, round: round)
            report.verifying += clock.now - verifying
            report.rounds = round
            if round % 25 == 0 || round == configuration.rounds {
                configuration.progress("round \(round): \(ledger.events.count) events, \(ledger.violations.count) violations")
            }
            if !ledger.violations.isEmpty || !report.violations.isEmpty { break }
        }
        if ledger.violations.isEmpty && report.violations.isEmpty {
            try drain(workers, ledger: ledger, executable: executable, random: &random, report: &report)
        }
        report.events = ledger.events.count
        report.unconfirmedBatches = ledger.unconfirmedBatches
        report.unconfirmedBatchesCommitted = ledger.unconfirmedBatchesCommitted
        report.groupKillsHoldingLeases = ledger.groupKillsHoldingLeases
        report.partialLogLines = workers.map(\.log.partialLines).reduce(0, +)
        report.violations += ledger.violations
        report.elapsed = clock.now - started
        return report
    }

    /// The workers of the configuration, and the file with the topic and group made (so every
    /// worker has something to do from its first moment).
    func prepare() throws -> [Worker] {
        var workers: [Worker] = []
        for index in 0..<configuration.producers {
            workers.append(Worker(name: "p\(index)", role: .producer(streaming: index % 2 == 1), directory: directory))
        }
        for index in 0..<configuration.fanOutConsumers {
            workers.append(Worker(name: "f\(index)", role: .fanOut, directory: directory))
        }
        for index in 0..<configuration.groupWorkers {
            workers.append(Worker(name: "g\(index)", role: .group, directory: directory))
        }
        let db = try LogDatabase(path: path)
        try db.createTopic(Self.topic)
        try db.createGroup(Self.group, topic: Self.topic, options: .init(maxDeliveries: nil))
        db.close()
        return workers
    }

    /// Kills and reaps every worker still running (when a run ends early, nothing is left behind).
    func stopAll(_ workers: [Worker]) {
        for worker in workers {
            guard let process = worker.process else { continue }
            process.kill()
            _ = process.finish(timeout: .seconds(10))
            worker.process = nil
        }
    }

    /// Polls the worker's log until its last line says it is inside the window the harness is
    /// about — a producer between `begin` and `ok` (inside an append), a group worker between
    /// `claim` and its acks — or a while has passed.
    private func waitForWindow(_ worker: Worker) {
        let prefix: String
        switch worker.role {
        case .producer: prefix = "begin "
        case .group: prefix = "claim "
        case .fanOut: prefix = "recv "
        }
        // Windows can be shorter than a millisecond: poll every 50 µs.
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(300))
        while ContinuousClock.now < deadline, worker.log.lastCompleteLine()?.hasPrefix(prefix) != true {
            usleep(50)
        }
    }

    func start(_ worker: Worker, executable: URL, seed: UInt64) throws -> ChildProcess {
        let arguments: [String]
        switch worker.role {
        case .producer(let streaming):
            arguments = [
                "crash-produce", path, Self.topic, worker.name, worker.log.path, streaming ? "stream" : "append", "\(seed)",
                "\(configuration.producerPauseMilliseconds)",
            ]
        case .fanOut:
            arguments = ["crash-fanout", path, Self.topic, worker.name, worker.log.path, "\(seed)"]
        case .group:
            arguments = [
                "crash-group", path, Self.topic, Self.group, worker.name, worker.log.path,
                "\(configuration.leaseMilliseconds)", "\(seed)",
            ]
        }
        return try ChildProcess(executable, arguments)
    }

    /// Reads what the (dead) workers logged and checks it and the file.
    func verify(_ workers: [Worker], ledger: CrashLedger, round: Int) throws {
        let before = ledger.violations.count
        for worker in workers {
            if case .producer = worker.role { ledger.recordProducer(worker.name, lines: try worker.log.readNewLines()) }
        }
        let db = try LogDatabase(path: path)
        defer { db.close() }
        try checkIntegrity(db, round: round, ledger: ledger)
        try ledger.readFile(db, topic: Self.topic)
        for worker in workers {
            switch worker.role {
            case .producer: break
            case .fanOut: ledger.recordFanOut(worker.name, lines: try worker.log.readNewLines())
            case .group: ledger.recordGroupWorker(worker.name, lines: try worker.log.readNewLines())
            }
        }
        try ledger.checkConsumers(db, topic: Self.topic)
        if ledger.violations.count > before {
            configuration.progress("round \(round): \(ledger.violations[before...].joined(separator: "\n"))")
        }
    }

    private func checkIntegrity(_ db: LogDatabase, round: Int, ledger: CrashLedger) throws {
        let messages = try db.integrityCheck()
        let report = try db.check()
        for message in messages where message != "ok" {
            ledger.record(violation: "round \(round): integrity_check: \(message)")
        }
        for problem in report.problems {
            ledger.record(violation: "round \(round): check: \(problem.message)")
        }
    }

    /// Closes the topic and runs the consumers and group workers to its end, unkilled.
    private func drain(
        _ workers: [Worker], ledger: CrashLedger, executable: URL, random: inout SeededGenerator, report: inout Report
    ) throws {
        do {
            let db = try LogDatabase(path: path)
            try db.closeTopic(Self.topic)
            db.close()
        }
        let readers = workers.filter { if case .producer = $0.role { return false } else { return true } }
        for worker in readers {
            worker.process = try start(worker, executable: executable, seed: random.next())
        }
        for worker in readers {
            guard let process = worker.process else { continue }
            let result = process.finish(timeout: .seconds(120))
            worker.process = nil
            if result.status != 0 || process.process.terminationReason != .exit {
                report.violations.append("drain: \(worker.name) failed (status \(result.status)): \(result.stderr.prefix(2000))")
            }
        }
        try verify(workers, ledger: ledger, round: report.rounds + 1)
        do {
            let db = try LogDatabase(path: path)
            defer { db.close() }
            try ledger.checkFinished(db, topic: Self.topic, group: Self.group)
        }
        // The operators' view too. The test target does not depend on the CLI, but `swift test`
        // builds every product; without it the check above (the same library call) stands alone.
        if let cli = try? builtExecutable("streamlog") {
            let result = try ChildProcess(cli, ["check", "--db", path]).finish(timeout: .seconds(120))
            if result.status != 0 { report.violations.append("streamlog check failed: \(result.stdout)\(result.stderr)") }
            report.cliChecked = true
        }
    }
}

/// A small seeded generator (SplitMix64), so a run's choices are reproducible from its seed.
struct SeededGenerator: RandomNumberGenerator {
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
