import Testing
import StreamLog
import StreamLogTestSupport

@Suite("MetadataValue")
struct MetadataValueTests {
    // MARK: - Helpers

    /// Structural identity, stricter than `==`: the cases must match (so `.int(3)` is not
    /// `.double(3.0)`) and doubles must match bit for bit (so `-0.0` is not `0.0`).
    static func identical(_ lhs: MetadataValue, _ rhs: MetadataValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case let (.bool(a), .bool(b)): a == b
        case let (.int(a), .int(b)): a == b
        case let (.double(a), .double(b)): a.bitPattern == b.bitPattern
        case let (.string(a), .string(b)): Array(a.utf8) == Array(b.utf8)
        case let (.array(a), .array(b)): a.count == b.count && zip(a, b).allSatisfy { identical($0, $1) }
        case let (.object(a), .object(b)):
            a.count == b.count && a.allSatisfy { key, value in b[key].map { identical(value, $0) } ?? false }
        default: false
        }
    }

    /// Encodes then decodes, returning the decoded value.
    static func roundTrip(_ value: MetadataValue) throws -> MetadataValue {
        try MetadataValue(json: value.jsonString())
    }

    /// SplitMix64, so the randomized round trips are reproducible.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    // MARK: - Literals and accessors

    @Test func literalsBuildTheMatchingCases() {
        let value: MetadataValue = ["n": nil, "b": true, "i": 7, "d": 2.5, "s": "text", "a": [1, "x"], "o": ["k": false]]
        #expect(Self.identical(value, .object([
            "n": .null, "b": .bool(true), "i": .int(7), "d": .double(2.5), "s": .string("text"),
            "a": .array([.int(1), .string("x")]), "o": .object(["k": .bool(false)]),
        ])))
    }

    @Test func dictionaryLiteralKeepsTheLastDuplicate() {
        let value: MetadataValue = ["a": 1, "a": 2]
        #expect(Self.identical(value, .object(["a": .int(2)])))
    }

    @Test func accessorsReturnValuesOnlyForTheirKind() {
        let value: MetadataValue = ["i": 3, "d": 3.0, "f": 2.5, "s": "x", "b": false, "n": nil, "a": [10, 20]]
        #expect(value["i"]?.intValue == 3)
        #expect(value["d"]?.intValue == 3)
        #expect(value["f"]?.intValue == nil)
        #expect(value["i"]?.doubleValue == 3.0)
        #expect(value["f"]?.doubleValue == 2.5)
        #expect(value["s"]?.doubleValue == nil)
        #expect(value["s"]?.stringValue == "x")
        #expect(value["i"]?.stringValue == nil)
        #expect(value["b"]?.boolValue == false)
        #expect(value["n"]?.boolValue == nil)
        #expect(value["n"]?.isNull == true)
        #expect(value["b"]?.isNull == false)
        #expect(value["a"]?.arrayValue?.count == 2)
        #expect(value.objectValue?.count == 7)
        #expect(value["a"]?[1]?.intValue == 20)
        #expect(value["a"]?[2] == nil)
        #expect(value["a"]?[-1] == nil)
        #expect(value["missing"] == nil)
        #expect(value[0] == nil)
        #expect(MetadataValue.string("x")["key"] == nil)
    }

    // MARK: - Equality and hashing

    static let equalPairs: [(MetadataValue, MetadataValue)] = [
        (.int(3), .double(3.0)),
        (.double(-0.0), .int(0)),
        (.double(0.0), .double(-0.0)),
        (.int(-1_000_000), .double(-1e6)),
        (.int(Int64.min), .double(-9_223_372_036_854_775_808.0)),
        ([1, 2.0, "x"], [1.0, 2, "x"]),
        (["a": 1, "b": ["c": nil]], ["b": ["c": nil], "a": 1.0]),
        ("é", "e\u{301}"),
    ]

    static let unequalPairs: [(MetadataValue, MetadataValue)] = [
        (true, 1),
        (false, 0),
        ("3", 3),
        (nil, false),
        (nil, ""),
        (nil, 0),
        ([], [:]),
        (.int(Int64.max), .double(9_223_372_036_854_775_808.0)),
        (.int(0), .double(0.5)),
        (.double(0.1), .double(0.2)),
        ([1, 2], [2, 1]),
        ([1], [1, 1]),
        (["a": 1], ["a": 1, "b": 2]),
        (["a": 1], ["b": 1]),
        (["a": "1"], ["a": 1]),
    ]

    @Test(arguments: equalPairs)
    func equalValuesCompareAndHashAlike(_ lhs: MetadataValue, _ rhs: MetadataValue) {
        #expect(lhs == rhs)
        #expect(rhs == lhs)
        #expect(lhs.hashValue == rhs.hashValue)
    }

    @Test(arguments: unequalPairs)
    func unequalValuesCompareUnequal(_ lhs: MetadataValue, _ rhs: MetadataValue) {
        #expect(lhs != rhs)
        #expect(rhs != lhs)
    }

    @Test func setCollapsesNumericallyEqualNumbers() {
        let set: Set<MetadataValue> = [.int(3), .double(3)]
        #expect(set.count == 1)
        let mixed: Set<MetadataValue> = [.int(3), .double(3.5), .string("3"), .bool(true), .int(1)]
        #expect(mixed.count == 5)
        let nested: Set<MetadataValue> = [["a": [1, 2]], ["a": [1.0, 2.0]]]
        #expect(nested.count == 1)
    }

    // MARK: - Encoding

    static let encodings: [(MetadataValue, String)] = [
        (nil, "null"),
        (true, "true"),
        (false, "false"),
        (0, "0"),
        (-42, "-42"),
        (.int(Int64.min), "-9223372036854775808"),
        (.int(Int64.max), "9223372036854775807"),
        (3.0, "3.0"),
        (0.1, "0.1"),
        (-0.0, "-0.0"),
        (1e300, "1e+300"),
        (1e-5, "1e-05"),
        (.double(.nan), "null"),
        (.double(.infinity), "null"),
        (.double(-.infinity), "null"),
        ("", #""""#),
        ("a\"b\\c/d", #""a\"b\\c/d""#),
        ("\n\r\t\u{8}\u{C}", #""\n\r\t\b\f""#),
        ("\u{0}\u{1}\u{1F}\u{7F}", "\"\\u0000\\u0001\\u001f\u{7F}\""),
        ("é😀中", "\"é😀中\""),
        ([], "[]"),
        ([:], "{}"),
        ([1, [nil, "x"], [:]], #"[1,[null,"x"],{}]"#),
        (["b": 1, "a": [], "A": [:], "": 0], #"{"":0,"A":{},"a":[],"b":1}"#),
        // U+FF61 sorts before U+1F600 by UTF-8 bytes, though UTF-16 order would reverse them.
        (["😀": 1, "\u{FF61}": 2, "z": 3, "é": 4], "{\"z\":3,\"é\":4,\"\u{FF61}\":2,\"😀\":1}"),
        (["k\"ey": ["n": ["m": true]]], #"{"k\"ey":{"n":{"m":true}}}"#),
    ]

    @Test(arguments: encodings)
    func encodesCompactJSON(_ value: MetadataValue, _ expected: String) {
        #expect(value.jsonString() == expected)
        #expect(value.description == expected)
    }

    @Test func encodesMetadataAsAnObject() {
        #expect(MetadataValue.jsonString(of: [:]) == "{}")
        #expect(MetadataValue.jsonString(of: ["index": 5, "name": "abc", "ok": true])
            == #"{"index":5,"name":"abc","ok":true}"#)
    }

    @Test func objectEncodingIsIndependentOfInsertionOrder() {
        let keys = (0..<200).map { "key\($0)" }
        var forward: Metadata = [:]
        for (position, key) in keys.enumerated() { forward[key] = .int(Int64(position)) }
        var backward = Metadata(minimumCapacity: 1000)
        for (position, key) in keys.enumerated().reversed() { backward[key] = .int(Int64(position)) }
        #expect(MetadataValue.jsonString(of: forward) == MetadataValue.jsonString(of: backward))
    }

    @Test func appendJSONAppendsAfterExistingBytes() {
        var buffer = Array("prefix:".utf8)
        MetadataValue.array([1, "two"]).appendJSON(to: &buffer)
        MetadataValue.appendJSON(of: ["k": nil], to: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == #"prefix:[1,"two"]{"k":null}"#)
    }

    // MARK: - Decoding

    static let decodings: [(String, MetadataValue)] = [
        ("null", nil),
        ("true", true),
        ("false", false),
        ("0", .int(0)),
        ("-0", .int(0)),
        ("-17", .int(-17)),
        ("9223372036854775807", .int(Int64.max)),
        ("-9223372036854775808", .int(Int64.min)),
        ("9223372036854775808", .double(9_223_372_036_854_775_808.0)),
        ("-9223372036854775809", .double(-9_223_372_036_854_775_808.0)),
        ("123456789012345678901234567890", .double(1.2345678901234568e29)),
        ("3.0", .double(3.0)),
        ("-0.0", .double(-0.0)),
        ("0.1", .double(0.1)),
        ("1E2", .double(100)),
        ("1e+2", .double(100)),
        ("25e-1", .double(2.5)),
        ("1e300", .double(1e300)),
        ("1e-400", .double(0)),
        ("0.30000000000000004", .double(0.30000000000000004)),
        ("1.7976931348623157e308", .double(.greatestFiniteMagnitude)),
        ("5e-324", .double(.leastNonzeroMagnitude)),
        ("2.2250738585072014e-308", .double(.leastNormalMagnitude)),
        ("9007199254740993", .int(9_007_199_254_740_993)),
        ("9007199254740993.0", .double(9_007_199_254_740_992)),
        (#""""#, ""),
        (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{C}\n\r\t"),
        (#""\u0000\u001F\u00e9""#, "\u{0}\u{1F}é"),
        (#""\ud83d\ude00""#, "😀"),
        (#""\uD83D\uDE00 and \u4E2D""#, "😀 and 中"),
        (#""raw é😀""#, "raw é😀"),
        (#""\uFFFF\uDBFF\uDFFF""#, "\u{FFFF}\u{10FFFF}"),
        (" \t\r\n[ 1 , \"a\" , { } , [ ] ] \n", [1, "a", [:], []]),
        (#"{"a":{"b":[true,{"c":null}]}}"#, ["a": ["b": [true, ["c": nil]]]]),
        (#"{"a":1,"a":2}"#, ["a": 2]),
    ]

    @Test(arguments: decodings)
    func decodesStrictJSON(_ json: String, _ expected: MetadataValue) throws {
        let value = try MetadataValue(json: json)
        #expect(Self.identical(value, expected), "decoded \(value)")
    }

    @Test func decodesFromEveryKindOfByteCollection() throws {
        let json = #"{"a":[1,"é"]}"#
        let expected: MetadataValue = ["a": [1, "é"]]
        let bytes = Array(json.utf8)
        #expect(try MetadataValue(jsonBytes: bytes) == expected)
        #expect(try MetadataValue(jsonBytes: ([0x20] + bytes + [0x20])[1...]) == expected)
        #expect(try MetadataValue(jsonBytes: bytes.lazy.map { $0 }) == expected)
        let fromRaw = try bytes.withUnsafeBytes { raw in try MetadataValue(jsonBytes: raw) }
        #expect(fromRaw == expected)
    }

    @Test func parseMetadataRequiresATopLevelObject() throws {
        let metadata = try MetadataValue.parseMetadata(json: #" {"index":5,"name":"abc"} "#)
        #expect(metadata == ["index": 5, "name": "abc"])
        #expect(try MetadataValue.parseMetadata(jsonBytes: Array("{}".utf8)).isEmpty)
        for json in ["[1]", "3", "\"x\"", "null", "", "{} []"] {
            #expect(throws: MetadataJSONError.self, "\(json)") { try MetadataValue.parseMetadata(json: json) }
        }
    }

    // MARK: - Round trips

    static let roundTripValues: [MetadataValue] = [
        nil, true, false, 0, -1, .int(Int64.min), .int(Int64.max),
        3.0, -0.0, 0.1, 1e300, -1e-300, 1e-5, 123_456.789, .double(.leastNonzeroMagnitude),
        .double(.greatestFiniteMagnitude), .double(9_007_199_254_740_992),
        "", "plain", "quote \" backslash \\ slash /", "\u{0}\u{1}\u{1F}\u{7F}\n\r\t\u{8}\u{C}",
        "é😀中\u{10FFFF}\u{FEFF}", "e\u{301}",
        [], [:], [nil, [[], [[]]], ["": [:]]],
        ["index": 5, "name": "abc", "ok": true, "ratio": 0.25, "tags": ["a", "b"], "nested": ["deep": [1, 2.0]]],
    ]

    @Test(arguments: roundTripValues)
    func roundTripsExactly(_ value: MetadataValue) throws {
        let decoded = try Self.roundTrip(value)
        #expect(Self.identical(decoded, value), "\(value.jsonString()) decoded as \(decoded)")
    }

    @Test func randomDoublesRoundTripBitForBit() throws {
        var generator = SeededGenerator(state: 0x5EED)
        var checked = 0
        while checked < 20_000 {
            // Half arbitrary bit patterns (all magnitudes), half short decimals (the fast path).
            let value = checked.isMultiple(of: 2)
                ? Double(bitPattern: generator.next())
                : Double(Int64.random(in: -1_000_000_000...1_000_000_000, using: &generator)) / 1000
            guard value.isFinite else { continue }
            checked += 1
            let decoded = try MetadataValue(json: MetadataValue.double(value).jsonString())
            guard case .double(let result) = decoded, result.bitPattern == value.bitPattern else {
                Issue.record("\(value) decoded as \(decoded)")
                return
            }
        }
    }

    @Test func randomIntegersRoundTripExactly() throws {
        var generator = SeededGenerator(state: 42)
        for _ in 0..<20_000 {
            let value = Int64(bitPattern: generator.next()) >> Int64.random(in: 0...63, using: &generator)
            let decoded = try MetadataValue(json: MetadataValue.int(value).jsonString())
            guard case .int(value) = decoded else {
                Issue.record("\(value) decoded as \(decoded)")
                return
            }
        }
    }

    @Test func tenMegabyteValueRoundTrips() throws {
        let text = String(repeating: "line \"quoted\" é😀\n\t\u{1}", count: 2_000)
        var members: Metadata = [:]
        for index in 0..<256 {
            members["entry\(index)"] = ["n": .int(Int64(index)), "d": .double(Double(index) / 7), "text": .string(text)]
        }
        let value = MetadataValue.object(members)
        let json = value.jsonString()
        #expect(json.utf8.count > 10_000_000)
        let decoded = try MetadataValue(json: json)
        #expect(Self.identical(decoded, value))
        #expect(try MetadataValue.parseMetadata(json: json) == members)
    }

    // MARK: - Malformed input

    static let malformed: [String] = [
        "",
        "   ",
        "{\"a\":1,}",
        "[1,]",
        "[,1]",
        "[1 2]",
        "01",
        "-01",
        "00.5",
        "\"\\ud800\"",
        "\"\\udc00\"",
        "\"\\ud800\\u0041\"",
        "\"\\ud800x\"",
        "\"abc",
        "\"abc\\\"",
        "\"a\nb\"",
        "\"a\tb\"",
        "\"\u{0}\"",
        "NaN",
        "Infinity",
        "-Infinity",
        "nan",
        "{\"a\"}",
        "{\"a\" 1}",
        "{\"a\":}",
        "{a:1}",
        "{'a':1}",
        "{\"a\":1 \"b\":2}",
        "{\"a\":1",
        "[1",
        "[",
        "{",
        "]",
        "}",
        "1 2",
        "{}x",
        "[]]",
        "[1]\u{0}",
        "tru",
        "nul",
        "True",
        "nulll",
        "1.",
        ".5",
        "1e",
        "1e+",
        "+1",
        "-",
        "- 1",
        "0x10",
        "1_000",
        "1e999",
        "-1e999",
        "\"\\x\"",
        "\"\\u12G4\"",
        "\"\\u12\"",
        "\"\\",
        "'a'",
        "\u{FEFF}{}",
        "\u{A0}1",
        "\u{B}1",
        "\u{C}1",
    ]

    @Test(arguments: malformed)
    func rejectsMalformedJSON(_ json: String) {
        #expect(throws: MetadataJSONError.self) { try MetadataValue(json: json) }
    }

    static let invalidUTF8: [[UInt8]] = [
        [0x22, 0xFF, 0x22],
        [0x22, 0x80, 0x22],
        [0x22, 0xC3, 0x22],
        [0x22, 0xC0, 0xAF, 0x22],
        [0x22, 0xE0, 0x80, 0xAF, 0x22],
        [0x22, 0xED, 0xA0, 0x80, 0x22],
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],
        [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22],
        [0x22, 0xE2, 0x82],
        [0x22, 0x5C, 0x6E, 0xFE, 0x22],
        [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D],
        [0xC3, 0xA9],
        [0x5B, 0x31, 0x5D, 0xC3],
    ]

    @Test(arguments: invalidUTF8)
    func rejectsInvalidUTF8(_ bytes: [UInt8]) {
        #expect(throws: MetadataJSONError.self) { try MetadataValue(jsonBytes: bytes) }
    }

    static let errorMessages: [(String, String)] = [
        (#"{"a" 1}"#, "invalid JSON at byte 5: expected ':' after object key, found '1'"),
        ("[1,]", "invalid JSON at byte 3: expected a value, found ']'"),
        ("", "invalid JSON at byte 0: expected a value, found end of input"),
        ("  012", "invalid JSON at byte 2: leading zeros are not allowed"),
        (#"["ab"#, "invalid JSON at byte 1: unterminated string"),
        (#"["\ud800"]"#, #"invalid JSON at byte 2: unpaired UTF-16 surrogate in \u escape"#),
        ("\"a\nb\"", "invalid JSON at byte 2: unescaped control character byte 0x0A in string"),
        ("[1] x", "invalid JSON at byte 4: expected end of input after the JSON value, found 'x'"),
        ("NaN", "invalid JSON at byte 0: expected a value, found 'N'"),
    ]

    @Test(arguments: errorMessages)
    func errorsNameTheProblemAndByteOffset(_ json: String, _ message: String) {
        let error = #expect(throws: MetadataJSONError.self) { try MetadataValue(json: json) }
        #expect(error?.description == message)
    }

    @Test func invalidUTF8IsReportedAtItsOffset() {
        let error = #expect(throws: MetadataJSONError.self) {
            try MetadataValue(jsonBytes: [0x5B, 0x22, 0x61, 0xFF, 0x22, 0x5D])
        }
        #expect(error?.offset == 3)
        #expect(error?.reason == "invalid UTF-8")
    }

    // MARK: - Nesting depth

    @Test func acceptsNestingUpToTheLimit() throws {
        let depth = MetadataValue.maximumNestingDepth
        let arrays = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        var value = try MetadataValue(json: arrays)
        for _ in 1..<depth { value = try #require(value[0]) }
        #expect(Self.identical(value, []))
        let objects = String(repeating: #"{"a":"#, count: depth - 1) + "{}" + String(repeating: "}", count: depth - 1)
        #expect(throws: Never.self) { try MetadataValue(json: objects) }
    }

    // The input is built inside the test so that the test log does not print megabytes of brackets.
    @Test(arguments: [
        ("[", "]", 513),
        ("[", "", 100_000),
        (#"{"a":"#, "", 100_000),
        (#"[{"a":"#, "", 50_000),
    ])
    func rejectsNestingBeyondTheLimitWithoutCrashing(opener: String, closer: String, count: Int) {
        let json = String(repeating: opener, count: count) + String(repeating: closer, count: count)
        let error = #expect(throws: MetadataJSONError.self) { try MetadataValue(json: json) }
        #expect(error?.reason == "nesting deeper than 512 levels")
    }

    // MARK: - JSON or string

    static let jsonOrStringCases: [(String, MetadataValue)] = [
        ("3", .int(3)),
        ("-2.5", .double(-2.5)),
        ("true", .bool(true)),
        ("false", .bool(false)),
        ("null", .null),
        (#""x""#, .string("x")),
        ("abc", .string("abc")),
        ("[1,2]", [1, 2]),
        (#"{"k":"v"}"#, ["k": "v"]),
        ("NaN", .string("NaN")),
        ("Infinity", .string("Infinity")),
        ("-Infinity", .string("-Infinity")),
        ("1e999", .string("1e999")),
        ("", .string("")),
        (" 7 ", .int(7)),
        ("[1,", .string("[1,")),
        ("hello world", .string("hello world")),
        ("007", .string("007")),
    ]

    @Test(arguments: jsonOrStringCases)
    func jsonOrStringParsesJSONElseKeepsText(_ text: String, _ expected: MetadataValue) {
        let value = MetadataValue(jsonOrString: text)
        #expect(Self.identical(value, expected), "\(text) became \(value)")
    }
}
