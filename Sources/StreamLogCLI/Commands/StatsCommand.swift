import ArgumentParser
import Foundation
import StreamLog

/// `streamlog stats`: sizes and counts of the whole file.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show the file's sizes (file, WAL) and counts (topics, events, objects, consumers).",
        discussion: """
            "events" and "bytes" count retained object events of every topic, as `topics` does; \
            "objects" and "object_bytes" are this file's object store; "free_pages" is what \
            `gc --vacuum` would give back.

            Examples:
              streamlog stats
              streamlog stats --json
            """)

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Print the figures as one JSON object.")
    var json = false

    func run() throws {
        let db = try database.open()
        let file = try db.fileStats()
        let topics = try db.allTopicStats()
        let events = topics.reduce(0) { $0 + $1.events }
        let bytes = topics.reduce(Int64(0)) { $0 + $1.bytes }
        let figures: [(key: String, value: Int64, text: String)] = [
            ("file_bytes", file.fileBytes, ByteCount.format(file.fileBytes)),
            ("wal_bytes", file.walBytes, ByteCount.format(file.walBytes)),
            ("page_size", file.pageSize, "\(file.pageSize) B"),
            ("pages", file.pageCount, "\(file.pageCount)"),
            ("free_pages", file.freePages, "\(file.freePages)"),
            ("schema_version", file.schemaVersion, "\(file.schemaVersion)"),
            ("topics", Int64(file.topics), "\(file.topics)"),
            ("closed_topics", Int64(file.closedTopics), "\(file.closedTopics)"),
            ("events", Int64(events), "\(events)"),
            ("bytes", bytes, ByteCount.format(bytes)),
            ("objects", Int64(file.objects), "\(file.objects)"),
            ("object_bytes", file.objectBytes, ByteCount.format(file.objectBytes)),
            ("evicted_objects", Int64(file.evictedObjects), "\(file.evictedObjects)"),
            ("consumers", Int64(file.consumers), "\(file.consumers)"),
            ("groups", Int64(file.groups), "\(file.groups)"),
        ]
        let output = OutputWriter()
        if json {
            JSONText.appendASCII("{\"path\":", to: &output.buffer)
            JSONText.appendString(database.path, to: &output.buffer)
            for figure in figures {
                output.buffer.append(UInt8(ascii: ","))
                JSONText.appendString(figure.key, to: &output.buffer)
                output.buffer.append(UInt8(ascii: ":"))
                JSONText.appendInteger(figure.value, to: &output.buffer)
            }
            JSONText.appendASCII("}\n", to: &output.buffer)
        } else {
            var table = TextTable([("", .left), ("", .right)])
            table.append(["path", database.path])
            for figure in figures { table.append([figure.key.replacingOccurrences(of: "_", with: " "), figure.text]) }
            output.write(String(table.text.drop(while: { $0 != "\n" }).dropFirst()))
        }
        try output.flush()
    }
}
