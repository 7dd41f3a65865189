import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

@Suite struct TopicNameTests {
    static let hostile = [
        "x\"; DROP TABLE topics; --", "topic_1", "'; DELETE FROM objects; --", "naïve café ☕️ 日本語",
        "with space", "[brackets]", "`backticks`", String(repeating: "é", count: 512),
    ]

    @Test(arguments: hostile)
    func hostileNamesAreDataNotSQL(name: String) throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append([.inline(Data("decoy".utf8))], to: "decoy")  // lives in table topic_1
        try db.append([.inline(Data(name.utf8), metadata: ["name": .string(name)])], to: name)
        let events = try db.read(topic: name)
        #expect(events.count == 1)
        #expect(events.first?.payload == Data(name.utf8))
        #expect(events.first?.metadata["name"] == .string(name))
        #expect(try db.topicNames().contains(name))
        #expect(try db.read(topic: "decoy").map(\.payload) == [Data("decoy".utf8)])
    }

    @Test(arguments: ["", "a\0b", String(repeating: "x", count: TopicName.maxBytes + 1), String(repeating: "x", count: 1 << 20)])
    func invalidNamesAreRefusedClearly(name: String) throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let error = #expect(throws: StreamLogError.self) { try db.append([.inline(Data())], to: name) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("name") == true)
        #expect(try db.topicNames().isEmpty)
    }

    @Test func aDecomposedNameIsRefusedWithItsComposedForm() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let decomposed = "cafe\u{301}"
        let error = #expect(throws: StreamLogError.self) { try db.append([.inline(Data())], to: decomposed) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("normalization form C") == true)
        #expect(error?.message.contains("\"caf\u{E9}\"") == true)
        #expect(try db.topicNames().isEmpty)
        #expect(throws: StreamLogError.self) { try SQLiteSubscriber(path: dir.path(), topics: ["t"], consumer: decomposed) }
    }

    /// Swift says the two spellings are equal; SQLite tells them apart, and a handle must find
    /// exactly what a query finds, whatever it looked up before.
    @Test func aTopicIsFoundByItsExactBytesNotByCanonicalEquivalence() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        #expect(composed == decomposed)
        try db.append([.inline(Data("x".utf8))], to: composed)
        #expect(try db.read(topic: composed).count == 1)  // now in the handle's memo
        #expect(throws: StreamLogError.self) { try db.read(topic: decomposed) }
        #expect(throws: StreamLogError.self) { try LogDatabase(path: dir.path()).read(topic: decomposed) }
    }

    @Test func unknownTopicIsNamedInTheError() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let error = #expect(throws: StreamLogError.self) { try db.read(topic: "no such \"topic\"") }
        #expect(error?.code == .topicNotFound)
        #expect(error?.message.contains("no such \\\"topic\\\"") == true)
    }
}
