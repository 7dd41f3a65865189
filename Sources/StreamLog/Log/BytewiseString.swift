/// A string compared and hashed by its UTF-8 bytes, as SQLite compares text.
///
/// Swift's `String` equality is canonical equivalence: `"caf\u{E9}"` equals `"cafe\u{301}"`.
/// SQLite tells them apart. A memo of rows found by a text column is keyed by this, so that it
/// finds exactly what the query would.
struct BytewiseString: Hashable, Sendable {
    let value: String

    init(_ value: String) { self.value = value }

    static func == (lhs: BytewiseString, rhs: BytewiseString) -> Bool {
        lhs.value.utf8.elementsEqual(rhs.value.utf8)
    }

    func hash(into hasher: inout Hasher) {
        var value = self.value  // withUTF8 may make a bridged string contiguous
        value.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
