import ArgumentParser
import Foundation
import StreamLog

/// `streamlog send TOPIC`: appends objects from `--data`, `--file` or standard input.
struct SendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Append objects to a topic.",
        discussion: """
            The objects come from --data (one object), --file (the whole file as one object, any \
            bytes) or standard input (one object per line, without its line ending; "\\r\\n" loses \
            both characters; an empty line is an empty object). From standard input, a batch is \
            committed every --batch-size lines, at the end of input, and whenever input pauses for \
            about 100 ms, so `tail -f` pipelines deliver promptly. A failure writes nothing of the \
            failing batch. Creates the database file and the topic when they do not exist.

            Examples:
              streamlog send jobs --data '{"id": 7}' --meta priority=3 --meta kind=resize
              streamlog send images --file photo.jpg --no-evict
              tail -f app.log | streamlog send logs --inline
            """)

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "The topic to append to (created on first use).")
    var topic: String

    @Option(help: ArgumentHelp("Send TEXT as one object.", valueName: "text"))
    var data: String?

    @Option(help: ArgumentHelp("Send the whole file as one object (any bytes).", valueName: "path"))
    var file: String?

    @Option(
        name: .customLong("meta"),
        help: ArgumentHelp(
            "Metadata for every object sent (repeatable). VALUE is JSON when it is valid JSON "
                + "(3, true, null, \"3\", [1]), else a string.",
            valueName: "key=value"),
        transform: MetadataPair.parse)
    var meta: [MetadataPair] = []

    @Flag(help: "Carry each payload inside its event instead of the object store.")
    var inline = false

    @Flag(name: .customLong("no-evict"), help: "Keep stored objects when a consumer resolves them (evict is the default).")
    var noEvict = false

    @Option(help: ArgumentHelp("Events per transaction when reading standard input.", valueName: "n"))
    var batchSize = 1000

    /// A batch from standard input is also committed once it holds this many payload bytes.
    static let batchByteLimit = 16 << 20
    /// How long a partial batch from standard input waits for more lines.
    static let inputPause: Duration = .milliseconds(100)

    func validate() throws {
        try validateTopicName(topic)
        if data != nil && file != nil { throw ValidationError("give --data or --file, not both") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        if let data {
            try sendOne(Data(data.utf8))
        } else if let file {
            try sendFile(file)
        } else {
            try sendLines()
        }
    }

    /// How each object is sent, copied out of the parsed options once: every read of an
    /// ArgumentParser property goes through its generic wrapper (a metadata lookup), which per
    /// line was a tenth of a `send`'s instructions.
    private struct Placement {
        let inline: Bool
        let evict: Bool

        /// The event of one object, adding its object to `objects` unless it travels inline.
        func event(for payload: Data, metadata: Metadata, objects: inout [PendingObject]) -> Event {
            if inline { return .inline(payload, metadata: metadata) }
            let object = PendingObject(data: payload)
            objects.append(object)
            return .stored(key: object.key, size: payload.count, evict: evict, metadata: metadata)
        }
    }

    private var placement: Placement { Placement(inline: inline, evict: !inline && !noEvict) }

    private func sendOne(_ payload: Data) throws {
        let db = try database.open(create: true)
        var objects: [PendingObject] = []
        let event = placement.event(for: payload, metadata: meta.metadata, objects: &objects)
        try db.append([event], objects: objects, to: topic)
    }

    private func sendFile(_ path: String) throws {
        // The input is opened before the database, so a bad path creates no database file.
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw CLIError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw CLIError("cannot read \(path): \(String(cString: strerror(errno)))") }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw CLIError("cannot send \(path): it is a directory") }
        let isRegularFile = (info.st_mode & S_IFMT) == S_IFREG
        let progress = ProgressBar(label: "send", total: isRegularFile ? Int64(info.st_size) : nil, unit: .bytes)
        defer { progress.finish() }
        var sent: Int64 = 0
        let readChunk = { (buffer: UnsafeMutableRawBufferPointer) throws -> Int in
            while true {
                let count = read(descriptor, buffer.baseAddress, buffer.count)
                if count >= 0 {
                    sent += Int64(count)
                    progress.update(sent)
                    return count
                }
                if errno != EINTR { throw CLIError("cannot read \(path): \(String(cString: strerror(errno)))") }
            }
        }
        if inline {
            var payload = Data()
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let count = try buffer.withUnsafeMutableBytes { try readChunk($0) }
                guard count > 0 else { break }
                payload.append(contentsOf: buffer[0..<count])
            }
            try sendOne(payload)
        } else {
            let db = try database.open(create: true)
            try db.appendObject(to: topic, evict: placement.evict, metadata: meta.metadata, from: readChunk)
        }
    }

    private func sendLines() throws {
        // A missing file is created only once there is something to write, so a failure before
        // that (unreadable input) leaves nothing behind.
        var db = FileManager.default.fileExists(atPath: database.path) ? try database.open() : nil
        func openedDatabase() throws -> LogDatabase {
            if let db { return db }
            let opened = try database.open(create: true)
            db = opened
            return opened
        }
        if let db, try db.topicExists(topic), try db.isClosed(topic: topic) {
            throw StreamLogError(.topicClosed, "topic \(quoted(topic)) is closed; nothing more can be sent to it")
        }
        var info = stat()
        let inputSize: Int64? = fstat(STDIN_FILENO, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG ? Int64(info.st_size) : nil
        let progress = ProgressBar(label: "send", total: inputSize, unit: inputSize == nil ? .events : .bytes)
        defer { progress.finish() }
        let lines = InputLines()
        let metadata = meta.metadata
        let placement = self.placement
        let batchSize = self.batchSize
        var events: [Event] = []
        var objects: [PendingObject] = []
        var batchBytes = 0
        var sent: Int64 = 0
        var deadline: ContinuousClock.Instant?
        events.reserveCapacity(min(batchSize, 65536))

        func commit() throws {
            guard !events.isEmpty else { return }
            try openedDatabase().append(events, objects: objects, to: topic)
            sent += Int64(events.count)
            progress.update(inputSize == nil ? sent : lines.bytesRead)
            events.removeAll(keepingCapacity: true)
            objects.removeAll(keepingCapacity: true)
            batchBytes = 0
            deadline = nil
        }

        while true {
            switch try lines.next(until: deadline) {
            case .line(let payload):
                if events.isEmpty { deadline = ContinuousClock.now + Self.inputPause }
                events.append(placement.event(for: payload, metadata: metadata, objects: &objects))
                batchBytes += payload.count
                if events.count >= batchSize || batchBytes >= Self.batchByteLimit { try commit() }
            case .timedOut:
                try commit()
            case .end:
                try commit()
                // Empty input still leaves the topic behind, as sending to it would have.
                if sent == 0 { try openedDatabase().createTopic(topic) }
                return
            }
        }
    }
}
