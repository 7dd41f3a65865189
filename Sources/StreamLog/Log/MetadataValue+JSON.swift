// Hand-written JSON for metadata. Metadata is encoded and decoded for every entry appended or
// read, and Foundation's JSONEncoder/JSONSerialization cost several microseconds per call, so
// this file works directly on UTF-8 bytes.

/// A failure to parse JSON metadata, naming the problem and the byte offset where it was found.
public struct MetadataJSONError: Error, Sendable, CustomStringConvertible {
    /// The zero-based byte offset into the input at which the problem was found.
    public let offset: Int
    /// What was wrong, without the location, e.g. "expected ':' after object key, found '1'".
    public let reason: String

    /// The full message, e.g. "invalid JSON at byte 12: expected ':' after object key, found '1'".
    public var description: String {
        "invalid JSON at byte \(offset): \(reason)"
    }
}

// MARK: - Public API

extension MetadataValue {
    /// The deepest nesting of arrays and objects the parser accepts; deeper input is rejected
    /// rather than risking a stack overflow in the recursive parser.
    public static let maximumNestingDepth = 512

    /// Parses one JSON value (RFC 8259) from text.
    ///
    /// Numbers without fraction or exponent that fit in `Int64` become `.int`, all others
    /// `.double`; a number too large for a double is an error. A repeated object key keeps its
    /// last value, and nesting deeper than `maximumNestingDepth` is an error.
    public init(json: String) throws(MetadataJSONError) {
        try self.init(jsonBytes: json.utf8)
    }

    /// Parses one JSON value (RFC 8259) from UTF-8 bytes, rejecting invalid UTF-8.
    @inlinable
    public init(jsonBytes: some Collection<UInt8>) throws(MetadataJSONError) {
        self = try Self.withContiguousBytes(jsonBytes, Self.parseValue).get()
    }

    /// Parses `text` as JSON if it is valid JSON, and otherwise takes it as a plain string.
    ///
    /// This is how the command line reads metadata values: `3` is a number, `"3"` (with quotes)
    /// and `abc` are strings, and `NaN` stays a string because it is not JSON.
    public init(jsonOrString text: String) {
        self = (try? MetadataValue(json: text)) ?? .string(text)
    }

    /// Parses JSON text whose top-level value must be an object.
    public static func parseMetadata(json: String) throws(MetadataJSONError) -> Metadata {
        try parseMetadata(jsonBytes: json.utf8)
    }

    /// Parses UTF-8 JSON bytes whose top-level value must be an object.
    @inlinable
    public static func parseMetadata(jsonBytes: some Collection<UInt8>) throws(MetadataJSONError) -> Metadata {
        try withContiguousBytes(jsonBytes, parseObject).get()
    }

