import ArgumentParser
import StreamLog

/// `streamlog consume TOPIC --consumer NAME`: prints events from a durable cursor, moving it as
/// they are printed; with `--group`, as one member of a competing-consumer group.
struct ConsumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Print a topic's events from a consumer's durable cursor, moving the cursor as they are printed.",
        discussion: """
            Prints the same lines as `replay`. An event is acknowledged once its line is written \
            (at-least-once: after a crash, the last lines may be printed again). A consumer or group \
            seen for the first time starts at the first retained event. Without --follow, stops once \
            caught up, after --max object events, or at the end-of-stream event, whose line is \
            printed (it is not acknowledged, so every consumer that gets there prints it).

            --objects resolves payloads and evicts the evictable objects ("evict": true) when their \
            events are acknowledged; without it, nothing is resolved and nothing evicted.

            --group GROUP: competing consumers, NAME being the member. Each event goes to one member \
            and is acked after its line is written; run several `consume --group` processes side by \
            side to share the work. An event whose member dies is delivered again once its lease \
            (--lease) ends. A member stops at the end-of-stream event once no earlier event is left \
            to claim; it never leaves events claimed but unprinted.

            Examples:
              streamlog consume jobs --consumer indexer
              streamlog consume jobs --consumer indexer --max 100 --objects
              streamlog consume jobs --group resize --consumer worker-1 --follow --lease 60
            """)

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "The topic to consume.")
    var topic: String

    @Option(help: ArgumentHelp("The durable consumer's name (with --group, the member's name).", valueName: "name"))
    var consumer: String

    @Option(help: ArgumentHelp("Consume as a member of this competing-consumer group.", valueName: "group"))
    var group: String?

    @Option(
        help: ArgumentHelp(
            "With --group: seconds a claimed event stays with this member before it may go to another (default: 30).",
            valueName: "seconds"))
    var lease: Double?

    @Option(help: ArgumentHelp("Stop after N object events.", valueName: "n"))
    var max: Int?

    @OptionGroup var output: EventOutputOptions

    @Flag(help: "Keep printing new events until the end-of-stream event, SIGINT or SIGTERM.")
    var follow = false

    /// Events read (and acknowledged) at a time by a durable consumer.
    static let pageSize = 1000
    /// Events read at a time with --objects: pages hold payloads, so they are kept smaller.
    static let payloadPageSize = 100
    /// Events a group member claims at a time: they are printed before their leases can end.
    static let claimSize = 100
    /// Events a group member claims at a time with --objects.
    static let payloadClaimSize = 10
    /// The lease when --lease is not given.
    static let defaultLease: Duration = .seconds(30)
    /// How often an idle group member with --follow claims again, for events whose lease ended.
    static let longestClaimPause: Duration = .seconds(1)

    func validate() throws {
        try validateTopicName(topic)
        try validateTopicName(consumer, kind: group == nil ? "consumer" : "member")
        if let group { try validateTopicName(group, kind: "group") }
        if let max, max < 1 { throw ValidationError("--max must be 1 or more") }
        if let lease {
            if group == nil { throw ValidationError("--lease applies to group members: give --group too") }
            if !(lease > 0 && lease <= 1e9) { throw ValidationError("--lease must be a number of seconds above 0") }
        }
    }

    func run() throws {
        let db = try database.open()
        if follow { StopSignal.install() }
        let printer = EventPrinter(format: output.format)
        var missing = 0
        if let group {
            try consumeAsMember(of: group, db, printer: printer, missing: &missing)
        } else {
            try consumeFromCursor(db, printer: printer, missing: &missing)
        }
        try printer.flush()
        if missing > 0 {
            throw CLIError(
                "\(missing) object\(missing == 1 ? " is" : "s are") missing from the store without being evicted "
                    + "(printed with \"missing\": true); the file may be damaged: run `streamlog check`")
        }
    }

    /// A durable consumer: pages after the cursor, each page printed, written out, then
    /// acknowledged (with the evictions of the objects it resolved) in one transaction.
    private func consumeFromCursor(_ db: LogDatabase, printer: EventPrinter, missing: inout Int) throws {
        // Fails naming the topic, before anything is written, when it does not exist.
        var position = try db.cursorPosition(consumer: consumer, topic: topic) ?? db.registerConsumer(consumer, topic: topic)
        // Read once: each read of a parsed option goes through ArgumentParser's generic wrapper.
        let withObjects = output.objects, maximum = max
        var printed = 0
        while true {
            let closed = try follow && db.isClosed(topic: topic)
            let highest = try db.lastSeq(topic: topic)
            let limit = Swift.min(withObjects ? Self.payloadPageSize : Self.pageSize, (maximum ?? .max) - printed)
            let page = try db.read(topic: topic, after: position, limit: limit)
            var last: Int64?
            var evictions: [Eviction] = []
            var finished = false
            for event in page {
                if event.isEndOfStream {
                    try printer.print(event)
                    finished = true
                    break
                }
                let content = try withObjects ? resolve(event, in: db, evictions: &evictions, missing: &missing) : nil
                try printer.print(event, content: content)
                last = event.seq
                printed += 1
                if printed == maximum {
                    finished = true
                    break
                }
            }
            try printer.flush()
            if let last {
                position = try db.acknowledge(
                    consumer: consumer, topic: topic, through: last, evicting: evictions.filter { $0.store == nil }.map(\.key))
                try evictElsewhere(evictions, in: db)
            }
            if finished || (follow && StopSignal.isRaised) { return }
            if page.count == limit { continue }
            // Caught up. Every seq up to `highest` was committed before the page was read.
            // A topic already closed then has its end-of-stream event behind the cursor
            // (`seek --end`): nothing more can come.
            guard follow, !closed else { return }
            guard try TopicWaiter.waitForSeq(after: Swift.max(position, highest), topic: topic, in: db) != nil else { return }
        }
    }

    /// An object to evict once the event it was resolved for is acknowledged.
    struct Eviction {
        let key: ObjectKey
        /// The store holding it; `nil` for this file's own store.
        let store: StoreReference?
    }

    /// The payload of an object event for --objects, recording its object for eviction when the
    /// event is evictable and the object was there.
    func resolve(_ event: Event, in db: LogDatabase, evictions: inout [Eviction], missing: inout Int) throws -> ObjectContent {
        let content = try ObjectContent.peek(event, in: db)
        switch content {
        case .bytes:
            if event.evict, let key = event.key { evictions.append(Eviction(key: key, store: event.store)) }
        case .missing:
            missing += 1
        case .evicted:
            break
        }
        return content
    }

    /// Evicts the objects of other stores (files), after the acknowledgement in this one.
    func evictElsewhere(_ evictions: [Eviction], in db: LogDatabase) throws {
        for eviction in evictions {
            guard let store = eviction.store else { continue }
            try db.objectStore(for: store).evict(eviction.key)
        }
    }
}
