import Foundation
import StreamLog

/// Roles the tests start as separate processes: `worker ROLE ARGS…`.
/// Each role prints one line per action to stdout so the test can follow it.
let arguments = Array(CommandLine.arguments.dropFirst())
guard let role = arguments.first else {
    FileHandle.standardError.write(Data("usage: StreamLogTestWorker ROLE ARGS…\n".utf8))
    exit(2)
}

// Some roles run until killed. If the test process dies first (interrupted, crashed), nobody
// will kill them, and a producer left running fills the disk: a worker exits once it is orphaned.
// (Not PR_SET_PDEATHSIG: that fires when the spawning *thread* exits, which may be long before
// the test process does.)
let parent = getppid()
Thread.detachNewThread {
    while getppid() == parent { usleep(100_000) }
    exit(3)
}

do {
    switch role {
    case "append":
        // append DB TOPIC PRODUCER COUNT BATCH: appends COUNT events "PRODUCER:i" in batches.
        let db = try LogDatabase(path: arguments[1])
        let topic = arguments[2], producer = arguments[3]
        let count = Int(arguments[4])!, batch = Int(arguments[5])!
        var index = 0
        while index < count {
            let end = min(index + batch, count)
            try db.append((index..<end).map { .inline(Data("\(producer):\($0)".utf8)) }, to: topic)
            index = end
        }
    default:
        guard try runStreamRole(role, arguments) || runConsumerRole(role, arguments) || runReliabilityRole(role, arguments) else {
            FileHandle.standardError.write(Data("unknown role \(role)\n".utf8))
            exit(2)
        }
    }
} catch {
    FileHandle.standardError.write(Data("\(role) failed: \(error)\n".utf8))
    exit(1)
}
