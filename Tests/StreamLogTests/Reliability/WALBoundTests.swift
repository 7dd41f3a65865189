import Foundation
import Testing
import StreamLog
import StreamLogTestSupport

/// The WAL must stay bounded while writers keep committing in turn and a reader keeps reading:
/// a producer appending objects and a consumer evicting them, each on its own connection. A
/// passive checkpoint alone never catches up with the tip then, and the WAL only restarts after
/// a complete one, so it grew without bound (270 MB in under two seconds of streaming).
@Suite struct WALBoundTests {
    @Test func walStaysBoundedWhileAProducerAndAnEvictingConsumerCommitInTurn() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        var options = LogDatabase.Options()
        options.walAutocheckpointPages = 64
        options.walSizeLimit = 0  // truncate on every restart, so the file size shows the WAL's length
        let publisher = try SQLitePublisher(path: path, options: options)
        let producer = StreamProducer<Data>(
            publisher: publisher, defaultStore: publisher.database.objects, options: .init(batchSize: 20))
        let count = 40_000
        let consumerDone = DispatchSemaphore(value: 0)
        let received = Received()
        let subscriber = try SQLiteSubscriber(path: path, topics: ["t"], options: options)
        Thread.detachNewThread {
            let consumer = StreamConsumer<Data>(subscriber: subscriber)
            do {
                while try consumer.nextObject() != nil { received.add() }
            } catch {
                received.fail(error)
            }
            try? consumer.close()
            consumerDone.signal()
        }
        let payload = Data(repeating: 7, count: 200)
        let pageSize = 4096
        var largestWAL = 0
        for index in 0..<count {
            try producer.send(payload, to: "t", evict: true)
            if index % 200 == 0 { largestWAL = max(largestWAL, walSize(path)) }
        }
        try producer.close(topics: ["t"])
        consumerDone.wait()
        #expect(received.error == nil)
        #expect(received.count == count)
        #expect(try LogDatabase(path: path).fileStats().objects == 0)  // every object was evicted
        // 40 000 objects of 200 bytes, written and then deleted, come to about 9000 pages of WAL
        // frames (37 MB when the WAL never restarted); a WAL restarted after checkpoints stays
        // within a few thresholds, and within 32 even when parallel tests starve the checkpointer.
        #expect(largestWAL <= 32 * 64 * (pageSize + 24), "the WAL reached \(largestWAL) bytes")
    }

    private func walSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? Int) ?? 0
    }
}

/// What the consumer thread saw, read by the test after it finished.
private final class Received: @unchecked Sendable {
    // @unchecked: written by the consumer thread only, read after it signalled completion.
    private(set) var count = 0
    private(set) var error: (any Error)?
    func add() { count += 1 }
    func fail(_ error: any Error) { self.error = error }
}
