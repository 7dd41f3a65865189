/// How event metadata is stored: JSON object text in the `metadata` column, NULL when empty, so
/// that SQLite's JSON functions (and any SQLite client) can read and filter it.
enum MetadataCoding {
    /// Appends the JSON of `metadata` to `buffer`; appends nothing for empty metadata.
    static func encode(_ metadata: Metadata, into buffer: inout [UInt8]) {
        guard !metadata.isEmpty else { return }
        MetadataValue.appendJSON(of: metadata, to: &buffer)
    }

    /// Throws `.invalidArgument` when `metadata` nests deeper than the parser reads back
    /// (``MetadataValue/maximumNestingDepth`` levels, the object itself being the first), so that
    /// no event is stored that no consumer could read. Iterative: any depth is safe to check.
    static func validateDepth(_ metadata: Metadata, event: Int, topic: String) throws {
        func isContainer(_ value: MetadataValue) -> Bool {
            switch value {
            case .array, .object: return true
            default: return false
            }
        }
        guard metadata.values.contains(where: isContainer) else { return }
        var pending: [(value: MetadataValue, depth: Int)] = metadata.values.filter(isContainer).map { ($0, 2) }
        while let (value, depth) = pending.popLast() {
            guard depth <= MetadataValue.maximumNestingDepth else {
                throw StreamLogError(
                    .invalidArgument,
                    "the metadata of event \(event) of a batch for topic \(quoted(topic)) nests deeper than "
                        + "\(MetadataValue.maximumNestingDepth) levels, more than can be read back")
            }
            switch value {
            case .array(let elements): pending += elements.lazy.filter(isContainer).map { ($0, depth + 1) }
            case .object(let members): pending += members.values.lazy.filter(isContainer).map { ($0, depth + 1) }
            default: break
            }
        }
    }

    /// Parses the stored metadata of one event; `nil` bytes (SQL NULL) are empty metadata.
    static func decode(_ bytes: UnsafeRawBufferPointer?, topic: String, seq: Int64) throws -> Metadata {
        guard let bytes, !bytes.isEmpty else { return [:] }
        do {
            return try MetadataValue.parseMetadata(jsonBytes: bytes)
        } catch {
            throw StreamLogError(.codec, "metadata of event \(seq) of topic \(quoted(topic)) is not a JSON object: \(error)")
        }
    }
}
