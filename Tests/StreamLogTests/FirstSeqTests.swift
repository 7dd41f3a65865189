import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

/// `firstSeq(topic:atOrAfter:)` when retained seqs have gaps: rows deleted out of order by plain
/// SQL, or by a redrive out of a closed dead-letter topic.
@Suite struct FirstSeqTests {
    /// A topic "t" with seqs 1 ... `count`, event `seq` at time `seq * 100`, then `deleted` removed.
    private func topic(count: Int, deleting deleted: [Int64]) throws -> (TemporaryDirectory, LogDatabase) {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append((0..<count).map { _ in .inline(Data("x".utf8)) }, to: "t")
        try db.withConnection { connection in
            try connection.execute("UPDATE topic_1 SET time = seq * 100")
            for seq in deleted { try connection.execute("DELETE FROM topic_1 WHERE seq = \(seq)") }
        }
        return (dir, db)
    }

    private func at(_ microseconds: Int64) -> Timestamp { Timestamp(microsecondsSinceEpoch: microseconds) }

    @Test func aGapJustBelowTheLastEventIsCrossed() throws {
        let (_, db) = try topic(count: 5, deleting: [2, 3, 4])
        #expect(try db.firstSeq(topic: "t", atOrAfter: at(150)) == 5)
        #expect(try db.firstSeq(topic: "t", atOrAfter: at(100)) == 1)
        #expect(try db.firstSeq(topic: "t", atOrAfter: at(50)) == 1)
        #expect(try db.firstSeq(topic: "t", atOrAfter: at(500)) == 5)
        #expect(try db.firstSeq(topic: "t", atOrAfter: at(501)) == nil)
    }

    @Test(arguments: [[Int64](), [1], [20], [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
                      [2, 4, 6, 8, 10, 12, 14, 16, 18], [1, 2, 3, 10, 11, 17, 18, 19], [9, 10, 11, 12]])
    func everyTimeFindsTheFirstRetainedEventAtOrAfterIt(deleted: [Int64]) throws {
        let (_, db) = try topic(count: 20, deleting: deleted)
        let retained = (1...20).filter { !deleted.contains($0) }
        for time in stride(from: Int64(0), through: 2100, by: 50) {
            #expect(try db.firstSeq(topic: "t", atOrAfter: at(time)) == retained.first { $0 * 100 >= time }, "time \(time)")
        }
    }
}
