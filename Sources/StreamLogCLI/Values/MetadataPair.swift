import ArgumentParser
import StreamLog

/// A `KEY=VALUE` argument of `--meta` and `--match`.
///
/// VALUE is parsed as JSON (RFC 8259) when it is valid JSON — `3`, `2.5`, `true`, `null`,
/// `"quoted"`, `[1,2]`, `{"a":1}` — and is otherwise the string VALUE, so `--meta kind=image`
/// needs no quotes. The key is everything before the first `=`.
struct MetadataPair: ExpressibleByArgument, Hashable {
    let key: String
    let value: MetadataValue

    init?(argument: String) {
        guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else { return nil }
        key = String(argument[..<equals])
        value = MetadataValue(jsonOrString: String(argument[argument.index(after: equals)...]))
    }

    static var defaultCompletionKind: CompletionKind { .default }

    /// Parses `KEY=VALUE`, explaining the expected form when the argument does not have it.
    static func parse(_ argument: String) throws -> MetadataPair {
        guard let pair = MetadataPair(argument: argument) else {
            throw ValidationError("expected KEY=VALUE with a non-empty KEY, for example kind=image or priority=3")
        }
        return pair
    }
}

extension Array where Element == MetadataPair {
    /// The pairs as metadata; a repeated key keeps its last value, as in a JSON object.
    var metadata: Metadata {
        Dictionary(map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
    }

    /// Whether `metadata` holds every pair, by JSON value equality (types matter, numbers compare
    /// by value, a missing key never matches, not even `null`).
    func allMatch(_ metadata: Metadata) -> Bool {
        allSatisfy { pair in metadata[pair.key].map { $0 == pair.value } ?? false }
    }
}
