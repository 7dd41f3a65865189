import Foundation

/// A fresh directory for one test's files, removed when the test ends.
public final class TemporaryDirectory {
    /// The directory.
    public let url: URL

    /// Creates a new, empty directory under the system's temporary directory.
    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("streamlog-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// The path of a file named `name` in the directory.
    public func path(_ name: String = "test.db") -> String { url.appendingPathComponent(name).path }
}

/// The bytes of a file, to show that a refused file was left untouched.
public func fileBytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

/// Whether a file (or directory) exists at `path`.
public func fileExists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
