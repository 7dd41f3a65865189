import ArgumentParser
import StreamLog

/// `streamlog cursors`: durable consumers and groups with their position and lag.
struct CursorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cursors",
        abstract: "List durable consumers and groups with their position and lag.",
        discussion: """
            "position" is the seq of the last acknowledged event (0 before any); for a group, every \
            event up to it is acked or dead-lettered. "lag" counts the object events left to \
            consume (after the position; for a group, those not acked, in flight included). A \
            group is one row whose "consumer" is the group's name, with "group": true and \
            "in_flight", the events leased to members right now.

            Examples:
              streamlog cursors
              streamlog cursors --json
            """)

    @OptionGroup var database: DatabaseOptions

    @Flag(
        help: """
            Print a JSON array of {"consumer", "topic", "position", "lag"}, with "group": true and \
            "in_flight" for groups.
            """)
    var json = false

    func run() throws {
        let cursors = try database.open().cursors()
        let output = OutputWriter()
        if json {
            output.buffer.append(UInt8(ascii: "["))
            for (index, cursor) in cursors.enumerated() {
                JSONText.appendASCII(index == 0 ? "\n  " : ",\n  ", to: &output.buffer)
                Self.appendJSON(cursor, to: &output.buffer)
            }
            JSONText.appendASCII(cursors.isEmpty ? "]\n" : "\n]\n", to: &output.buffer)
        } else if cursors.isEmpty {
            output.writeLine("no consumers or groups in \(database.path)")
        } else {
            var table = TextTable([
                ("TOPIC", .left), ("CONSUMER", .left), ("KIND", .left), ("POSITION", .right), ("LAG", .right),
                ("IN FLIGHT", .right),
            ])
            for cursor in cursors {
                table.append([
                    displayName(cursor.topic), displayName(cursor.name), cursor.isGroup ? "group" : "consumer",
                    "\(cursor.position)", "\(cursor.lag.events)", cursor.isGroup ? "\(cursor.inFlight)" : "-",
                ])
            }
            output.write(table.text)
        }
        try output.flush()
    }

    /// `{"consumer":…,"topic":…,"position":…,"lag":…}`, plus `"group":true,"in_flight":…` for a group.
    static func appendJSON(_ cursor: LogDatabase.ConsumerInfo, to buffer: inout [UInt8]) {
        JSONText.appendASCII("{\"consumer\":", to: &buffer)
        JSONText.appendString(cursor.name, to: &buffer)
        JSONText.appendASCII(",\"topic\":", to: &buffer)
        JSONText.appendString(cursor.topic, to: &buffer)
        JSONText.appendASCII(",\"position\":", to: &buffer)
        JSONText.appendInteger(cursor.position, to: &buffer)
        JSONText.appendASCII(",\"lag\":", to: &buffer)
        JSONText.appendInteger(Int64(cursor.lag.events), to: &buffer)
        if cursor.isGroup {
            JSONText.appendASCII(",\"group\":true,\"in_flight\":", to: &buffer)
            JSONText.appendInteger(Int64(cursor.inFlight), to: &buffer)
        }
        buffer.append(UInt8(ascii: "}"))
    }
}
