import Foundation
import Testing
import StreamLog
import StreamLogTestSupport

@Suite struct TopicCloseTests {
    @Test func closeIsPersistentAndIdempotent() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path()
        do {
            let db = try LogDatabase(path: path)
            try db.append([.inline(Data("a".utf8))], to: "t")
            #expect(try db.closeTopic("t") == 2)
            #expect(try db.closeTopic("t") == nil)
            let error = #expect(throws: StreamLogError.self) { try db.append([.inline(Data())], to: "t") }
            #expect(error?.code == .topicClosed)
            #expect(error?.message.contains("closed") == true)
        }
        let other = try LogDatabase(path: path)
        #expect(try other.isClosed(topic: "t"))
        #expect(throws: StreamLogError.self) { try other.append([.inline(Data())], to: "t") }
        #expect(try other.closeTopic("t") == nil)
        let events = try other.read(topic: "t")
        #expect(events.map(\.kind) == [.object, .endOfStream])
    }

    @Test func closingAnUnknownTopicCreatesItClosed() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        #expect(try db.closeTopic("never-sent") == 1)
        #expect(try db.isClosed(topic: "never-sent"))
    }

    @Test func endOfStreamMustComeLast() throws {
        let dir = try TemporaryDirectory()
        let db = try LogDatabase(path: dir.path())
        let error = #expect(throws: StreamLogError.self) {
            try db.append([.endOfStream(), .inline(Data())], to: "t")
        }
        #expect(error?.code == .invalidArgument)
        #expect(try db.append([.inline(Data()), .endOfStream()], to: "t") == 1...2)
        #expect(try db.isClosed(topic: "t"))
    }
}
