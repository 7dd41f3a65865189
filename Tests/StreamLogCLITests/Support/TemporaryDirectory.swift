import Foundation

/// A fresh directory for one test's files, removed when the test ends.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("streamlog-cli-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// The path of a file named `name` in the directory.
    func path(_ name: String = "test.db") -> String { url.appendingPathComponent(name).path }
}

/// Polls `condition` until it holds or `timeout` passes (no sleeps as synchronisation).
func waitUntil(timeout: Duration = .seconds(20), _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.002)
    }
    return try condition()
}

/// The bytes of a file, to show that a refused file was left untouched.
func fileBytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

func fileExists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
