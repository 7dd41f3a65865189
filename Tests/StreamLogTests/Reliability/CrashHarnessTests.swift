import Foundation
import Testing
import StreamLogTestSupport

/// The CI-sized crash harness run. `tools/crash-harness.sh --rounds N` runs the same test longer
/// (STREAMLOG_CRASH_ROUNDS, STREAMLOG_CRASH_SEED).
@Suite struct CrashHarnessTests {
    @Test func processesKilledAtRandomMomentsLoseNothingAndBreakNothing() throws {
        let environment = ProcessInfo.processInfo.environment
        var configuration = CrashHarness.Configuration()
        configuration.rounds = environment["STREAMLOG_CRASH_ROUNDS"].flatMap(Int.init) ?? 100
        configuration.seed = environment["STREAMLOG_CRASH_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
        let seed = configuration.seed
        configuration.progress = { print("crash harness (seed \(seed)): \($0)") }
        let directory = try TemporaryDirectory()
        let report = try CrashHarness(configuration: configuration, directory: directory.url).run()
        print("crash harness (seed \(seed)): \(report)"
              + report.firstViolations)
        #expect(report.violations.isEmpty, "seed \(seed): \(report.violations.prefix(20).joined(separator: "\n"))")
        #expect(report.rounds == configuration.rounds)
        let workers = configuration.producers + configuration.fanOutConsumers + configuration.groupWorkers
        #expect(report.kills == report.rounds * workers, "every worker is killed in every round")
        // The harness must actually have hit the windows it is about.
        #expect(report.unconfirmedBatches > 0, "no kill landed inside an append")
        #expect(report.groupKillsHoldingLeases > 0, "no group worker was killed between receive and ack")
    }
}
