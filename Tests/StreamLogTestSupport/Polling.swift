import Foundation

/// Polls `condition` every millisecond until it holds or `timeout` passes; returns whether it
/// held. Tests synchronise with other threads and processes this way, never with sleeps.
public func waitUntil(timeout: Duration = .seconds(20), _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.001)
    }
    return try condition()
}
