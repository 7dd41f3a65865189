// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "StreamLog",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "StreamLog", targets: ["StreamLog"]),
        .executable(name: "streamlog", targets: ["StreamLogCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .systemLibrary(
            name: "StreamLogCSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),
        // The versioned SQL schema. The files live in the top-level Migrations/ folder and are
        // compiled into the binary, so an installed `streamlog` needs no resource bundle.
        .target(
            name: "StreamLogMigrations",
            path: "Migrations",
            exclude: ["README.md"],
            resources: [
                .embedInCode("v0001_initial.sql"),
                .embedInCode("v0002_consumers.sql"),
                .embedInCode("v0003_objects_by_key.sql"),
                .embedInCode("v0004_counter_from_events.sql"),
                .embedInCode("topic_table.sql"),
                .embedInCode("topic_table_v0004.sql"),
            ]
        ),
        .target(
            name: "StreamLog",
            dependencies: [
                "StreamLogCSQLite",
                "StreamLogMigrations",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Benchmark workloads, shared by `streamlog bench` and tools/bench.sh; kept out of the
        // library so the library's dependency graph stays free of them.
        .target(
            name: "StreamLogBenchmarkKit",
            dependencies: ["StreamLog"]
        ),
        .executableTarget(
            name: "StreamLogCLI",
            dependencies: [
                "StreamLog",
                "StreamLogBenchmarkKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // A small program the tests run as separate processes (producers, consumers, group
        // workers killed with SIGKILL). Not a product: it is never installed.
        .executableTarget(
            name: "StreamLogTestWorker",
            dependencies: ["StreamLog"],
            path: "Tests/StreamLogTestWorker"
        ),
        // A recording SQLite VFS for the power-loss tests: it logs writes and syncs so a test can
        // rebuild the files a power loss would leave. Not a product: it is never installed.
        .target(
            name: "StreamLogTestVFS",
            dependencies: ["StreamLogCSQLite"]
        ),
        // Helpers both test targets use (temporary directories, polling, finding built
        // executables). Not a product: it is never installed.
        .target(
            name: "StreamLogTestSupport",
            path: "Tests/StreamLogTestSupport"
        ),
        .testTarget(
            name: "StreamLogTests",
            dependencies: [
                "StreamLog", "StreamLogMigrations", "StreamLogTestWorker", "StreamLogTestVFS", "StreamLogTestSupport",
            ]
        ),
        .testTarget(
            name: "StreamLogCLITests",
            dependencies: ["StreamLog", "StreamLogCLI", "StreamLogTestWorker", "StreamLogTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
