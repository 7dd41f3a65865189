// Fuzz target: decoding stored event rows (EventRowDecoder, MetadataCoding) whatever another
// program wrote into them: any column may hold any SQLite type (NULL, integer, real, text,
// blob) and any bytes. Decoding either returns an event or throws a StreamLogError; it never
// crashes. Built and run by tools/fuzz.sh.
import Foundation
import StreamLogCSQLite
@testable import StreamLog

/// One in-memory connection, reused: the row is a SELECT of bound values.
nonisolated(unsafe) private let connection = try! Connection(path: ":memory:", readOnly: false, create: true,
                                                             busyTimeout: .seconds(1))
nonisolated(unsafe) private let select = try! Statement(
    connection: connection, sql: "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10")

/// Reads the fuzz input as ten columns: for each, a type byte, then (for text and blob) a length
/// byte and that many bytes, (for integers and reals) eight bytes.
private struct Reader {
    var bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func take(_ count: Int) -> [UInt8] {
        let end = min(position + count, bytes.count)
        defer { position = end }
        return Array(bytes[position..<end])
    }

    mutating func int64() -> Int64 {
        take(8).reduce(0) { $0 << 8 | Int64($1) }
    }

    mutating func bind(_ statement: Statement, at index: Int32) {
        let kind = byte() % 5
        switch kind {
        case 0: statement.bindNull(at: index)
        case 1: statement.bind(int64(), at: index)
        case 2: statement.bind(Double(bitPattern: UInt64(bitPattern: int64())), at: index)
        case 3:
            let text = take(Int(byte()) * (index == 10 ? 16 : 1))
            guard !text.isEmpty else { return statement.bind("", at: index) }
            text.withUnsafeBytes { bytes in
                // Any bytes as TEXT, valid UTF-8 or not, copied by SQLite.
                _ = sqlite3_bind_text64(
                    statement.handle, index, bytes.baseAddress!.assumingMemoryBound(to: CChar.self),
                    sqlite3_uint64(bytes.count), sqliteTransient, UInt8(SQLITE_UTF8))
            }
        default:
            let blob = take(Int(byte()) * (index == 10 ? 16 : 1))
            statement.bind(copying: Data(blob), at: index)
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEventRow(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var reader = Reader(bytes: UnsafeBufferPointer(start: data, count: size))
    for column in 1...10 { reader.bind(select, at: Int32(column)) }
    defer { select.reset() }
    do {
        guard try select.step() else { fatalError("a SELECT of values returned no row") }
        var decoder = EventRowDecoder(topic: "fuzzed \"topic\"")
        let event = try decoder.decode(select, stores: { id in
            guard id == 1 else { throw StreamLogError(.objectMissing, "no store \(id)") }
            return StoreReference(id: 1, path: "/nonexistent")
        })
        // What decoded must be usable: its metadata encodes (and parses back).
        var json: [UInt8] = []
        MetadataCoding.encode(event.metadata, into: &json)
        if !json.isEmpty { _ = try MetadataValue.parseMetadata(jsonBytes: json) }
    } catch is StreamLogError {
    } catch {
        fatalError("decoding threw \(type(of: error)), not a StreamLogError: \(error)")
    }
    return 0
}
