import Foundation

/// Turns the objects of a stream into bytes and back, tagging them with an encoding name that
/// is stored with each event (so any consumer, or any SQLite client, knows how to read them).
public protocol StreamCodec<Value>: Sendable {
    /// The type of the objects.
    associatedtype Value
    /// The tag stored in the event's `encoding` column, e.g. `bytes`, `utf8`, `json`.
    var encoding: String { get }
    /// The bytes of `value`.
    func encode(_ value: Value) throws -> Data
    /// The object in `data`, which was stored with the tag `encoding`.
    ///
    /// - Throws: `.codec` when the tag is not one this codec reads, naming the tag.
    func decode(_ data: Data, encoding: String) throws -> Value
}

extension StreamCodec {
    /// The `.codec` error for a tag this codec cannot read.
    func unknownEncoding(_ tag: String) -> StreamLogError {
        StreamLogError(.codec, "cannot decode an object with encoding \(quoted(tag)) as \(Value.self) (expected \(quoted(encoding)))")
    }
}

/// `Data` as is (tag `bytes`); also reads `utf8` and `json` payloads as their raw bytes.
public struct DataCodec: StreamCodec {
    /// The codec.
    public init() {}
    public var encoding: String { "bytes" }
    public func encode(_ value: Data) throws -> Data { value }
    public func decode(_ data: Data, encoding: String) throws -> Data { data }
}

/// `[UInt8]` as is (tag `bytes`).
public struct BytesCodec: StreamCodec {
    /// The codec.
    public init() {}
    public var encoding: String { "bytes" }
    public func encode(_ value: [UInt8]) throws -> Data { Data(value) }
    public func decode(_ data: Data, encoding: String) throws -> [UInt8] { [UInt8](data) }
}

/// `String` as UTF-8 (tag `utf8`); reads `bytes` payloads that are valid UTF-8 too.
public struct StringCodec: StreamCodec {
    /// The codec.
    public init() {}
    public var encoding: String { "utf8" }
    public func encode(_ value: String) throws -> Data { Data(value.utf8) }
    public func decode(_ data: Data, encoding: String) throws -> String {
        guard encoding == "utf8" || encoding == "bytes" || encoding == "json" else { throw unknownEncoding(encoding) }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw StreamLogError(.codec, "the object is not valid UTF-8 (\(data.count) bytes)")
        }
        return text
    }
}

/// Any `Codable` type through JSON (tag `json`), with Foundation's encoder and decoder.
public struct JSONCodec<Value: Codable>: StreamCodec {
    /// The codec.
    public init() {}
    public var encoding: String { "json" }
    public func encode(_ value: Value) throws -> Data {
        do { return try JSONEncoder().encode(value) } catch {
            throw StreamLogError(.codec, "cannot encode \(Value.self) as JSON: \(error)")
        }
    }
    public func decode(_ data: Data, encoding: String) throws -> Value {
        guard encoding == "json" else { throw unknownEncoding(encoding) }
        do { return try JSONDecoder().decode(Value.self, from: data) } catch {
            throw StreamLogError(.codec, "cannot decode \(Value.self) from JSON: \(error)")
        }
    }
}

/// A type with a codec StreamLog picks when none is given: `Data`, `[UInt8]`, `String`
/// (zero-cost paths) and, through ``JSONCodec``, any `Codable` type that opts in.
public protocol StreamCodable: Sendable {
    /// The codec used for this type by default.
    associatedtype DefaultCodec: StreamCodec where DefaultCodec.Value == Self
    /// The codec used for this type by default.
    static var defaultCodec: DefaultCodec { get }
}

extension Data: StreamCodable {
    /// ``DataCodec``.
    public static var defaultCodec: DataCodec { DataCodec() }
}

extension Array: StreamCodable where Element == UInt8 {
    /// ``BytesCodec``.
    public static var defaultCodec: BytesCodec { BytesCodec() }
}

extension String: StreamCodable {
    /// ``StringCodec``.
    public static var defaultCodec: StringCodec { StringCodec() }
}

extension StreamCodable where Self: Codable {
    /// ``JSONCodec``: a `Codable` type opts in with an empty `extension MyType: StreamCodable {}`.
    public static var defaultCodec: JSONCodec<Self> { JSONCodec() }
}