    /// Encodes the value as compact JSON with object keys sorted by their UTF-8 bytes.
    ///
    /// The output is deterministic and parses back to an identical value, except that NaN and
    /// infinities, which JSON cannot express, encode as `null`.
    public func jsonString() -> String {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(Self.initialBufferCapacity)
        appendJSON(to: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Encodes metadata as a compact JSON object with keys sorted by their UTF-8 bytes.
    public static func jsonString(of metadata: Metadata) -> String {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(initialBufferCapacity)
        appendJSON(of: metadata, to: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Appends the value's compact JSON encoding to `buffer` as UTF-8.
    public func appendJSON(to buffer: inout [UInt8]) {
        switch self {
        case .null:
            Self.appendASCII("null", to: &buffer)
        case .bool(let value):
            Self.appendASCII(value ? "true" : "false", to: &buffer)
        case .int(let value):
            Self.appendInteger(value, to: &buffer)
        case .double(let value):
            Self.appendDouble(value, to: &buffer)
        case .string(let value):
            Self.appendString(value, to: &buffer)
        case .array(let elements):
            buffer.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { buffer.append(UInt8(ascii: ",")) }
                element.appendJSON(to: &buffer)
            }
            buffer.append(UInt8(ascii: "]"))
        case .object(let members):
            Self.appendJSON(of: members, to: &buffer)
        }
    }

    /// Appends metadata's compact JSON object encoding to `buffer` as UTF-8.
    public static func appendJSON(of metadata: Metadata, to buffer: inout [UInt8]) {
        // Dictionary order depends on a per-process hash seed; sorting makes the text deterministic.
        let members = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        buffer.append(UInt8(ascii: "{"))
        for (position, member) in members.enumerated() {
            if position > 0 { buffer.append(UInt8(ascii: ",")) }
            appendString(member.key, to: &buffer)
            buffer.append(UInt8(ascii: ":"))
            member.value.appendJSON(to: &buffer)
        }
        buffer.append(UInt8(ascii: "}"))
    }
}

extension MetadataValue: CustomStringConvertible {
    /// The value's compact JSON encoding.
    public var description: String {
        jsonString()
    }
}

// MARK: - Encoding helpers

extension MetadataValue {
    /// Large enough that typical metadata encodes without the buffer growing.
    private static let initialBufferCapacity = 128

    private static func appendASCII(_ text: StaticString, to buffer: inout [UInt8]) {
        text.withUTF8Buffer { buffer.append(contentsOf: $0) }
    }

    private static func appendInteger(_ value: Int64, to buffer: inout [UInt8]) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        // Working on the magnitude keeps Int64.min exact; 20 digits hold any UInt64.
        var remaining = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            } while remaining != 0
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    private static func appendDouble(_ value: Double, to buffer: inout [UInt8]) {
        // JSON has no NaN or infinity.
        guard value.isFinite else {
            appendASCII("null", to: &buffer)
            return
        }
        // Swift prints the shortest text that reads back as the same Double, always with a '.' or
        // an exponent ("3.0", "1e-05", "1e+300"), which is valid JSON and re-parses as a double
        // rather than an integer.
        buffer.append(contentsOf: value.description.utf8)
    }

    private static func appendString(_ string: String, to buffer: inout [UInt8]) {
        var string = string
        string.withUTF8 { appendJSONString(utf8: UnsafeRawBufferPointer($0), to: &buffer) }
    }

    /// Appends bytes that are valid UTF-8 as a quoted JSON string, escaping `"`, `\\` and control
    /// characters (RFC 8259); other characters are copied as raw UTF-8.
    public static func appendJSONString(utf8: UnsafeRawBufferPointer, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        // Copy runs of bytes that need no escaping in one go.
        var runStart = 0
        for position in utf8.indices {
            let byte = utf8[position]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: utf8[runStart..<position]))
            appendEscape(for: byte, to: &buffer)
            runStart = position + 1
        }
        buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: utf8[runStart...]))
        buffer.append(UInt8(ascii: "\""))
    }

    private static func appendEscape(for byte: UInt8, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): buffer.append(byte)
        case 0x08: buffer.append(UInt8(ascii: "b"))
        case 0x09: buffer.append(UInt8(ascii: "t"))
        case 0x0A: buffer.append(UInt8(ascii: "n"))
        case 0x0C: buffer.append(UInt8(ascii: "f"))
        case 0x0D: buffer.append(UInt8(ascii: "r"))
        default:
            appendASCII("u00", to: &buffer)
            buffer.append(hexDigit(byte >> 4))
            buffer.append(hexDigit(byte & 0x0F))
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}

// MARK: - Parsing

// The byte-collection entry points are inlinable so that callers in other modules get them
// specialized for their concrete collection; unspecialized generic calls cost about a third more
// on small metadata. The parsing itself stays behind the non-generic functions below.
extension MetadataValue {
    /// Hands `parse` the bytes as one contiguous buffer, copying them only if they are not already.
    ///
    /// The parse functions return a Result rather than throwing so that the error type survives
    /// the rethrowing `withContiguousStorageIfAvailable`.
    @inlinable
    static func withContiguousBytes<Parsed>(
        _ bytes: some Collection<UInt8>,
        _ parse: (UnsafeBufferPointer<UInt8>) -> Result<Parsed, MetadataJSONError>
    ) -> Result<Parsed, MetadataJSONError> {
        bytes.withContiguousStorageIfAvailable(parse) ?? Array(bytes).withUnsafeBufferPointer(parse)
    }

