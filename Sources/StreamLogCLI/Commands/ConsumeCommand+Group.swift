import StreamLog

extension ConsumeCommand {
    /// A delivery whose line was written and that is not acked yet.
    struct Printed {
        let receipt: LogDatabase.Receipt
        let eviction: Eviction?
    }

    /// A group member: claims a batch (acking the previous one in the same transaction), prints
    /// it, writes it out, and so on. Claims at most what is left of --max, so it never stops with
    /// events claimed but unprinted.
    func consumeAsMember(of group: String, _ db: LogDatabase, printer: EventPrinter, missing: inout Int) throws {
        let lease = self.lease.map { Duration.seconds($0) } ?? Self.defaultLease
        // Read once: each read of a parsed option goes through ArgumentParser's generic wrapper.
        let withObjects = output.objects
        var printed: [Printed] = []
        var count = 0
        while true {
            // Fails naming the topic, before anything is written, when it does not exist.
            let closed = try follow && db.isClosed(topic: topic)
            let highest = try db.lastSeq(topic: topic)
            let limit = Swift.min(withObjects ? Self.payloadClaimSize : Self.claimSize, (max ?? .max) - count)
            let deliveries = try claim(group, db, limit: limit, lease: lease, acking: &printed)
            var finished = false
            do {
                for delivery in deliveries {
                    if delivery.isEndOfStream {
                        try printer.print(delivery.event)
                        finished = true
                        continue
                    }
                    var evictions: [Eviction] = []
                    let content = try withObjects
                        ? resolve(delivery.event, in: db, evictions: &evictions, missing: &missing) : nil
                    try printer.print(delivery.event, content: content)
                    printed.append(Printed(receipt: delivery.receipt, eviction: evictions.first))
                    count += 1
                }
                try printer.flush()
            } catch {
                // Lines that may not have been written: their events go back to the group now
                // rather than when their leases end, without using up a delivery (nobody saw
                // them; a nack would dead-letter them after a few closed pipes).
                try? db.giveBackUntried(deliveries.map(\.receipt))
                throw error
            }
            if finished || count == max || (follow && StopSignal.isRaised) {
                try settle(printed, in: db)
                return
            }
            if !deliveries.isEmpty { continue }
            // Nothing to claim now; the claim acked everything printed. A topic already closed
            // then has its end-of-stream event behind the group (`seek --group --end`).
            guard follow, !closed else { return }
            // Wait for new events, and claim again now and then for events whose lease ended.
            let retry = ContinuousClock.now.advanced(by: Swift.min(lease, Self.longestClaimPause))
            guard try TopicWaiter.waitForSeq(after: highest, topic: topic, in: db, until: retry) != nil else { return }
        }
    }

    /// Claims up to `limit` events after acking `printed` — in the same transaction when no object
    /// is to be evicted — and empties `printed`.
    private func claim(
        _ group: String, _ db: LogDatabase, limit: Int, lease: Duration, acking printed: inout [Printed]
    ) throws -> [LogDatabase.Delivery] {
        defer { printed = [] }
        if printed.contains(where: { $0.eviction != nil }) {
            try settle(printed, in: db)
            printed = []
        }
        do {
            return try db.claim(
                group: group, topic: topic, member: consumer, limit: limit, lease: lease, acking: printed.map(\.receipt))
        } catch let error as StreamLogError where error.code == .staleReceipt {
            try settle(printed, in: db)
            return try db.claim(group: group, topic: topic, member: consumer, limit: limit, lease: lease)
        }
    }

    /// Acks printed deliveries and evicts their resolved objects. A receipt whose lease ended
    /// before the ack (the event went to another member, which prints it again: at-least-once)
    /// is skipped, and its object left to that member.
    private func settle(_ printed: [Printed], in db: LogDatabase) throws {
        guard !printed.isEmpty else { return }
        let evictions = printed.compactMap(\.eviction)
        do {
            try db.ack(printed.map(\.receipt), evicting: evictions.filter { $0.store == nil }.map(\.key))
            try evictElsewhere(evictions, in: db)
        } catch let error as StreamLogError where error.code == .staleReceipt {
            for one in printed {
                do {
                    let eviction = one.eviction.map { [$0] } ?? []
                    try db.ack([one.receipt], evicting: eviction.filter { $0.store == nil }.map(\.key))
                    try evictElsewhere(eviction, in: db)
                } catch let error as StreamLogError where error.code == .staleReceipt {
                    continue
                }
            }
        }
    }
}
