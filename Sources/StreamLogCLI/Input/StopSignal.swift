import Foundation
import Synchronization

/// SIGINT and SIGTERM as a flag that long-running loops (`--follow`) poll, so they stop cleanly:
/// flush what they printed and exit with status 0.
enum StopSignal {
    private static let raised = Atomic<Bool>(false)

    /// Replaces the default action of SIGINT and SIGTERM (ending the process) with raising the flag.
    static func install() {
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        for signalNumber in [SIGINT, SIGTERM] {
            // An atomic store is async-signal-safe; the handler does nothing else.
            signal(signalNumber) { _ in StopSignal.raised.store(true, ordering: .relaxed) }
            sigaddset(&unblocked, signalNumber)
        }
        // A blocked mask survives exec: a parent that blocks these signals in its spawning thread
        // would otherwise leave them pending here forever.
        sigprocmask(SIG_UNBLOCK, &unblocked, nil)
    }

    /// Whether SIGINT or SIGTERM arrived since ``install()``.
    static var isRaised: Bool { raised.load(ordering: .relaxed) }
}