    /// Parses the whole buffer as one JSON value.
    @usableFromInline
    static func parseValue(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<MetadataValue, MetadataJSONError> {
        var parser = MetadataJSONParser(bytes: bytes)
        return Result { () throws(MetadataJSONError) in try parser.parseDocument() }
    }

    /// Parses the whole buffer as one JSON object.
    @usableFromInline
    static func parseObject(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<Metadata, MetadataJSONError> {
        var parser = MetadataJSONParser(bytes: bytes)
        return Result { () throws(MetadataJSONError) in try parser.parseObjectDocument() }
    }
}

/// A strict RFC 8259 recursive-descent parser over UTF-8 bytes.
private struct MetadataJSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    /// The offset of the next byte to read.
    var index = 0
    /// How many arrays and objects enclose the current position.
    var depth = 0
    /// Reused across strings that contain escapes, so unescaping does not allocate per string.
    var unescaped: [UInt8] = []

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Parses the whole input as one JSON value.
    mutating func parseDocument() throws(MetadataJSONError) -> MetadataValue {
        skipWhitespace()
        let value = try parseValue()
        try finishDocument()
        return value
    }

    /// Parses the whole input as one JSON object.
    mutating func parseObjectDocument() throws(MetadataJSONError) -> [String: MetadataValue] {
        skipWhitespace()
        guard isAt(UInt8(ascii: "{")) else { throw expected("a JSON object") }
        let members = try parseObject()
        try finishDocument()
        return members
    }

    private mutating func finishDocument() throws(MetadataJSONError) {
        skipWhitespace()
        guard index == bytes.count else { throw expected("end of input after the JSON value") }
    }

    // MARK: Values

    private mutating func parseValue() throws(MetadataJSONError) -> MetadataValue {
        guard index < bytes.count else { throw expected("a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            return .object(try parseObject())
        case UInt8(ascii: "["):
            return try parseArray()
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try parseLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try parseLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try parseLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        default:
            throw expected("a value")
        }
    }

    private mutating func parseLiteral(_ literal: StaticString) throws(MetadataJSONError) {
        let matches = literal.withUTF8Buffer { literalBytes in
            bytes.count - index >= literalBytes.count
                && literalBytes.indices.allSatisfy { bytes[index + $0] == literalBytes[$0] }
        }
        guard matches else { throw failure("invalid literal, expected '\(literal)'") }
        index += literal.utf8CodeUnitCount
    }

    private mutating func parseArray() throws(MetadataJSONError) -> MetadataValue {
        try enterContainer()
        var elements: [MetadataValue] = []
        skipWhitespace()
        if isAt(UInt8(ascii: "]")) {
            closeContainer()
            return .array(elements)
        }
        while true {
            elements.append(try parseValue())
            skipWhitespace()
            if isAt(UInt8(ascii: ",")) {
                index += 1
                skipWhitespace()
            } else if isAt(UInt8(ascii: "]")) {
                closeContainer()
                return .array(elements)
            } else {
                throw expected("',' or ']' after array element")
            }
        }
    }

    private mutating func parseObject() throws(MetadataJSONError) -> [String: MetadataValue] {
        try enterContainer()
        var members: [String: MetadataValue] = [:]
        skipWhitespace()
        if isAt(UInt8(ascii: "}")) {
            closeContainer()
            return members
        }
        // Growing from empty reallocates at the 2nd and 4th member; starting at the size growth
        // would reach anyway makes typical small metadata a single allocation.
        members.reserveCapacity(4)
        while true {
            guard isAt(UInt8(ascii: "\"")) else { throw expected("a string as object key") }
            let key = try parseString()
            skipWhitespace()
            guard isAt(UInt8(ascii: ":")) else { throw expected("':' after object key") }
            index += 1
            skipWhitespace()
            // A repeated key keeps its last value, as most JSON implementations do.
            members[key] = try parseValue()
            skipWhitespace()
            if isAt(UInt8(ascii: ",")) {
                index += 1
                skipWhitespace()
            } else if isAt(UInt8(ascii: "}")) {
                closeContainer()
                return members
            } else {
                throw expected("',' or '}' after object member")
            }
        }
    }

    /// Steps past an opening bracket, enforcing the nesting limit.
    private mutating func enterContainer() throws(MetadataJSONError) {
        depth += 1
        guard depth <= MetadataValue.maximumNestingDepth else {
            throw failure("nesting deeper than \(MetadataValue.maximumNestingDepth) levels")
        }
        index += 1
    }

    /// Steps past a closing bracket.
    private mutating func closeContainer() {
        depth -= 1
        index += 1
    }

    // MARK: Strings

    /// Parses a string starting at its opening quote.
    private mutating func parseString() throws(MetadataJSONError) -> String {
        let openingQuote = index
        index += 1
        let start = index
        // Fast path: most strings have no escapes and become a String straight from the input.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let string = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return string
            }
            if byte == UInt8(ascii: "\\") {
                return try parseEscapedString(contentStart: start, openingQuote: openingQuote)
            }
            try skipLiteralCharacter(byte)
        }
        throw MetadataJSONError(offset: openingQuote, reason: "unterminated string")
    }

