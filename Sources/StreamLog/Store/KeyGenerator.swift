import Foundation

/// Object keys at a few nanoseconds each, in the UUID version 7 layout: a 48-bit millisecond
/// timestamp, then 74 bits from xoshiro256** seeded from the system CSPRNG.
///
/// Keys must be unique, not secret. Leading with the time makes keys written together sort
/// together, so inserting into (and evicting from) the `objects` key index touches the same few
/// B-tree pages instead of random ones: with random (version 4) keys, a store of a few hundred
/// thousand objects outgrows SQLite's page cache and every insert becomes a random read.
final class KeyGenerator: @unchecked Sendable {  // `state` is only touched under `lock`.
    static let shared = KeyGenerator()

    private let lock = NSLock()
    private var state: (UInt64, UInt64, UInt64, UInt64)

    init() {
        var system = SystemRandomNumberGenerator()
        var seed = (system.next(), system.next(), system.next(), system.next() as UInt64)
        if seed == (0, 0, 0, 0) { seed.0 = 1 }  // the all-zero state is xoshiro's one fixed point
        state = seed
    }

    /// The next key, laid out as a version 7, variant 1 UUID.
    func next() -> ObjectKey {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let milliseconds = UInt64(now.tv_sec) &* 1000 &+ UInt64(now.tv_nsec / 1_000_000)
        lock.lock()
        let high = step()
        let low = step()
        lock.unlock()
        return ObjectKey(
            high: (milliseconds << 16) | 0x7000 | (high & 0x0FFF),
            low: (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000)
    }

    private func step() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
