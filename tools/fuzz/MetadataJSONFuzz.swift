// Fuzz target: the metadata JSON parser (MetadataValue+JSON.swift), on any bytes.
//
// Never crashes (the parser works on unsafe buffers and recurses); whatever parses encodes to
// JSON that parses back to an equal value; metadata objects likewise. Built and run by tools/fuzz.sh.
import StreamLog

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMetadataJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    if let value = try? MetadataValue(jsonBytes: bytes) {
        let text = value.jsonString()
        guard let again = try? MetadataValue(json: text) else { fatalError("\(value) encodes to unparseable \(text)") }
        guard again == value else { fatalError("\(value) round-trips to \(again) through \(text)") }
        guard again.jsonString() == text else { fatalError("\(text) is not a fixed point of encoding") }
    }
    if let metadata = try? MetadataValue.parseMetadata(jsonBytes: bytes) {
        let text = MetadataValue.jsonString(of: metadata)
        guard let again = try? MetadataValue.parseMetadata(json: text), again == metadata else {
            fatalError("metadata \(metadata) does not round-trip through \(text)")
        }
    }
    _ = MetadataValue(jsonOrString: String(decoding: bytes, as: UTF8.self))
    return 0
}
