import ArgumentParser
import StreamLog

/// `streamlog check`: integrity and StreamLog's invariants.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the file's integrity and StreamLog's invariants.",
        discussion: """
            Runs SQLite's integrity_check and foreign_key_check, then checks that seqs increase and \
            stay below each topic's next seq, event times never decrease, end-of-stream events are \
            single and last, every key event's object is present, evictable or recorded as evicted, chunked \
            objects add up, and consumer cursors lie within their topics. Exits 0 when healthy, 1 \
            with the list of problems otherwise.

            Examples:
              streamlog check
              streamlog check --json | jq '.problems[].message'
            """)

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Print {\"healthy\", \"topics\", \"events\", \"objects\", \"problems\": [{\"kind\", \"topic\", \"message\"}]}.")
    var json = false

    func run() throws {
        let db = try database.open()
        let progress = ProgressBar.spinner(label: "check")
        let report: CheckReport
        do {
            defer { progress.finish() }
            report = try db.check()
        }
        let output = OutputWriter()
        if json {
            JSONText.appendASCII(report.isHealthy ? "{\"healthy\":true" : "{\"healthy\":false", to: &output.buffer)
            JSONText.appendASCII(",\"topics\":", to: &output.buffer)
            JSONText.appendInteger(Int64(report.topics), to: &output.buffer)
            JSONText.appendASCII(",\"events\":", to: &output.buffer)
            JSONText.appendInteger(Int64(report.events), to: &output.buffer)
            JSONText.appendASCII(",\"objects\":", to: &output.buffer)
            JSONText.appendInteger(Int64(report.objects), to: &output.buffer)
            JSONText.appendASCII(",\"problems\":[", to: &output.buffer)
            for (index, problem) in report.problems.enumerated() {
                JSONText.appendASCII(index == 0 ? "{\"kind\":" : ",{\"kind\":", to: &output.buffer)
                JSONText.appendString(problem.kind.description, to: &output.buffer)
                JSONText.appendASCII(",\"topic\":", to: &output.buffer)
                if let topic = problem.topic {
                    JSONText.appendString(topic, to: &output.buffer)
                } else {
                    JSONText.appendASCII("null", to: &output.buffer)
                }
                JSONText.appendASCII(",\"message\":", to: &output.buffer)
                JSONText.appendString(problem.message, to: &output.buffer)
                JSONText.appendASCII("}", to: &output.buffer)
            }
            JSONText.appendASCII("]}\n", to: &output.buffer)
        } else {
            let checked = "\(report.topics) topics, \(report.events) events, \(report.objects) objects checked"
            if report.isHealthy {
                output.writeLine("ok: \(database.path) is healthy (\(checked))")
            } else {
                let count = report.problems.count
                output.writeLine("\(database.path) has \(count) problem\(count == 1 ? "" : "s") (\(checked)):")
                for problem in report.problems {
                    output.writeLine("  [\(problem.kind)] \(problem.message)")
                }
            }
        }
        try output.flush()
        if !report.isHealthy { throw ExitCode.failure }
    }
}
