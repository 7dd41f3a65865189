import Foundation

/// Random object keys at a few nanoseconds each: xoshiro256** seeded from the system CSPRNG.
///
/// Keys must be unique, not secret: 122 random bits from a generator with a 256-bit state seeded
/// per process make a collision as unlikely as with `UUID()`, at a fraction of its cost.
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

    /// The next key, laid out as a version 4, variant 1 UUID.
    func next() -> ObjectKey {
        lock.lock()
        let high = step()
        let low = step()
        lock.unlock()
        return ObjectKey(
            high: (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000,
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
