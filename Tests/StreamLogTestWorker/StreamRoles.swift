import Foundation
import StreamLog

/// Writes `line` and a newline to stdout at once (unbuffered), so a parent sees it immediately.
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Producer and consumer roles built on StreamProducer / StreamConsumer. Returns `false` for a
/// role it does not know.
func runStreamRole(_ role: String, _ arguments: [String]) throws -> Bool {
    switch role {
    case "produce":
        // produce DB TOPIC COUNT BATCH store|inline: sends "0"…"COUNT-1", then closes the topic.
        let publisher = try SQLitePublisher(path: arguments[1])
        let topic = arguments[2]
        let count = Int(arguments[3])!, batch = Int(arguments[4])!
        let producer = StreamProducer<String>(
            publisher: publisher, defaultStore: arguments[5] == "store" ? publisher.database.objects : nil,
            options: .init(batchSize: batch))
        for index in 0..<count { try producer.send("\(index)", to: topic) }
        try producer.close(topics: [topic])
        emit("done")
    case "consume":
        // consume DB TOPIC [NAME [MAX]]: prints each object on its own line until end of stream
        // (or MAX objects); with NAME, as that durable consumer. Prints "ready" once subscribed,
        // "end" at end of stream, "stopped" after MAX.
        let subscriber = arguments.count > 3
            ? try SQLiteSubscriber(path: arguments[1], topics: [arguments[2]], consumer: arguments[3])
            : try SQLiteSubscriber(path: arguments[1], topics: [arguments[2]])
        let limit = arguments.count > 4 ? Int(arguments[4])! : Int.max
        let consumer = StreamConsumer<String>(subscriber: subscriber)
        emit("ready")
        var count = 0
        while count < limit, let object = try consumer.nextObject() {
            emit(object)
            count += 1
        }
        let finished = consumer.isFinished
        try consumer.close()
        emit(finished ? "end" : "stopped")
    case "echo-latency":
        // echo-latency DB TOPIC: prints "<now µs> <payload>" for each object until end of stream.
        let consumer = StreamConsumer<String>(subscriber: try SQLiteSubscriber(path: arguments[1], topics: [arguments[2]]))
        emit("ready")
        while let object = try consumer.nextObject() { emit("\(Timestamp.now().microsecondsSinceEpoch) \(object)") }
        emit("end")
    default:
        return false
    }
    return true
}
