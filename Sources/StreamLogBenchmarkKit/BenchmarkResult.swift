import Foundation

/// One measurement, printed in the same line format as the C floor (`tools/floor.sh`), so
/// `tools/bench.sh` can pair them: `lib append batch=1000 size=100 count=… seconds=… rate=… unit=rows/s`.
public struct BenchmarkResult: Sendable {
    /// Who measured: `lib` for StreamLog (the floor prints `floor`).
    public var source = "lib"
    /// The workload's name, e.g. `append`, `read`, `blob-put`, `stream`.
    public var workload: String
    /// Extra `key=value` fields that identify the configuration, in order.
    public var parameters: [(String, String)]
    /// Wall-clock seconds.
    public var seconds: Double
    /// The rate (per second) or the figure being reported.
    public var rate: Double
    /// The unit of `rate`: `rows/s`, `MB/s`, `objects/s`, `us`…
    public var unit: String

    /// A result line.
    public init(workload: String, parameters: [(String, String)], seconds: Double, rate: Double, unit: String) {
        self.workload = workload
        self.parameters = parameters
        self.seconds = seconds
        self.rate = rate
        self.unit = unit
    }

    /// The machine-readable line.
    public var line: String {
        let fields = parameters.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
        let rateText = rate >= 1000 ? String(Int(rate.rounded())) : String(format: "%.1f", rate)
        return "\(source) \(workload) \(fields) seconds=\(String(format: "%.3f", seconds)) rate=\(rateText) unit=\(unit)"
    }
}

/// Seconds elapsed while running `body`.
func measure(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = start.duration(to: .now)
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// A fresh directory for benchmark files, removed by `cleanup()`.
public struct ScratchDirectory: Sendable {
    /// The directory.
    public let path: String

    /// Makes a new directory under the system temporary directory.
    public init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("streamlog-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A file path inside the directory.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Deletes the directory and everything in it.
    public func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}
