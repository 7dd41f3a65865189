import Foundation
import Synchronization

/// SIGINT and SIGTERM as a flag that long-running loops (`--follow`) poll, so they stop cleanly:
/// flush what they printed and exit with status 0.
enum StopSignal {
    private static let raised = Atomic<Bool>(false)

    /// Replaces the default action of SIGINT and SIGTERM (ending the process) with raising the flag.
    static func install() {
        for signalNumber in [SIGINT, SIGTERM] {
            // An atomic store is async-signal-safe; the handler does nothing else.
            signal(signalNumber) { _ in StopSignal.raised.store(true, ordering: .relaxed) }
        }
    }

    /// Whether SIGINT or SIGTERM arrived since ``install()``.
    static var isRaised: Bool { raised.load(ordering: .relaxed) }
}
