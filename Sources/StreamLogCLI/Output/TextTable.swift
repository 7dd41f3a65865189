/// Columns aligned for people: the widest cell sets each column's width; numbers align right.
struct TextTable {
    enum Alignment {
        case left
        case right
    }

    private let headers: [String]
    private let alignments: [Alignment]
    private var rows: [[String]] = []

    init(_ columns: [(String, Alignment)]) {
        headers = columns.map(\.0)
        alignments = columns.map(\.1)
    }

    mutating func append(_ row: [String]) {
        rows.append(row)
    }

    /// The table, one line per row after the header line, each ending in a newline.
    var text: String {
        let all = [headers] + rows
        let widths = headers.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        var text = ""
        for row in all {
            var cells: [String] = []
            for (column, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                let isLast = column == row.count - 1
                switch alignments[column] {
                case .left: cells.append(isLast ? cell : cell + padding)
                case .right: cells.append(padding + cell)
                }
            }
            text += cells.joined(separator: "  ") + "\n"
        }
        return text
    }
}

/// A topic name for a table cell: control characters escaped so one topic stays one line.
func displayName(_ name: String) -> String {
    guard name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return name }
    let inner = quoted(name)
    return String(inner.dropFirst().dropLast())
}
