import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

@Suite struct GroupTests {
    @Test func membersGetDisjointEventsInSeqOrder() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(5), to: "t")
        let a = try db.claim(group: "g", topic: "t", member: "a", limit: 2)
        let b = try db.claim(group: "g", topic: "t", member: "b", limit: 2)
        #expect(a.map(\.event.seq) == [1, 2])
        #expect(b.map(\.event.seq) == [3, 4])
        #expect((a + b).allSatisfy { $0.attempt == 1 && !$0.isEndOfStream && $0.leaseExpiry != nil })
        #expect(Set((a + b).map(\.receipt.token)).count == 4)
        #expect(texts(a.map(\.event)) == ["0", "1"])
        try db.ack(a.map(\.receipt) + b.map(\.receipt))
        #expect(try db.claim(group: "g", topic: "t", member: "a", limit: 10).map(\.event.seq) == [5])
        #expect(try db.claim(group: "g", topic: "t", member: "b").isEmpty)
    }

    @Test func anExpiredLeaseIsDeliveredAgainFirstWithANewReceipt() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(4), to: "t")
        let now = Timestamp.now()
        let first = try db.claim(group: "g", topic: "t", member: "a", limit: 2, lease: .seconds(30), now: now)
        try #require(first.count == 2)
        #expect(try db.claim(group: "g", topic: "t", member: "b", limit: 1, lease: .seconds(60), now: now).map(\.event.seq) == [3])
        let later = now.shifted(by: .seconds(31))
        let again = try db.claim(group: "g", topic: "t", member: "b", limit: 3, lease: .seconds(30), now: later)
        #expect(again.map(\.event.seq) == [1, 2, 4])  // expired ones first, then new, no duplicate of 3
        #expect(again.map(\.attempt) == [2, 2, 1])
        #expect(again.first?.receipt.token != first[0].receipt.token)
    }

    @Test func aDueEventAmongHeldOnesIsFound() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(8), to: "t")
        let now = Timestamp.now()
        let held = try db.claim(group: "g", topic: "t", member: "a", limit: 6, lease: .seconds(30), now: now)
        try #require(held.count == 6)
        try db.nack(held[4].receipt, delay: .seconds(5), error: nil, now: now)
        try db.nack(held[2].receipt, delay: .seconds(10), error: nil, now: now)
        let soon = now.shifted(by: .seconds(6))
        #expect(try db.claim(group: "g", topic: "t", member: "b", limit: 1, lease: .seconds(30), now: soon).map(\.event.seq) == [5])
        #expect(try db.claim(group: "g", topic: "t", member: "b", limit: 5, lease: .seconds(30), now: soon).map(\.event.seq) == [7, 8])
        let later = now.shifted(by: .seconds(11))
        #expect(try db.claim(group: "g", topic: "t", member: "b", limit: 5, lease: .seconds(30), now: later).map(\.event.seq) == [3])
        let expired = now.shifted(by: .seconds(31))
        #expect(try db.claim(group: "g", topic: "t", member: "b", limit: 3, lease: .seconds(30), now: expired).map(\.event.seq) == [1, 2, 4])
        #expect(try db.claim(group: "g", topic: "t", member: "b", limit: 3, lease: .seconds(30), now: expired).map(\.event.seq) == [6])
    }

    @Test func claimingCanAckThePreviousDeliveriesInTheSameTransaction() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(3), to: "t")
        var previous: [LogDatabase.Receipt] = []
        var seen: [Int64] = []
        while true {
            let batch = try db.claim(group: "g", topic: "t", member: "m", acking: previous)
            if batch.isEmpty { break }
            seen += batch.map(\.event.seq)
            previous = batch.map(\.receipt)
            #expect(try db.groupPosition(group: "g", topic: "t") == batch.first.map { $0.event.seq - 1 })
        }
        #expect(seen == [1, 2, 3])
        #expect(try db.groupPosition(group: "g", topic: "t") == 3)
        // A stale receipt in `acking` fails the whole call: nothing is claimed.
        try db.append(numberedEvents(1), to: "t")
        let error = #expect(throws: StreamLogError.self) { try db.claim(group: "g", topic: "t", member: "m", acking: previous) }
        #expect(error?.code == .staleReceipt)
        #expect(try db.lag(group: "g", topic: "t")?.events == 1)
        #expect(try db.cursors(topic: "t").first?.inFlight == 0)
    }

    @Test func aLeaseExpiresInRealTime() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(1), to: "t")
        let claimed = try db.claim(group: "g", topic: "t", member: "a", lease: .milliseconds(50))
        #expect(claimed.count == 1)
        var redelivered: [LogDatabase.Delivery] = []
        #expect(try waitUntil { redelivered = try db.claim(group: "g", topic: "t", member: "b"); return !redelivered.isEmpty })
        #expect(redelivered.map(\.event.seq) == [1])
        #expect(redelivered.first?.attempt == 2)
    }

    @Test func aStaleReceiptIsFencedAndChangesNothing() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(2), to: "t")
        let now = Timestamp.now()
        let a = try db.claim(group: "g", topic: "t", member: "a", limit: 2, lease: .seconds(1), now: now)
        try #require(a.count == 2)
        let b = try db.claim(group: "g", topic: "t", member: "b", limit: 1, lease: .seconds(30), now: now.shifted(by: .seconds(2)))
        try #require(b.count == 1)
        #expect(b.map(\.event.seq) == [1])
        // a's receipt for 1 is stale; its receipt for 2 is still good but the batch is all or nothing.
        let error = #expect(throws: StreamLogError.self) { try db.ack(a.map(\.receipt)) }
        #expect(error?.code == .staleReceipt)
        #expect(error?.message.contains("seq 1") == true)
        #expect(try db.groupPosition(group: "g", topic: "t") == 0)
        #expect(throws: StreamLogError.self) { try db.extendLease(a[0].receipt, by: .seconds(10)) }
        #expect(throws: StreamLogError.self) { try db.nack(a[0].receipt) }
        try db.ack(b[0].receipt)
        try db.ack(a[1].receipt)
        #expect(throws: StreamLogError.self) { try db.ack(b[0].receipt) }  // acked already
        #expect(try db.groupPosition(group: "g", topic: "t") == 2)
    }

    @Test func aReceiptRebuiltFromItsPartsWorks() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(1), to: "t")
        let delivery = try #require(try db.claim(group: "g", topic: "t", member: "a").first)
        let rebuilt = LogDatabase.Receipt(group: "g", topic: "t", seq: delivery.event.seq, token: delivery.receipt.token)
        #expect(rebuilt == delivery.receipt)
        let forged = LogDatabase.Receipt(group: "g", topic: "t", seq: 1, token: delivery.receipt.token &+ 1)
        #expect(throws: StreamLogError.self) { try db.ack(forged) }
        try db.ack(rebuilt)
        #expect(try db.groupPosition(group: "g", topic: "t") == 1)
    }

    @Test func nackWithADelayHoldsTheEventBackAndRecordsTheError() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(1), to: "t")
        let now = Timestamp.now()
        let first = try db.claim(group: "g", topic: "t", member: "a", limit: 1, lease: .seconds(30), now: now)
        try #require(first.count == 1)
        try db.nack(first[0].receipt, delay: .seconds(60), error: "boom", now: now)
        #expect(throws: StreamLogError.self) { try db.ack(first[0].receipt) }  // nacked: no longer held
        #expect(try db.claim(group: "g", topic: "t", member: "b", limit: 1, lease: .seconds(30), now: now.shifted(by: .seconds(59))).isEmpty)
        let again = try db.claim(group: "g", topic: "t", member: "b", limit: 1, lease: .seconds(30), now: now.shifted(by: .seconds(61)))
        #expect(again.map(\.event.seq) == [1])
        #expect(again.first?.attempt == 2)
    }

    @Test func extendingALeaseKeepsTheEventFromOtherMembers() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(1), to: "t")
        let now = Timestamp.now()
        let held = try db.claim(group: "g", topic: "t", member: "a", limit: 1, lease: .seconds(10), now: now)
        try #require(held.count == 1)
        let end = try db.extendLease(held[0].receipt, by: .seconds(20), now: now.shifted(by: .seconds(5)))
        #expect(end == now.shifted(by: .seconds(30)))
        #expect(try db.claim(group: "g", topic: "t", member: "b", limit: 1, lease: .seconds(10), now: now.shifted(by: .seconds(29))).isEmpty)
        #expect(try db.claim(group: "g", topic: "t", member: "b", limit: 1, lease: .seconds(10), now: now.shifted(by: .seconds(31))).count == 1)
    }

    @Test func afterMaxDeliveriesAnEventIsDeadLetteredAndRedriveBringsItBack() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(3), to: "t")
        try db.createGroup("g", topic: "t", options: .init(maxDeliveries: 2))
        let now = Timestamp.now()
        let first = try #require(try db.claim(group: "g", topic: "t", member: "m", limit: 1, lease: .seconds(1), now: now).first)
        #expect(first.event.seq == 1 && first.attempt == 1)
        try db.nack(first.receipt, delay: .zero, error: "failure 1", now: now)
        let second = try #require(try db.claim(group: "g", topic: "t", member: "m", limit: 1, lease: .seconds(1), now: now).first)
        #expect(second.event.seq == 1 && second.attempt == 2)
        #expect(try db.deadLetters(group: "g", topic: "t").isEmpty)
        // The second lease expires; the next claim finds event 1 spent: it goes to the dead-letter
        // topic (with the last nack's error) and 2 comes instead.
        let next = try db.claim(group: "g", topic: "t", member: "m", limit: 1, lease: .seconds(30), now: now.shifted(by: .seconds(2)))
        try #require(next.map(\.event.seq) == [2])
        let letters = try db.deadLetters(group: "g", topic: "t")
        #expect(letters.count == 1)
        #expect(letters.first?.originalSeq == 1 && letters.first?.attempts == 2 && letters.first?.error == "failure 1")
        #expect(letters.first.map { texts([$0.event]) } == ["0"])
        let dlq = LogDatabase.deadLetterTopic(group: "g", topic: "t")
        #expect(dlq == "t.dlq.g")
        #expect(try db.read(topic: dlq).count == 1)
        try db.ack(next[0].receipt)
        #expect(try db.groupPosition(group: "g", topic: "t") == 2)  // dead-lettered counts as done

        let result = try db.redrive(group: "g", topic: "t")
        #expect(result == .init(released: 1, reappended: 0, kept: 0))
        #expect(try db.deadLetters(group: "g", topic: "t").isEmpty)
        #expect(try db.groupPosition(group: "g", topic: "t") == 0)
        let redriven = try db.claim(group: "g", topic: "t", member: "m", limit: 5)
        #expect(redriven.map(\.event.seq) == [1, 3])
        #expect(redriven.first?.attempt == 1)  // attempts start over
    }

    @Test func nackingTheLastAllowedDeliveryDeadLettersAtOnce() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(1), to: "t")
        try db.createGroup("g", topic: "t", options: .init(maxDeliveries: 1))
        let delivery = try #require(try db.claim(group: "g", topic: "t", member: "m").first)
        try db.nack(delivery.receipt, delay: .seconds(3600), error: "bad input")
        #expect(try db.deadLetters(group: "g", topic: "t").map(\.error) == ["bad input"])
        #expect(try db.lag(group: "g", topic: "t")?.events == 0)
    }

    /// An object kept in its row, and one in chunks.
    @Test(arguments: [3, ObjectStore.rowValueLimit + 1])
    func redriveReappendsWhenTheOriginalIsGoneAndKeepsStoredObjectsAlive(size: Int) throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let key = ObjectKey.random()
        let bytes = Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 11 &+ 1) })
        try db.append(
            [.stored(key: key, size: size, evict: false, metadata: ["kind": "photo"])],
            objects: [PendingObject(key: key, data: bytes)], to: "t")
        try db.createGroup("g", topic: "t", options: .init(maxDeliveries: 1))
        let delivery = try #require(try db.claim(group: "g", topic: "t", member: "m").first)
        try db.nack(delivery.receipt, error: "nope")
        // The dead letter holds its own copy: trimming the original leaves it resolvable.
        try db.trim(topic: "t", before: 2)
        #expect(try !db.objects.exists(key))
        let letter = try #require(try db.deadLetters(group: "g", topic: "t").first)
        let copy = try #require(letter.event.key)
        #expect(copy != key)
        #expect(try db.objects.get(copy).data == bytes)
        #expect(letter.event.metadata["kind"] == "photo")
        let report = try db.check()
        #expect(report.problems.isEmpty, "\(report.problems)")

        #expect(try db.redrive(group: "g", topic: "t") == .init(released: 0, reappended: 1, kept: 0))
        let again = try db.claim(group: "g", topic: "t", member: "m")
        #expect(again.map(\.event.seq) == [2])
        #expect(again.first?.event.key == copy)
        #expect(again.first?.event.metadata == ["kind": "photo"])
        #expect(try db.objects.get(copy).data == bytes)
        #expect(try db.deadLetters(group: "g", topic: "t").isEmpty)
    }

    @Test func lettersThatCannotBeRedrivenStayAndTheDeadLetterTopicStaysContiguous() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(3), to: "t")
        try db.createGroup("g", topic: "t", options: .init(maxDeliveries: 1))
        for delivery in try db.claim(group: "g", topic: "t", member: "m", limit: 3) {
            try db.nack(delivery.receipt, error: "e\(delivery.event.seq)")
        }
        let dlq = LogDatabase.deadLetterTopic(group: "g", topic: "t")
        try db.registerConsumer("auditor", topic: dlq)
        #expect(try db.lag(consumer: "auditor", topic: dlq)?.events == 3)
        try db.trim(topic: "t", before: 3)  // originals 1 and 2 are gone, 3 stays
        try db.closeTopic("t")  // so 1 and 2 cannot be appended again
        #expect(try db.redrive(group: "g", topic: "t") == .init(released: 1, reappended: 0, kept: 2))
        let letters = try db.deadLetters(group: "g", topic: "t")
        #expect(letters.map(\.originalSeq) == [1, 2])
        #expect(letters.map(\.error) == ["e1", "e2"])
        #expect(letters.map(\.event.seq) == [4, 5])  // moved to the end: retained seqs stay contiguous
        #expect(try db.read(topic: dlq).map(\.seq) == [4, 5])
        #expect(try db.lag(consumer: "auditor", topic: dlq)?.events == 2)
        #expect(try db.claim(group: "g", topic: "t", member: "m", limit: 5).map(\.event.seq) == [3, 4])
    }

    @Test func endOfStreamReachesEveryMemberWithoutWaitingForOthersLeases() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(2), to: "t")
        try db.closeTopic("t")
        let now = Timestamp.now()
        let a = try db.claim(group: "g", topic: "t", member: "a", limit: 10, lease: .seconds(30), now: now)
        #expect(a.map(\.event.seq) == [1, 2, 3])
        #expect(a.last?.isEndOfStream == true && a.last?.attempt == 0 && a.last?.receipt.isEndOfStream == true)
        let b = try db.claim(group: "g", topic: "t", member: "b", limit: 10, lease: .seconds(30), now: now)
        #expect(b.map(\.event.seq) == [3])
        try db.ack(b.map(\.receipt))  // acking end-of-stream is a no-op
        // a dies; its leases expire: a later member gets them before the end.
        let c = try db.claim(group: "g", topic: "t", member: "c", limit: 1, lease: .seconds(30), now: now.shifted(by: .seconds(40)))
        #expect(c.map(\.event.seq) == [1])  // limit reached: the end comes with a later claim
        let d = try db.claim(group: "g", topic: "t", member: "c", limit: 10, lease: .seconds(30), now: now.shifted(by: .seconds(40)))
        #expect(d.map(\.event.seq) == [2, 3])
        try db.ack((c + d).map(\.receipt))
        #expect(try db.groupPosition(group: "g", topic: "t") == 2)
        #expect(try db.claim(group: "g", topic: "t", member: "e").map(\.event.seq) == [3])
    }

    @Test func cursorsListConsumersAndGroupsWithLagAndInFlight() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(10), to: "t")
        try db.append(numberedEvents(1), to: "u")
        try db.acknowledge(consumer: "reader", topic: "t", through: 4)
        let claimed = try db.claim(group: "workers", topic: "t", member: "m", limit: 3)
        try #require(claimed.count == 3)
        try db.ack(claimed[1].receipt)
        try db.registerConsumer("other", topic: "u")
        let rows = try db.cursors()
        #expect(rows.map(\.name) == ["reader", "workers", "other"])
        let reader = rows[0], workers = rows[1]
        #expect(!reader.isGroup && reader.position == 4 && reader.lag.events == 6 && reader.inFlight == 0)
        #expect(workers.isGroup && workers.topic == "t" && workers.position == 0)
        #expect(workers.lag.events == 9 && workers.inFlight == 2)  // 1 and 3 leased, 4…10 new
        #expect(try db.cursors(topic: "u").map(\.name) == ["other"])
        let lag = try #require(try db.lag(group: "workers", topic: "t"))
        #expect(lag.events == 9 && lag.oldestUnconsumed == workers.lag.oldestUnconsumed)
        #expect(lag.oldestUnconsumed == (try db.read(topic: "t", after: 0, limit: 1).first?.time))
    }

    @Test func seekingAGroupDropsItsLeases() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(5), to: "t")
        let held = try db.claim(group: "g", topic: "t", member: "m", limit: 2)
        try #require(held.count == 2)
        #expect(try db.seek(group: "g", topic: "t", to: .seq(4)) == 3)
        #expect(throws: StreamLogError.self) { try db.ack(held[0].receipt) }
        #expect(try db.claim(group: "g", topic: "t", member: "m", limit: 5).map(\.event.seq) == [4, 5])
        #expect(try db.seek(group: "g", topic: "t", to: .start) == 0)
        #expect(try db.claim(group: "g", topic: "t", member: "m", limit: 1).map(\.event.seq) == [1])
    }

    @Test func retentionOfALeasedEventDropsItsLease() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(3), to: "t")
        let now = Timestamp.now()
        _ = try db.claim(group: "g", topic: "t", member: "m", limit: 2, lease: .seconds(1), now: now)
        try db.trim(topic: "t", before: 2)
        let later = try db.claim(group: "g", topic: "t", member: "m", limit: 5, lease: .seconds(1), now: now.shifted(by: .seconds(5)))
        #expect(later.map(\.event.seq) == [2, 3])
    }

    @Test func threadsWithTheirOwnHandlesNeverShareAnEvent() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        try LogDatabase(path: path).append(numberedEvents(2000), to: "t")
        let perThread = try await withThrowingTaskGroup(of: [Int64].self) { tasks in
            for member in 0..<4 {
                tasks.addTask {
                    let db = try LogDatabase(path: path)
                    var acked: [Int64] = []
                    while true {
                        let batch = try db.claim(group: "g", topic: "t", member: "m\(member)", limit: member % 2 == 0 ? 1 : 7)
                        if batch.isEmpty { return acked }
                        try db.ack(batch.map(\.receipt))
                        acked += batch.map(\.event.seq)
                    }
                }
            }
            return try await tasks.reduce(into: []) { $0.append($1) }
        }
        let all = perThread.flatMap { $0 }
        #expect(all.count == 2000)
        #expect(Set(all) == Set(1...2000))
    }
}
