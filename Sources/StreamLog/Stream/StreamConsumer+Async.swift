import Foundation

extension StreamConsumer {
    /// The objects of the stream, fetched eagerly, for `for try await`; ends at end of stream.
    public var objects: AsyncConsumerSequence<T> {
        AsyncConsumerSequence(consumer: self) { consumer, timeout in
            try consumer.nextObject(timeout: timeout)
        }
    }

    /// The deliveries of the stream (items unresolved, with metadata), for `for try await`.
    public var deliveries: AsyncConsumerSequence<Delivery> {
        AsyncConsumerSequence(consumer: self) { consumer, timeout in try consumer.nextDelivery(timeout: timeout) }
    }
}

/// An `AsyncSequence` over a ``StreamConsumer`` that never blocks the cooperative thread pool:
/// each wait runs on the consumer's own dispatch queue, in slices so task cancellation is seen.
public struct AsyncConsumerSequence<Element: Sendable>: AsyncSequence, Sendable {
    fileprivate let next: @Sendable (Duration) throws -> Element?
    fileprivate let isFinished: @Sendable () -> Bool
    fileprivate let queue: DispatchQueue

    fileprivate init<T>(consumer: StreamConsumer<T>, next: @escaping @Sendable (StreamConsumer<T>, Duration?) throws -> Element?) {
        self.next = { try next(consumer, $0) }
        self.isFinished = { consumer.isFinished }
        self.queue = consumer.waitQueue
    }

    public func makeAsyncIterator() -> Iterator { Iterator(sequence: self) }

    /// The iterator.
    public struct Iterator: AsyncIteratorProtocol {
        fileprivate let sequence: AsyncConsumerSequence

        public mutating func next() async throws -> Element? {
            let sequence = self.sequence
            while true {
                try Task.checkCancellation()
                // Whether the stream is finished is asked on the queue too: it takes the consumer's
                // lock, which a blocking call on another thread may hold for long.
                let (element, finished): (Element?, Bool) = try await withCheckedThrowingContinuation { continuation in
                    sequence.queue.async {
                        continuation.resume(with: Result {
                            let element = try sequence.next(.milliseconds(100))
                            return (element, element == nil && sequence.isFinished())
                        })
                    }
                }
                if let element { return element }
                if finished { return nil }
            }
        }
    }
}
