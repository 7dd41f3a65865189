import Foundation
import Testing
import StreamLog
import StreamLogTestSupport

/// Opt-in (slow, writes 1.5 GB): `STREAMLOG_LARGE_TESTS=1 swift test --filter LargeObject`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["STREAMLOG_LARGE_TESTS"] == "1"))
struct LargeObjectTests {
    @Test func aChunkedObjectOf1_5GBRoundTripsWithBoundedMemory() throws {
        let dir = try TemporaryDirectory()
        let store = try LogDatabase(path: dir.path()).objects
        let total = 1_500_000_000
        var written = 0
        var writeSum: UInt64 = 0
        let key = try store.write { buffer in
            let count = min(buffer.count, total - written)
            let words = buffer.bindMemory(to: UInt8.self)
            for index in 0..<count {
                let byte = UInt8(truncatingIfNeeded: (written + index) &* 2_654_435_761 >> 13)
                words[index] = byte
                writeSum = writeSum &* 31 &+ UInt64(byte)
            }
            written += count
            return count
        }
        var readBytes = 0
        var readSum: UInt64 = 0
        try store.read(key) { piece in
            for byte in piece { readSum = readSum &* 31 &+ UInt64(byte) }
            readBytes += piece.count
        }
        #expect(readBytes == total)
        #expect(readSum == writeSum)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let peakMiB = usage.ru_maxrss / 1024
        #expect(peakMiB < 512, "peak RSS \(peakMiB) MiB while streaming a 1.5 GB object")
        try store.evict(key)
    }
}
