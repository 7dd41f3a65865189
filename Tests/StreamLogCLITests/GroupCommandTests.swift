import Foundation
import StreamLog
import Testing
import StreamLogTestSupport

/// `consume --group` in parallel processes, and `dlq`.
@Suite struct GroupCommandTests {
    /// The parsed lines of a finished member's output.
    func lines(of result: (status: Int32, stdout: String, stderr: String)) throws -> [[String: MetadataValue]] {
        try result.stdout.split(separator: "\n").map { line in
            try #require(MetadataValue(json: String(line)).objectValue, "not a JSON object: \(line)")
        }
    }

    /// The `cursors --json` row of `group`.
    func groupRow(_ db: String, _ group: String) throws -> MetadataValue? {
        try succeed(["cursors", "--json", "--db", db]).json().arrayValue?.first {
            $0["consumer"]?.stringValue == group && $0["group"] == true
        }
    }

    @Test func threeMembersShareTheEventsAndAllStopAtEndOfStream() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        let total = 3000
        try succeed(["send", "t", "--db", db, "--data", "1"])
        let members = try (1...3).map { member in
            try BackgroundStreamlog(["consume", "t", "--group", "g", "--consumer", "w\(member)", "--follow", "--db", db])
        }
        // The events arrive while the members run, in small batches.
        let sender = try BackgroundStreamlog(["send", "t", "--db", db, "--batch-size", "20"])
        sender.write((2...total).map { "\($0)\n" }.joined())
        try sender.closeInput()
        #expect(try #require(sender.waitForExit(timeout: .seconds(60))).status == 0)
        try succeed(["close", "t", "--db", db])

