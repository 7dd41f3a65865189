/// How event metadata is stored: JSON object text in the `metadata` column, NULL when empty, so
/// that SQLite's JSON functions (and any SQLite client) can read and filter it.
enum MetadataCoding {
    /// Appends the JSON of `metadata` to `buffer`; appends nothing for empty metadata.
    static func encode(_ metadata: Metadata, into buffer: inout [UInt8]) {
        guard !metadata.isEmpty else { return }
        MetadataValue.appendJSON(of: metadata, to: &buffer)
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
