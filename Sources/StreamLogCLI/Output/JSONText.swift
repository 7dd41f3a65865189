import StreamLog

/// Appends JSON text to a byte buffer without Foundation: no `JSONEncoder`, no intermediate
/// strings, so formatting an event costs a few hundred nanoseconds.
enum JSONText {
    /// Appends ASCII text as it is (keys, punctuation, literals).
    @inline(__always)
    static func appendASCII(_ text: StaticString, to buffer: inout [UInt8]) {
        text.withUTF8Buffer { buffer.append(contentsOf: $0) }
    }

    /// Appends a decimal integer.
    static func appendInteger(_ value: Int64, to buffer: inout [UInt8]) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var remaining = value.magnitude
        if remaining < 10 {
            buffer.append(UInt8(ascii: "0") + UInt8(remaining))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = digits.count
            while remaining != 0 {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    /// Appends `text` as a quoted, escaped JSON string.
    static func appendString(_ text: String, to buffer: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendString(utf8: UnsafeRawBufferPointer($0), to: &buffer) }
    }

    /// Appends bytes that are valid UTF-8 as a quoted, escaped JSON string (the library's
    /// metadata serializer does the escaping, so both write the same JSON).
    static func appendString(utf8 bytes: UnsafeRawBufferPointer, to buffer: inout [UInt8]) {
        MetadataValue.appendJSONString(utf8: bytes, to: &buffer)
    }

    /// Appends the bytes as a quoted base64 string (RFC 4648, with padding).
    static func appendBase64(_ bytes: UnsafeRawBufferPointer, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        buffer.reserveCapacity(buffer.count + (bytes.count + 2) / 3 * 4 + 1)
        var index = 0
        while index + 3 <= bytes.count {
            let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            buffer.append(base64Digits[Int(group >> 18)])
            buffer.append(base64Digits[Int(group >> 12 & 0x3F)])
            buffer.append(base64Digits[Int(group >> 6 & 0x3F)])
            buffer.append(base64Digits[Int(group & 0x3F)])
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            let group = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            buffer.append(base64Digits[Int(group >> 18)])
            buffer.append(base64Digits[Int(group >> 12 & 0x3F)])
            buffer.append(rest == 2 ? base64Digits[Int(group >> 6 & 0x3F)] : UInt8(ascii: "="))
            buffer.append(UInt8(ascii: "="))
        }
        buffer.append(UInt8(ascii: "\""))
    }

    /// Appends the key as a quoted lower-case UUID string.
    static func appendKey(_ key: ObjectKey, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        appendHex(key.high >> 32, digits: 8, to: &buffer)
        buffer.append(UInt8(ascii: "-"))
        appendHex(key.high >> 16 & 0xFFFF, digits: 4, to: &buffer)
        buffer.append(UInt8(ascii: "-"))
        appendHex(key.high & 0xFFFF, digits: 4, to: &buffer)
        buffer.append(UInt8(ascii: "-"))
        appendHex(key.low >> 48, digits: 4, to: &buffer)
        buffer.append(UInt8(ascii: "-"))
        appendHex(key.low & 0xFFFF_FFFF_FFFF, digits: 12, to: &buffer)
        buffer.append(UInt8(ascii: "\""))
    }

    private static func appendHex(_ value: UInt64, digits: Int, to buffer: inout [UInt8]) {
        var shift = (digits - 1) * 4
        while shift >= 0 {
            buffer.append(hexDigits[Int(value >> UInt64(shift) & 0xF)])
            shift -= 4
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
    private static let base64Digits: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
}