    /// Continues a string at its first backslash, unescaping into the reusable buffer.
    private mutating func parseEscapedString(
        contentStart: Int,
        openingQuote: Int
    ) throws(MetadataJSONError) -> String {
        unescaped.removeAll(keepingCapacity: true)
        var runStart = contentStart
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                unescaped.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                index += 1
                return String(decoding: unescaped, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                unescaped.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                try parseEscape()
                runStart = index
            } else {
                try skipLiteralCharacter(byte)
            }
        }
        throw MetadataJSONError(offset: openingQuote, reason: "unterminated string")
    }

    /// Steps over one unescaped character: an ASCII byte or a complete, valid UTF-8 sequence.
    private mutating func skipLiteralCharacter(_ byte: UInt8) throws(MetadataJSONError) {
        switch byte {
        case 0x20..<0x80:
            index += 1
        case ..<0x20:
            throw failure("unescaped control character \(Self.describe(byte)) in string")
        default:
            try skipMultibyteSequence(lead: byte)
        }
    }

    /// Validates one multi-byte UTF-8 sequence per the Unicode standard's table of well-formed
    /// sequences, which rules out overlong forms, encoded surrogates and code points past U+10FFFF.
    private mutating func skipMultibyteSequence(lead: UInt8) throws(MetadataJSONError) {
        let length: Int
        var secondByteRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondByteRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondByteRange = 0x80...0x9F
        case 0xF0: length = 4; secondByteRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondByteRange = 0x80...0x8F
        default: throw failure("invalid UTF-8")
        }
        guard bytes.count - index >= length,
              secondByteRange.contains(bytes[index + 1]),
              (index + 2 ..< index + length).allSatisfy({ 0x80...0xBF ~= bytes[$0] })
        else { throw failure("invalid UTF-8") }
        index += length
    }

    /// Decodes the escape sequence at the current backslash into the unescaping buffer.
    private mutating func parseEscape() throws(MetadataJSONError) {
        let escapeStart = index
        index += 1
        guard index < bytes.count else { throw MetadataJSONError(offset: escapeStart, reason: "incomplete escape sequence") }
        let simple: UInt8
        switch bytes[index] {
        case UInt8(ascii: "\""): simple = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): simple = UInt8(ascii: "\\")
        case UInt8(ascii: "/"): simple = UInt8(ascii: "/")
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"):
            index += 1
            try parseUnicodeEscape(escapeStart: escapeStart)
            return
        default:
            throw MetadataJSONError(
                offset: escapeStart,
                reason: "invalid escape sequence, found \(Self.describe(bytes[index])) after backslash"
            )
        }
        unescaped.append(simple)
        index += 1
    }

    /// Decodes the hex digits of a `\u` escape, combining a UTF-16 surrogate pair into one scalar.
    private mutating func parseUnicodeEscape(escapeStart: Int) throws(MetadataJSONError) {
        var codePoint = try parseHexQuad(escapeStart: escapeStart)
        if 0xD800...0xDBFF ~= codePoint {
            let lowStart = index
            guard bytes.count - index >= 2,
                  bytes[index] == UInt8(ascii: "\\"),
                  bytes[index + 1] == UInt8(ascii: "u")
            else { throw MetadataJSONError(offset: escapeStart, reason: "unpaired UTF-16 surrogate in \\u escape") }
            index += 2
            let low = try parseHexQuad(escapeStart: lowStart)
            guard 0xDC00...0xDFFF ~= low else {
                throw MetadataJSONError(offset: escapeStart, reason: "unpaired UTF-16 surrogate in \\u escape")
            }
            codePoint = 0x10000 + ((codePoint - 0xD800) << 10) + (low - 0xDC00)
        }
        // Only a lone low surrogate is left that is not a Unicode scalar.
        guard let scalar = Unicode.Scalar(codePoint) else {
            throw MetadataJSONError(offset: escapeStart, reason: "unpaired UTF-16 surrogate in \\u escape")
        }
        UTF8.encode(scalar) { unescaped.append($0) }
    }

    private mutating func parseHexQuad(escapeStart: Int) throws(MetadataJSONError) -> UInt32 {
        let invalid = MetadataJSONError(offset: escapeStart, reason: "expected four hex digits after \\u")
        guard bytes.count - index >= 4 else { throw invalid }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw invalid
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    // MARK: Numbers

    /// Exact powers of ten for the fast double path; 10^22 is the largest exactly representable.
    private static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    private mutating func parseNumber() throws(MetadataJSONError) -> MetadataValue {
        let start = index
        let negative = isAt(UInt8(ascii: "-"))
        if negative { index += 1 }

        // The digits accumulate into `significand` while they fit; the value is
        // significand × 10^decimalExponent.
        var significand: UInt64 = 0
        var significandIsExact = true
        var decimalExponent = 0
        func accumulate(_ digit: UInt8) {
            if significand <= (UInt64.max - 9) / 10 {
                significand = significand * 10 + UInt64(digit)
            } else {
                significandIsExact = false
            }
        }

        guard let firstDigit = digit(at: index) else { throw expected("a digit after '-'") }
        index += 1
        if firstDigit == 0 {
            if digit(at: index) != nil { throw MetadataJSONError(offset: start, reason: "leading zeros are not allowed") }
        } else {
            accumulate(firstDigit)
            while let next = digit(at: index) {
                accumulate(next)
                index += 1
            }
        }

        var isInteger = true
        if isAt(UInt8(ascii: ".")) {
            isInteger = false
            index += 1
            guard digit(at: index) != nil else { throw expected("a digit after the decimal point") }
            while let next = digit(at: index) {
                accumulate(next)
                decimalExponent -= 1
                index += 1
            }
        }

        if isAt(UInt8(ascii: "e")) || isAt(UInt8(ascii: "E")) {
            isInteger = false
            index += 1
            let exponentIsNegative = isAt(UInt8(ascii: "-"))
            if exponentIsNegative || isAt(UInt8(ascii: "+")) { index += 1 }
            guard digit(at: index) != nil else { throw expected("a digit in the exponent") }
            // Saturating keeps absurd exponents from overflowing; they take the slow path anyway.
            var exponent = 0
            while let next = digit(at: index) {
                if exponent < 1_000_000 { exponent = exponent * 10 + Int(next) }
                index += 1
            }
            decimalExponent += exponentIsNegative ? -exponent : exponent
        }

        if isInteger, significandIsExact {
            if !negative, significand <= UInt64(Int64.max) {
                return .int(Int64(significand))
            }
            if negative, significand <= Int64.min.magnitude {
                return .int(Int64(truncatingIfNeeded: 0 &- significand))
            }
        }

        // Clinger's fast path: when both the significand and the power of ten are exact doubles,
        // one IEEE multiplication or division rounds correctly.
        if significandIsExact, significand <= 1 << 53, -22...22 ~= decimalExponent {
            let magnitude = decimalExponent < 0
                ? Double(significand) / Self.powersOfTen[-decimalExponent]
                : Double(significand) * Self.powersOfTen[decimalExponent]
            return .double(negative ? -magnitude : magnitude)
        }

        // The standard library's conversion is correctly rounded for any length; the text has
        // already been checked against the JSON grammar, so nothing non-JSON reaches it.
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw MetadataJSONError(offset: start, reason: "number out of range for a double")
        }
        return .double(value)
    }

    private func digit(at position: Int) -> UInt8? {
        guard position < bytes.count else { return nil }
        let value = bytes[position] &- UInt8(ascii: "0")
        return value < 10 ? value : nil
    }

    // MARK: Helpers

    private func isAt(_ byte: UInt8) -> Bool {
        index < bytes.count && bytes[index] == byte
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private func failure(_ reason: String) -> MetadataJSONError {
        MetadataJSONError(offset: index, reason: reason)
    }

    /// An error at the current position naming what was expected and what was found instead.
    private func expected(_ expectation: String) -> MetadataJSONError {
        let found = index < bytes.count ? Self.describe(bytes[index]) : "end of input"
        return failure("expected \(expectation), found \(found)")
    }

    /// Printable ASCII as itself, anything else as hex, so messages stay readable for binary input.
    private static func describe(_ byte: UInt8) -> String {
        if 0x21...0x7E ~= byte {
            return "'\(Character(Unicode.Scalar(byte)))'"
        }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
    }
}
