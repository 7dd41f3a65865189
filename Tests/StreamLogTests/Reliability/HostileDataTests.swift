import Foundation
import Testing
@testable import StreamLog
import StreamLogTestSupport

/// Hostile metadata and events: what a caller may hand to `append`, and what another program may
/// have written into the file's rows. Each is either stored and read back intact or answered
/// with a clear `StreamLogError` naming the topic and seq, and never leaves an event that cannot
/// be read.
@Suite struct HostileDataTests {
    /// `depth` nested arrays around an empty array, built without recursion.
    static func nested(_ depth: Int) -> MetadataValue {
        var value: MetadataValue = []
        for _ in 1..<depth { value = [value] }
        return value
    }

    @Test func tenMegabytesOfMetadataRoundTrip() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let large = String(repeating: "m", count: 10 << 20)
        let many = Metadata(uniqueKeysWithValues: (0..<50_000).map { ("key\($0)", MetadataValue.int(Int64($0))) })
        try db.append([.inline(Data("a".utf8), metadata: ["large": .string(large)]), .inline(Data("b".utf8), metadata: many)],
                      to: "t")
        let events = try db.read(topic: "t")
        #expect(events.first?.metadata["large"] == .string(large))
        #expect(events.last?.metadata == many)
        let consumer = StreamConsumer<String>(subscriber: try SQLiteSubscriber(path: dir.path(), topics: ["t"]))
        #expect(try consumer.nextObjectWithMetadata(timeout: .seconds(5))?.metadata["large"] == .string(large))
    }

    /// Metadata nested deeper than the parser reads back would make an event no consumer can
    /// read: it is refused when appended, and nothing of the batch is written.
    @Test(arguments: [MetadataValue.maximumNestingDepth + 1, 2000])
    func metadataNestedBeyondTheLimitIsRefusedAtAppend(depth: Int) throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append([.inline(Data("before".utf8))], to: "t")
        let error = #expect(throws: StreamLogError.self) {
            try db.append([.inline(Data("ok".utf8)), .inline(Data("deep".utf8), metadata: ["deep": Self.nested(depth)])], to: "t")
        }
        #expect(error?.code == .invalidArgument, "\(String(describing: error))")
        #expect(error?.message.contains("\(MetadataValue.maximumNestingDepth)") == true, "\(String(describing: error))")
        #expect(error?.message.contains("\"t\"") == true, "\(String(describing: error))")
        #expect(texts(try db.read(topic: "t")) == ["before"])
        // The deepest metadata that is accepted reads back.
        let deepest = Self.nested(MetadataValue.maximumNestingDepth - 1)
        try db.append([.inline(Data("deepest".utf8), metadata: ["deep": deepest])], to: "t")
        #expect(try db.read(topic: "t").last?.metadata["deep"] == deepest)
    }

    /// Rows written by another program (past the schema's CHECK constraints): each bad one is a
    /// clear error naming the topic and seq when it is read.
    @Test(arguments: [
        ("metadata", "'[1,2]'", StreamLogError.Code.codec, "not a JSON object"),
        ("metadata", "'{\"a\":'", .codec, "not a JSON object"),
        ("metadata", "'{\"a\":\"' || char(55296) || '\"}'", .codec, "not a JSON object"),
        ("metadata", "'{\"a\":' || replace(hex(zeroblob(600)), '00', '[') || '1'", .codec, "nesting"),
        ("type", "7", .corrupt, "unknown type 7"),
        ("key", "x'0102'", .corrupt, "2-byte key"),
    ])
    func aHostileStoredRowIsAClearErrorNamingTopicAndSeq(column: String, value: String, code: StreamLogError.Code, words: String)
        throws
    {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        try db.append(numberedEvents(3), to: "hostile \"topic\"")
        try db.withConnection {
            try $0.execute("PRAGMA ignore_check_constraints = 1; UPDATE topic_1 SET \(column) = \(value) WHERE seq = 2")
        }
        let error = #expect(throws: StreamLogError.self) { try db.read(topic: "hostile \"topic\"") }
        #expect(error?.code == code, "\(String(describing: error))")
        #expect(error?.message.contains("event 2 of topic \"hostile \\\"topic\\\"\"") == true, "\(String(describing: error))")
        #expect(error?.message.contains(words) == true, "\(String(describing: error))")
        // The events around it stay readable.
        #expect(texts(try db.read(topic: "hostile \"topic\"", limit: 1)) == ["0"])
        #expect(texts(try db.read(topic: "hostile \"topic\"", after: 2)) == ["2"])
    }

    /// An encoding tag no codec knows (another program's, or garbage): the consumer's error
    /// names the topic, the seq and the tag, for inline and stored objects alike.
    @Test(arguments: ["zstd+cbor", "\u{1}\"; DROP TABLE x", String(repeating: "t", count: 100_000)])
    func anUnknownEncodingTagIsAClearConsumerError(tag: String) throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let key = try db.objects.put(Data("stored".utf8), encoding: tag)
        try db.append([.inline(Data("inline".utf8), encoding: tag), .stored(key: key, size: 6, encoding: tag, evict: false)],
                      to: "t")
        let consumer = StreamConsumer<String>(subscriber: try SQLiteSubscriber(path: dir.path(), topics: ["t"]))
        for seq in 1...2 {
            let error = #expect(throws: StreamLogError.self) { try consumer.nextObject(timeout: .seconds(5)) }
            #expect(error?.code == .codec, "\(String(describing: error))")
            #expect(error?.message.contains("event \(seq) of topic \"t\"") == true, "\(String(describing: error))")
            #expect(error?.message.contains(quoted(tag)) == true, "\(String(describing: error))")
            #expect((error?.message.utf8.count ?? 0) < 1000, "the message should not carry the whole tag")
        }
        // Bytes are bytes whatever the tag says.
        let raw = StreamConsumer<Data>(subscriber: try SQLiteSubscriber(path: dir.path(), topics: ["t"]))
        #expect(try raw.nextObject(timeout: .seconds(5)) == Data("inline".utf8))
        #expect(try raw.nextObject(timeout: .seconds(5)) == Data("stored".utf8))
    }
}
