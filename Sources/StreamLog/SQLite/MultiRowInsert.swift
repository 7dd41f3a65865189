/// Inserting many rows with one statement: `INSERT … VALUES (…), (…), …`.
///
/// A statement per row costs a VDBE run per row (opening the table's cursor, seeking its end,
/// halting); one statement of many rows pays that once for them all. Raw SQLite from C on this
/// machine: 100 B events in transactions of 1000 went from about 460 k rows/s with one row per
/// statement to 510 k with 8, 550 k with 16 and 590 k with 64; the C floor of the store-backed
/// 100 B stream at batch 100 from 107–117 k to 125–147 k objects/s (4 pairs).
///
/// The rows' variable-length values are copied into one ``BindingArena`` so that all of them
/// stay alive until the step, which a value's own `withUnsafeBytes` scope could not give for
/// many rows at once. Only small values are worth that copy (``payloadLimit``); a row with a
/// larger one is inserted on its own, bound in place.
enum MultiRowInsert {
    /// Rows per statement, largest first: a run of rows is inserted in as few statements of these
    /// sizes as fit it, the rest one row per statement. Each size is one statement per table.
    static let sizes = [64, 16, 4]

    /// The largest variable-length value (payload or object) of a row inserted with others.
    static let payloadLimit = 1024

    /// `(?, …, ?), (?, …, ?)…`: `rows` groups of `columns` parameters, for a VALUES clause.
    static func placeholders(rows: Int, columns: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return Array(repeating: row, count: rows).joined(separator: ", ")
    }

    /// How many of the rows from `start` on the next statement inserts: the largest of
    /// ``sizes`` that fits in `count` rows and whose rows all satisfy `isSmall`, else 1.
    static func rows(from start: Int, of count: Int, isSmall: (Int) -> Bool) -> Int {
        for size in sizes where start + size <= count {
            if (start..<start + size).allSatisfy(isSmall) { return size }
        }
        return 1
    }
}

/// One buffer holding the variable-length values of the rows of a multi-row statement, so that
/// they can all be bound without copies by SQLite (see ``MultiRowInsert``).
struct BindingArena {
    private var bytes: [UInt8] = []

    /// Empties the arena, keeping its capacity.
    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    /// Appends `data`; returns where it is in the arena.
    mutating func append(_ data: some Collection<UInt8>) -> Range<Int> {
        let start = bytes.count
        bytes.append(contentsOf: data)
        return start..<bytes.count
    }

    /// Appends what `write` adds to the buffer; returns where it is in the arena.
    mutating func append(writing write: (inout [UInt8]) -> Void) -> Range<Int> {
        let start = bytes.count
        write(&bytes)
        return start..<bytes.count
    }

    /// Calls `body` with a view of the arena that turns ranges into pointers. The pointers are
    /// valid only during `body`, which must therefore step the statement they are bound to.
    func withBytes<T>(_ body: (Bytes) throws -> T) rethrows -> T {
        try bytes.withUnsafeBytes { try body(Bytes(base: $0)) }
    }

    /// The arena's bytes during ``BindingArena/withBytes(_:)``.
    struct Bytes {
        let base: UnsafeRawBufferPointer

        /// The bytes of `range`.
        subscript(range: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: base[range]) }
    }
}
