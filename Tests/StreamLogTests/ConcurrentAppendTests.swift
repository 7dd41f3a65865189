import Foundation
import Testing
import StreamLog
import StreamLogTestSupport

@Suite struct ConcurrentAppendTests {
    @Test func fourProcessesAppendWithNothingLostAndOrderKept() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        _ = try LogDatabase(path: path)  // create and migrate once, so the children race only on appends
        let worker = try builtExecutable("StreamLogTestWorker")
        let perProducer = 2000
        let children = try (0..<4).map { producer in
            try ChildProcess(worker, ["append", path, "shared", "p\(producer)", "\(perProducer)", "\(producer % 2 == 0 ? 1 : 50)"])
        }
        for child in children {
            let result = child.finish()
            #expect(result.status == 0, "\(result.stderr)")
        }
        let db = try LogDatabase(path: path)
        var seqs: [Int64] = []
        var lastIndex: [String: Int] = [:]
        try db.forEachEvent(topic: "shared") { event in
            seqs.append(event.seq)
            let parts = String(decoding: event.payload!, as: UTF8.self).split(separator: ":")
            let producer = String(parts[0]), index = Int(parts[1])!
            #expect(index == (lastIndex[producer] ?? -1) + 1, "producer \(producer) out of order")
            lastIndex[producer] = index
            return true
        }
        #expect(seqs == Array(1...Int64(4 * perProducer)))
        #expect(lastIndex == ["p0": perProducer - 1, "p1": perProducer - 1, "p2": perProducer - 1, "p3": perProducer - 1])
    }
}
