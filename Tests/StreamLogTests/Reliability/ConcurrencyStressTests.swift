import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

/// Many processes on one file at once, none killed while they work: 4 producers appending as
/// fast as they can, 4 durable fan-out consumers and a group of 4 workers, for a bounded time;
/// then the producers stop, the topic is closed and the readers run to its end.
///
/// No "database is locked" (or any other error) reaches a worker; nothing is lost; a fan-out
/// consumer that runs throughout gets every event exactly once; group events are delivered
/// again only through the documented paths (nack, a lapsed lease) and acked at most once; the
/// crash ledger's invariants hold; `check()` passes.
@Suite struct ConcurrencyStressTests {
    @Test func fourProducersFourConsumersAndAGroupOfFourShareOneFile() throws {
        let seconds = ProcessInfo.processInfo.environment["STREAMLOG_STRESS_SECONDS"].flatMap(Int.init) ?? 6
        var configuration = CrashHarness.Configuration()
        configuration.producers = 4
        configuration.fanOutConsumers = 4
        configuration.groupWorkers = 4
        configuration.producerPauseMilliseconds = 3
        configuration.seed = UInt64.random(in: 1...UInt64.max)
        let directory = try TemporaryDirectory()
        let harness = CrashHarness(configuration: configuration, directory: directory.url)
        let report: CrashHarness.Report, ledger: CrashLedger
        do {
            (report, ledger) = try harness.stress(for: .seconds(seconds))
        } catch {
            // Printed as well as recorded: a CI log excerpt may keep the test's output and not its issues.
            print("concurrency stress (seed \(configuration.seed)) failed: \(error)")
            throw error
        }
        print("concurrency stress (seed \(configuration.seed)): \(seconds) s of 12 processes, \(report.events) events, "
              + "\(report.elapsed.components.seconds) s in all; fan-out redeliveries \(ledger.fanOutRedeliveries); group "
              + "redeliveries \(ledger.groupRedeliveries) (nacks, lapsed leases), acks logged \(ledger.groupAcks); "
              + "\(report.violations.count) violations"
              + report.firstViolations)
        #expect(report.violations.isEmpty, "\(report.violations.prefix(20).joined(separator: "\n"))")
        #expect(ledger.fanOutRedeliveries == 0, "a consumer that never restarted received an event twice")
        #expect(report.events > 1000, "the producers should have appended more than \(report.events) events")
    }
}

extension CrashHarness {
    /// Runs every worker for `duration` without killing any, then stops the producers (SIGKILL:
    /// they append until told), closes the topic and waits for the readers to reach its end.
    func stress(for duration: Duration) throws -> (Report, CrashLedger) {
        let clock = ContinuousClock()
        let started = clock.now
        var random = SeededGenerator(seed: configuration.seed)
        let executable = try builtExecutable("StreamLogTestWorker")
        let workers = try prepare()
        defer { stopAll(workers) }
        let ledger = CrashLedger()
        var report = Report()
        for worker in workers {
            worker.process = try start(worker, executable: executable, seed: random.next())
        }
        // The time bound; meanwhile, a worker that stops on its own has failed.
        let end = clock.now.advanced(by: duration)
        while clock.now < end, workers.allSatisfy({ $0.process?.process.isRunning == true }) {
            Thread.sleep(forTimeInterval: 0.05)
        }
        for worker in workers {
            guard case .producer = worker.role, let process = worker.process else { continue }
            process.kill()
            let result = process.finish(timeout: .seconds(30))
            worker.process = nil
            if !(process.process.terminationReason == .uncaughtSignal && result.status == SIGKILL) {
                report.violations.append("\(worker.name) stopped with status \(result.status): \(result.stderr.prefix(2000))")
            }
        }
        let db = try LogDatabase(path: path)
        try db.closeTopic(Self.topic)
        db.close()
        for worker in workers {
            guard let process = worker.process else { continue }
            let result = process.finish(timeout: .seconds(120))
            worker.process = nil
            if result.status != 0 || process.process.terminationReason != .exit {
                report.violations.append("\(worker.name) failed (status \(result.status)): \(result.stderr.prefix(2000))")
            }
        }
        try verify(workers, ledger: ledger, round: 1)
        let check = try LogDatabase(path: path)
        defer { check.close() }
        try ledger.checkFinished(check, topic: Self.topic, group: Self.group)
        report.rounds = 1
        report.events = ledger.events.count
        report.violations += ledger.violations
        report.elapsed = clock.now - started
        return (report, ledger)
    }
}
