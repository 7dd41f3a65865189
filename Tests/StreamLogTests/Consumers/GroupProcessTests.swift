import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

@Suite struct GroupProcessTests {
    @Test func aKilledMembersUnackedEventIsDeliveredAgainAndItsAckedOneNeverIs() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let db = try LogDatabase(path: path)
        try db.append(numberedEvents(3), to: "t")
        let marker = dir.path("marker")
        let child = try ChildProcess(
            try builtExecutable("StreamLogTestWorker"), ["group-claim-block", path, "t", "g", "doomed", "2", "60000", marker])
        let text = try waitForMarker(marker)
        child.kill()
        let result = child.finish()
        #expect(text == "acked 1 holding 2", "\(result.stderr)")
        #expect(result.status != 0)
        // Before the lease ends, nobody else gets event 2.
        #expect(try db.claim(group: "g", topic: "t", member: "survivor", limit: 10).map(\.event.seq) == [3])
        // Once it ends (a minute later), event 2 comes back; event 1 never does.
        let later = Timestamp.now().shifted(by: .seconds(61))
        let again = try db.claim(group: "g", topic: "t", member: "survivor", limit: 10, lease: .seconds(60), now: later)
        #expect(again.map(\.event.seq) == [2, 3])
        #expect(again.map(\.attempt) == [2, 2])
    }

    @Test func threeProcessesShareTenThousandEventsEachAckedExactlyOnce() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        let db = try LogDatabase(path: path)
        let total = 10_000
        try db.append(numberedEvents(total), to: "jobs")
        try db.closeTopic("jobs")
        let worker = try builtExecutable("StreamLogTestWorker")
        let children = try [1, 10, 100].enumerated().map { member, batch in
            try ChildProcess(worker, ["group-work", path, "jobs", "g", "m\(member)", "\(batch)"])
        }
        var acked: [Int64] = []
        for child in children {
            let result = child.finish(timeout: .seconds(120))
            #expect(result.status == 0, "\(result.stderr)")
            let lines = result.stdout.split(separator: "\n")
            #expect(lines.last == "end")
            for line in lines where line.hasPrefix("acked ") {
                acked += line.split(separator: " ").dropFirst().map { Int64($0)! }
            }
        }
        let distinct = Set(acked)
        let missing = Set(1...Int64(total)).subtracting(distinct)
        #expect(acked.count - distinct.count == 0, "acked more than once")
        #expect(missing.isEmpty, "\(missing.count) never acked, e.g. \(missing.sorted().prefix(5))")
        #expect(distinct.count == total)
        #expect(try db.groupPosition(group: "g", topic: "jobs") == Int64(total))
        #expect(try db.lag(group: "g", topic: "jobs")?.events == 0)
    }
}
