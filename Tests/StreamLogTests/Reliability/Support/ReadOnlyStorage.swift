import Foundation
import StreamLogTestSupport

/// Read-only and full storage for tests that run as root, which file permission bits do not stop:
/// a small tmpfs mounted in a temporary directory (full when its size is reached, read-only after
/// ``remountReadOnly()``), and the immutable attribute (`chattr +i`).
///
/// Both need privileges (CAP_SYS_ADMIN to mount, CAP_LINUX_IMMUTABLE and a file system that
/// supports the attribute); ``canMount`` and ``canMakeImmutable`` probe once so tests can be
/// skipped, with that reason, where the check cannot be made.
final class TemporaryMount {
    let directory: TemporaryDirectory
    var url: URL { directory.url }
    private var mounted = false

    /// Mounts a tmpfs of `size` bytes on a fresh temporary directory.
    init(size: Int) throws {
        directory = try TemporaryDirectory()
        try run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", directory.url.path])
        mounted = true
    }

    deinit {
        if mounted { try? run("/usr/bin/umount", ["-l", directory.url.path]) }
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remountReadOnly() throws {
        try run("/usr/bin/mount", ["-o", "remount,ro", directory.url.path])
    }

    /// Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN, outside a restricted container).
    static let canMount: Bool = (try? TemporaryMount(size: 1 << 20)) != nil
}

/// Sets the immutable attribute on `path` for the life of the value (even root cannot write it).
final class ImmutableFile {
    let path: String

    init(_ path: String) throws {
        self.path = path
        try run("/usr/bin/chattr", ["+i", path])
    }

    deinit { try? run("/usr/bin/chattr", ["-i", path]) }

    /// Whether `chattr +i` works here (CAP_LINUX_IMMUTABLE, a file system with the attribute).
    static let canMakeImmutable: Bool = {
        guard let directory = try? TemporaryDirectory() else { return false }
        let path = directory.path("probe")
        guard FileManager.default.createFile(atPath: path, contents: Data("x".utf8)),
              let file = try? ImmutableFile(path) else { return false }
        return withExtendedLifetime(file) { FileHandle(forWritingAtPath: path) == nil }
    }()
}

/// Runs a system tool and throws when it fails.
private func run(_ tool: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ChildProcessError("\(tool) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
    }
}
