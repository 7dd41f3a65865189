import Foundation
import StreamLogCSQLite

extension Connection {
    /// Runs `body` in a write transaction, committing when it returns and rolling back when it throws.
    ///
    /// Always `BEGIN IMMEDIATE`: a deferred transaction that reads and then writes after another
    /// connection committed fails at once with `SQLITE_BUSY_SNAPSHOT`, whatever the busy timeout.
    /// Taking the write lock up front makes writers queue on `busy_timeout` instead.
    func writeTransaction<T>(_ body: () throws -> T) throws -> T {
        if isInTransaction { return try body() }  // nested: part of the caller's transaction
        try beginImmediate()
        do {
            let result = try body()
            try commit()
            return result
        } catch {
            rollback()
            throw error
        }
    }

    /// Runs `body` in a read transaction, so every query in it sees one snapshot.
    func readTransaction<T>(_ body: () throws -> T) throws -> T {
        if isInTransaction { return try body() }
        try cached("BEGIN DEFERRED").run()
        defer { try? cached("COMMIT").run() }
        return try body()
    }

    /// `BEGIN IMMEDIATE`, retried with jitter until the busy timeout has passed.
    ///
    /// SQLite's busy handler already waits on the lock; the retry covers the cases where SQLite
    /// returns `SQLITE_BUSY` without calling it (for example while another connection runs WAL
    /// recovery), so a user never sees "database is locked" before the timeout.
    private func beginImmediate() throws {
        let statement = try cached("BEGIN IMMEDIATE")
        try retryingWhileBusy { try statement.run() }
    }

    /// Runs `body`, retrying it with jittered, growing pauses while it fails with `.busyTimeout`,
    /// until this connection's busy timeout has passed.
    ///
    /// For steps SQLite may refuse at once rather than wait for: switching a new file to WAL
    /// while another process does the same, reading a schema another process is creating.
    func retryingWhileBusy<T>(_ body: () throws -> T) throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: busyTimeout)
        var pause: Duration = .microseconds(200)
        var generator = SystemRandomNumberGenerator()
        while true {
            do {
                return try body()
            } catch let error as StreamLogError where error.code == .busyTimeout {
                guard clock.now < deadline else {
                    throw StreamLogError(
                        .busyTimeout,
                        "database is locked: another connection held its lock for more than \(busyTimeout) (\(path))",
                        sqliteCode: error.sqliteCode, sql: error.sql)
                }
                let jittered = pause * Double.random(in: 0.5...1.5, using: &generator)
                Thread.sleep(forTimeInterval: Double(jittered.milliseconds) / 1000 + 0.0002)
                pause = min(pause * 2, .milliseconds(50))
            }
        }
    }

    private func commit() throws {
        try cached("COMMIT").run()
    }

    private func rollback() {
        guard isInTransaction else { return }  // SQLite may already have rolled back (e.g. SQLITE_FULL)
        try? cached("ROLLBACK").run()
    }
}
