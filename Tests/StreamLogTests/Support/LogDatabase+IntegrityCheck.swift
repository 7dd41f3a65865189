@testable import StreamLog

extension LogDatabase {
    /// `PRAGMA integrity_check`'s messages (`["ok"]` for a sound file), for tests.
    func integrityCheck() throws -> [String] {
        var messages: [String] = []
        try withConnection { connection in
            try Statement(connection: connection, sql: "PRAGMA integrity_check").queryEach {
                messages.append($0.string(0) ?? "")
            }
        }
        return messages
    }
}
