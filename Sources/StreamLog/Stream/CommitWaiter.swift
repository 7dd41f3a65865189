import Foundation

/// How a ``SQLiteSubscriber`` waits for the next commit of another connection: when it sleeps on
/// its ``ChangeWatcher``, when it looks without sleeping, and when it drops the watch.
///
/// The subscriber tells it what its reads found (``readFoundEvents()``, ``sawCommit()``) and
/// gives each wait a way to look for a commit (`PRAGMA data_version` against its last read);
/// the waiter holds nothing of the database.
///
/// - A consumer that read something since it last slept first looks for the next commit for up
///   to ``lookBeforeSleeping`` (yielding): a busy producer commits every few dozen microseconds,
///   and sleeping and being woken cost more than looking. One that finds it has not slept, so
///   its watch stays as it was. An idle consumer looks once per quiet spell: after the look
///   fails, it sleeps without looking until something new arrives.
/// - Looking is adaptive: after ``failedLooksBeforeSkipping`` looks in a row found nothing (a
///   stream slower than one commit per look), the consumer sleeps at once, and looks again only
///   once a commit wakes it within ``lookBeforeSleeping`` of falling asleep (one a look would
///   have found). A consumer of a stream of a thousand events a second would otherwise spend
///   150 µs of CPU on each event looking in vain.
/// - A second read without a wait in between means the consumer is busy catching up: the watch
///   would only tax the producers' writes (each queues an event for us), so it is dropped until
///   the next wait. An idle consumer reads once per wait and keeps its watch.
/// - The subscriber's own commits (evictions, cursors) write the WAL too, and would wake it.
///   After each, ``discardOwnWakeup()`` drops the queued events; since another connection's
///   event may have been dropped with them, the next wait looks for a commit before it sleeps,
///   and sleeps at most 1 ms.
/// - The WAL write that wakes the consumer can precede the commit becoming visible, so an
///   unconfirmed wakeup spins briefly (yielding) and re-checks at ~200 µs. One such wakeup is
///   usually a commit slow to show: the next wait lasts at most 1 ms, so it is still seen soon,
///   while a new commit wakes it at once.
/// - A second unconfirmed wakeup before any commit is seen means a large transaction is being
///   written: the watch is dropped, since each of its writes would cost the writer an event for
///   us (a 100 MiB transaction is 25,600 writes), and the waiter polls every
///   ``largeWritePollMicroseconds`` until it commits (or the wait's time is up; the watch comes
///   back with the next wait).
final class CommitWaiter {
    /// How long a consumer that has just read something looks for the next commit before it
    /// sleeps.
    static let lookBeforeSleeping: Duration = .microseconds(150)
    /// How many looks in a row may find nothing before the consumer stops looking.
    static let failedLooksBeforeSkipping = 2
    /// How often, in microseconds, a consumer looks for the commit of a large transaction being
    /// written (without its watch).
    static let largeWritePollMicroseconds: useconds_t = 250
    /// The longest sleep on the watch: a wakeup can be missed (another file system, a watch that
    /// failed), and the consumer still looks this often.
    static let safetyNet: Duration = .milliseconds(100)

    private let watcher: ChangeWatcher
    /// Reads that found something new since the last wait.
    private var readsSinceWait = 0
    /// Wakeups that found no commit since one was last seen.
    private var unconfirmedWakeups = 0
    /// Whether the next wait lasts at most 1 ms (after a first unconfirmed wakeup, or after the
    /// subscriber's own commit dropped the queued events).
    private var waitBrieflyNext = false
    /// Looks in a row that found no commit.
    private var failedLooks = 0
    /// Whether queued events were dropped after the subscriber's own commit (one of them may
    /// have been another connection's): the next wait looks for a commit before it sleeps.
    private var droppedEvents = false

    /// A waiter for commits to the file at `databasePath`.
    init(databasePath: String) {
        watcher = ChangeWatcher(databasePath: databasePath)
    }

    /// Whether the file is watched for commits (it is not while a backlog is read).
    var isWatching: Bool { watcher.isWatching }

    /// A read found new events: on the second since the last wait, the watch is dropped.
    func readFoundEvents() {
        readsSinceWait += 1
        if readsSinceWait == 2 { watcher.stopWatching() }
    }

    /// A read saw a new commit (`data_version` moved): wakeups are confirmed again.
    func sawCommit() {
        unconfirmedWakeups = 0
    }

    /// The subscriber committed a write of its own: drops the wakeup it queued for itself.
    func discardOwnWakeup() {
        guard watcher.isWatching else { return }
        watcher.discardQueuedEvents()
        droppedEvents = true
        waitBrieflyNext = true
    }

    /// Returns once `hasNewCommit` may be true (or `deadline` has passed, or a wakeup came to
    /// nothing): the caller reads, and waits again if there was nothing to read.
    ///
    /// - Parameter hasNewCommit: whether another connection has committed since the caller's
    ///   last read.
    func wait(until deadline: ContinuousClock.Instant?, hasNewCommit: () throws -> Bool) throws {
        let clock = ContinuousClock()
        func upTo(_ longest: Duration) -> Duration {
            deadline.map { min(max(clock.now.duration(to: $0), .zero), longest) } ?? longest
        }
        /// Looks for a commit until `duration` has passed, calling `pause` before each look.
        func committed(within duration: Duration, pausing pause: () -> Void) throws -> Bool {
            let end = clock.now.advanced(by: duration)
            while clock.now < end {
                pause()
                if try hasNewCommit() { return true }
            }
            return false
        }

        if readsSinceWait > 0 && failedLooks < Self.failedLooksBeforeSkipping {
            if try committed(within: upTo(Self.lookBeforeSleeping), pausing: { sched_yield() }) {
                failedLooks = 0
                return
            }
            failedLooks += 1
        }
        let wait = upTo(waitBrieflyNext ? .milliseconds(1) : Self.safetyNet)
        waitBrieflyNext = false
        readsSinceWait = 0
        // A commit between the caller's last look and the watch's start woke nobody, nor did one
        // whose event was dropped with the subscriber's own: look again.
        let mustLook = watcher.startWatching() || droppedEvents
        droppedEvents = false
        if mustLook, try hasNewCommit() { return }
        let asleep = clock.now
        guard watcher.wait(timeout: wait) else { return }
        if try hasNewCommit() || committed(within: .microseconds(50), pausing: { sched_yield() }) {
            // Woken that soon, a look would have found the commit without sleeping.
            if asleep.duration(to: clock.now) < Self.lookBeforeSleeping { failedLooks = 0 }
            return
        }
        usleep(150)
        if try hasNewCommit() { return }
        unconfirmedWakeups += 1
        if unconfirmedWakeups == 1 {
            waitBrieflyNext = true
            return
        }
        watcher.stopWatching()
        _ = try committed(within: upTo(Self.safetyNet), pausing: { usleep(Self.largeWritePollMicroseconds) })
    }
}
