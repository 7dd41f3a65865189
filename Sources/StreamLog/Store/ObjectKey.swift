import Foundation

/// The key of an object in an object store: 16 bytes, shown as a UUID.
///
/// New keys are version 7 UUIDs (a millisecond timestamp, then random bits): ``ObjectKey/random()``
/// draws them from a fast generator seeded once from the system CSPRNG, since Foundation's
/// `UUID()` reads `/dev/urandom` on every call (≈ 3 µs here), too slow for the per-object path.
public struct ObjectKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The first 8 bytes, big-endian.
    public let high: UInt64
    /// The last 8 bytes, big-endian.
    public let low: UInt64

    /// A key from its two 64-bit halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A key from exactly 16 bytes; `nil` for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(high: high, low: low)
    }

    /// A key from its UUID text form (`8-4-4-4-12` hexadecimal digits, any case).
    public init?(uuidString: String) {
        guard let uuid = UUID(uuidString: uuidString) else { return nil }
        self.init(uuid)
    }

    /// The key with the same 16 bytes as `uuid`.
    public init(_ uuid: UUID) {
        let u = uuid.uuid
        self.init(bytes: [u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15])!
    }

    /// A new random key.
    public static func random() -> ObjectKey { KeyGenerator.shared.next() }

    /// The 16 bytes, in order.
    public var bytes: [UInt8] {
        var result = [UInt8](repeating: 0, count: 16)
        withBytes { source in result.withUnsafeMutableBytes { $0.copyMemory(from: source) } }
        return result
    }

    /// Calls `body` with the 16 bytes, without allocating.
    public func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        var pair = (high.bigEndian, low.bigEndian)
        return try withUnsafeBytes(of: &pair) { try body($0) }
    }

    /// The key as a Foundation `UUID`.
    public var uuid: UUID {
        let b = bytes
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }

    /// Lower-case UUID text, e.g. `1b4e28ba-2fa1-41d2-883f-0016d3cca427`.
    public var description: String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text.append(45) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    public static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}
