// Fuzz target: the command line's argument parsing (swift-argument-parser with StreamLog's
// commands, option groups, validate() and value parsers: metadata pairs, durations, times).
// The input is split into arguments at NUL bytes. Parsing either yields a command or throws;
// it never crashes. Nothing is run. Built and run by tools/fuzz.sh.
@testable import StreamLogCLI

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCLIArguments(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let arguments = bytes.split(separator: 0, maxSplits: 32, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    _ = try? StreamLogCommand.parseAsRoot(arguments)
    return 0
}
