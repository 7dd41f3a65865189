import Foundation

/// A predicate over an event's metadata: `true` means *drop* the event (ProxyStore semantics).
public protocol StreamFilter: Sendable {
    /// Whether to drop the event with `metadata`.
    func shouldDrop(_ metadata: Metadata) -> Bool
}

/// Never drops anything.
public struct NullFilter: StreamFilter {
    /// The filter.
    public init() {}
    public func shouldDrop(_ metadata: Metadata) -> Bool { false }
}

/// Drops each event with probability `p`, from a seedable generator (so runs can be repeated).
public final class SamplingFilter: StreamFilter, @unchecked Sendable {
    // @unchecked: the generator state is only touched under `lock`.
    /// The probability of dropping an event, in `[0, 1]`.
    public let probability: Double
    private let lock = NSLock()
    private var state: UInt64

    /// A filter dropping with probability `p`; `seed` makes its choices repeatable.
    ///
    /// - Throws: `.invalidArgument` when `p` is outside `[0, 1]`.
    public init(_ p: Double, seed: UInt64? = nil) throws {
        guard p >= 0 && p <= 1 else {
            throw StreamLogError(.invalidArgument, "sampling probability \(p) is outside [0, 1]")
        }
        probability = p
        var system = SystemRandomNumberGenerator()
        state = seed ?? system.next()
    }

    public func shouldDrop(_ metadata: Metadata) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        // splitmix64: tiny, fast, and good enough for sampling.
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) * 0x1.0p-53 < probability
    }
}

/// A filter from a closure: `ClosureFilter { $0["index"]?.intValue.map { $0 % 2 == 1 } ?? false }`.
public struct ClosureFilter: StreamFilter {
    private let predicate: @Sendable (Metadata) -> Bool
    /// A filter dropping the events for which `predicate` returns `true`.
    public init(_ predicate: @escaping @Sendable (Metadata) -> Bool) { self.predicate = predicate }
    public func shouldDrop(_ metadata: Metadata) -> Bool { predicate(metadata) }
}