        var printed: [Int64] = []
        for member in members {
            let result = try #require(member.waitForExit(timeout: .seconds(60)), "a member did not stop at end-of-stream")
            #expect(result.status == 0 && result.stderr.isEmpty, "\(result.stderr)")
            let output = try lines(of: result)
            #expect(output.last?["type"] == "end", "every member prints the end line last")
            #expect(output.dropLast().allSatisfy { $0["type"] == "object" })
            printed += seqs(Array(output.dropLast()))
        }
        #expect(printed.count == total, "each event printed exactly once overall")
        #expect(printed.sorted() == Array(1...Int64(total)))
        #expect(try groupRow(db, "g") == ["consumer": "g", "topic": "t", "position": .int(Int64(total)), "lag": 0, "group": true, "in_flight": 0])
    }

    @Test func membersWithMaxSplitTheWorkExactly() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db], stdin: input((1...3000).map { "\($0)" }))
        try succeed(["close", "t", "--db", db])
        // Shares that are not multiples of a claim batch.
        let shares = [1234, 1000, 766]
        let members = try shares.enumerated().map { member, share in
            try BackgroundStreamlog(["consume", "t", "--group", "g", "--consumer", "w\(member)", "--max", "\(share)", "--db", db])
        }
        var printed: [Int64] = []
        for (member, share) in zip(members, shares) {
            let result = try #require(member.waitForExit(timeout: .seconds(60)))
            #expect(result.status == 0, "\(result.stderr)")
            let output = try lines(of: result)
            // Each claims at most what is left of its --max, so each gets exactly its share and
            // none reaches the end-of-stream event while events are left.
            #expect(output.count == share && output.allSatisfy { $0["type"] == "object" })
            printed += seqs(output)
        }
        #expect(printed.sorted() == Array(1...3000))
        #expect(try groupRow(db, "g")?["in_flight"] == 0)
        #expect(try groupRow(db, "g")?["lag"] == 0)
        // A member arriving now has only the end-of-stream line.
        let late = try succeed(["consume", "t", "--group", "g", "--consumer", "w4", "--db", db]).jsonLines()
        #expect(late.map { $0["type"] } == ["end"] && seqs(late) == [3001])
    }

    @Test func anExpiredLeaseGoesToTheNextMember() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        try succeed(["send", "t", "--db", path], stdin: input(["a", "b", "c"]))
        try succeed(["close", "t", "--db", path])
        do {
            // A member that claims event 1 and dies. (The lease must outlast the next two
            // commands, even on a loaded machine.)
            let db = try LogDatabase(path: path)
            defer { db.close() }
            let claimed = try db.claim(group: "g", topic: "t", member: "gone", limit: 1, lease: .seconds(5))
            #expect(claimed.map(\.event.seq) == [1])
        }
        // Event 1 is leased elsewhere: this member takes the rest and stops at end-of-stream
        // without waiting for it.
        let first = try succeed(["consume", "t", "--group", "g", "--consumer", "w", "--db", path]).jsonLines()
        #expect(seqs(first) == [2, 3, 4])
        #expect(try groupRow(path, "g")?["in_flight"] == 1)
        #expect(waitUntil { (try? groupRow(path, "g")?["in_flight"]) == 0 }, "the lease never ended")
        let second = try succeed(["consume", "t", "--group", "g", "--consumer", "w", "--objects", "--db", path]).jsonLines()
        #expect(seqs(second) == [1, 4])
        #expect(second.first?["data"] == "a")
        #expect(try groupRow(path, "g") == ["consumer": "g", "topic": "t", "position": 3, "lag": 0, "group": true, "in_flight": 0])
    }

    @Test func aClosedStandardOutputGivesUnprintedEventsBack() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        // Far more than a pipe holds, so writing fails once the reader is gone.
        try succeed(["send", "t", "--db", db, "--meta", "padding=\(String(repeating: "x", count: 400))"],
                    stdin: input((1...5000).map { "\($0)" }))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        let streamlog = try builtExecutable("streamlog").path
        process.arguments = ["-o", "pipefail", "-c", "\"$0\" consume t --group g --consumer w --db \"$1\" | head -1 >/dev/null", streamlog, db]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && stderr.isEmpty, "\(String(decoding: stderr, as: UTF8.self))")
        // The batch that could not be written was given back at once, not left leased.
        let row = try #require(try groupRow(db, "g"))
        #expect(row["in_flight"] == 0, "\(row)")
        #expect((row["lag"]?.intValue ?? 0) > 0, "\(row)")
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func aFollowingMemberExitsZeroOnSignal(_ signalNumber: Int32) throws {
        let dir = try TemporaryDirectory()
        let db = dir.path()
        try succeed(["send", "t", "--db", db, "--data", "x"])
        let member = try BackgroundStreamlog(["consume", "t", "--group", "g", "--consumer", "w", "--follow", "--db", db])
        #expect(waitUntil { member.lines.count == 1 })
        #expect(waitUntil { (try? groupRow(db, "g")?["lag"]) == 0 }, "the printed event was not acked")
        member.signal(signalNumber)
        let result = try #require(member.waitForExit())
        #expect(result.status == 0 && result.stderr.isEmpty, "\(result)")
        #expect(member.process.terminationReason == .exit)
    }

    @Test func dlqListsAndRedrivesDeadLetters() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        try succeed(["send", "t", "--db", path, "--meta", "kind=resize"], stdin: input(["a", "b", "c"]))
        #expect(try fail(["dlq", "t", "--group", "g", "--db", path]).contains("\"g\""))
        do {
            // A worker that gives up on event 2 after its single allowed delivery.
            let db = try LogDatabase(path: path)
            defer { db.close() }
            try db.createGroup("g", topic: "t", options: .init(maxDeliveries: 1))
            let claimed = try db.claim(group: "g", topic: "t", member: "m", limit: 2)
            try db.ack(claimed[0].receipt)
            try db.nack(claimed[1].receipt, error: "image too large")
        }
        let letters = try succeed(["dlq", "t", "--group", "g", "list", "--json", "--db", path]).json()
        let letter = try #require(letters.arrayValue?.first?.objectValue)
        #expect(letters.arrayValue?.count == 1)
        #expect(Set(letter.keys) == ["topic", "group", "seq", "attempts", "error", "dead_lettered_at", "dead_letter_seq", "metadata", "size"])
        #expect(letter["topic"] == "t" && letter["group"] == "g" && letter["seq"] == 2 && letter["attempts"] == 1)
        #expect(letter["error"] == "image too large" && letter["dead_letter_seq"] == 1 && letter["size"] == 1)
        #expect(letter["metadata"] == ["kind": "resize"])
        #expect(isRFC3339UTC(letter["dead_lettered_at"]?.stringValue))
        let text = try succeed(["dlq", "t", "--group", "g", "--db", path]).output
        #expect(text.contains("image too large") && text.contains("ATTEMPTS"), "\(text)")

        // The dead event is not delivered again; after a redrive it is.
        #expect(seqs(try succeed(["consume", "t", "--group", "g", "--consumer", "w", "--db", path]).jsonLines()) == [3])
        let redriven = try succeed(["dlq", "t", "--group", "g", "redrive", "--json", "--db", path]).json()
        #expect(redriven == ["topic": "t", "group": "g", "released": 1, "reappended": 0, "kept": 0])
        #expect(try succeed(["dlq", "t", "--group", "g", "--json", "--db", path]).json() == [])
        let again = try succeed(["consume", "t", "--group", "g", "--consumer", "w", "--objects", "--db", path]).jsonLines()
        #expect(seqs(again) == [2] && again.first?["data"] == "b")
        #expect(try succeed(["dlq", "t", "--group", "g", "redrive", "--db", path]).output.contains("redrove 0"))
    }
}
