/// A JSON value attached to a stream entry as metadata.
///
/// Equality is JSON value equality: the kind of value matters (`true` is not `1`, `"3"` is not `3`),
/// but numbers compare by numeric value, so `.int(3) == .double(3.0)`. Hashing follows the same rule.
public enum MetadataValue: Sendable {
    /// The JSON `null` value.
    case null
    /// A JSON `true` or `false`.
    case bool(Bool)
    /// A JSON number written without fraction or exponent that fits in 64 bits.
    case int(Int64)
    /// Any other JSON number.
    case double(Double)
    /// A JSON string.
    case string(String)
    /// A JSON array.
    case array([MetadataValue])
    /// A JSON object.
    case object([String: MetadataValue])
}

/// The metadata of a stream entry: a JSON object keyed by field name.
public typealias Metadata = [String: MetadataValue]

// MARK: - Equality and hashing

extension MetadataValue: Hashable {
    /// Returns whether two values are equal as JSON values, comparing numbers by value.
    public static func == (lhs: MetadataValue, rhs: MetadataValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null):
            return true
        case let (.bool(a), .bool(b)):
            return a == b
        case let (.int(a), .int(b)):
            return a == b
        case let (.double(a), .double(b)):
            return a == b
        // Comparing through `Int64(exactly:)` rather than converting the integer to Double keeps
        // large integers exact: 2^63 - 1 must not equal the double 2^63 it would round to.
        case let (.int(integer), .double(double)), let (.double(double), .int(integer)):
            return Int64(exactly: double) == integer
        case let (.string(a), .string(b)):
            return a == b
        case let (.array(a), .array(b)):
            return a == b
        case let (.object(a), .object(b)):
            return a == b
        default:
            return false
        }
    }

    /// Hashes the value so that values equal under `==` hash alike.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null:
            hasher.combine(0 as UInt8)
        case .bool(let value):
            hasher.combine(1 as UInt8)
            hasher.combine(value)
        // Both number cases share one discriminator, and a double holding an exact integer hashes
        // as that integer, because `.int(3)` and `.double(3.0)` are equal.
        case .int(let value):
            hasher.combine(2 as UInt8)
            hasher.combine(value)
        case .double(let value):
            hasher.combine(2 as UInt8)
            if let integer = Int64(exactly: value) {
                hasher.combine(integer)
            } else {
                hasher.combine(value)
            }
        case .string(let value):
            hasher.combine(3 as UInt8)
            hasher.combine(value)
        case .array(let value):
            hasher.combine(4 as UInt8)
            hasher.combine(value)
        case .object(let value):
            hasher.combine(5 as UInt8)
            hasher.combine(value)
        }
    }
}

// MARK: - Literals

extension MetadataValue: ExpressibleByNilLiteral {
    /// Creates `.null` from `nil`.
    public init(nilLiteral: ()) {
        self = .null
    }
}

extension MetadataValue: ExpressibleByBooleanLiteral {
    /// Creates `.bool` from a boolean literal.
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}

extension MetadataValue: ExpressibleByIntegerLiteral {
    /// Creates `.int` from an integer literal.
    public init(integerLiteral value: Int64) {
        self = .int(value)
    }
}

extension MetadataValue: ExpressibleByFloatLiteral {
    /// Creates `.double` from a floating-point literal.
    public init(floatLiteral value: Double) {
        self = .double(value)
    }
}

extension MetadataValue: ExpressibleByStringLiteral {
    /// Creates `.string` from a string literal.
    public init(stringLiteral value: String) {
        self = .string(value)
    }
}

extension MetadataValue: ExpressibleByArrayLiteral {
    /// Creates `.array` from an array literal.
    public init(arrayLiteral elements: MetadataValue...) {
        self = .array(elements)
    }
}

extension MetadataValue: ExpressibleByDictionaryLiteral {
    /// Creates `.object` from a dictionary literal; a repeated key keeps its last value, as in JSON.
    public init(dictionaryLiteral elements: (String, MetadataValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

// MARK: - Accessors

extension MetadataValue {
    /// The number as an `Int64`, if this is a number with an exact 64-bit integer value.
    public var intValue: Int64? {
        switch self {
        case .int(let value): value
        case .double(let value): Int64(exactly: value)
        default: nil
        }
    }

    /// The number as a `Double`, if this is a number; integers beyond 2^53 are rounded.
    public var doubleValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// The string, if this is a string.
    public var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// The boolean, if this is a boolean.
    public var boolValue: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    /// The elements, if this is an array.
    public var arrayValue: [MetadataValue]? {
        if case .array(let value) = self { value } else { nil }
    }

    /// The members, if this is an object.
    public var objectValue: [String: MetadataValue]? {
        if case .object(let value) = self { value } else { nil }
    }

    /// Whether this is `.null`.
    public var isNull: Bool {
        if case .null = self { true } else { false }
    }

    /// The member named `key`, or `nil` if this is not an object or has no such member.
    public subscript(key: String) -> MetadataValue? {
        if case .object(let members) = self { members[key] } else { nil }
    }

    /// The element at `index`, or `nil` if this is not an array or the index is out of range.
    public subscript(index: Int) -> MetadataValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }
}
