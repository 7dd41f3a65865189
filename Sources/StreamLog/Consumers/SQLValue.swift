import Foundation

extension LogDatabase {
    /// A value bound to, or read from, the application's own SQL in a ``Transaction``.
    public enum SQLValue: Sendable, Hashable {
        /// SQL NULL.
        case null
        /// A 64-bit integer.
        case integer(Int64)
        /// A double.
        case real(Double)
        /// UTF-8 text.
        case text(String)
        /// Bytes.
        case blob(Data)

        /// The integer, or `nil` for any other kind of value.
        public var integerValue: Int64? { if case .integer(let value) = self { value } else { nil } }
        /// The double (an integer converted), or `nil`.
        public var realValue: Double? {
            switch self {
            case .real(let value): value
            case .integer(let value): Double(value)
            default: nil
            }
        }
        /// The text, or `nil` for any other kind of value.
        public var textValue: String? { if case .text(let value) = self { value } else { nil } }
        /// The bytes, or `nil` for any other kind of value.
        public var blobValue: Data? { if case .blob(let value) = self { value } else { nil } }
    }
}

extension LogDatabase.SQLValue: ExpressibleByNilLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .real(value) }
    public init(stringLiteral value: String) { self = .text(value) }
}
