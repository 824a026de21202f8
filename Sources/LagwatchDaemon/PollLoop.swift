public import Dispatch
import Foundation
import CMalloc
import LagwatchModel
import Synchronization

/// Runs a ``ClusterPoller`` on its own thread every interval and publishes each snapshot, until stopped.
/// librdkafka's calls block, so polls run on a plain thread rather than on Swift's cooperative pool.
public final class PollLoop: Sendable {
    private let poller: ClusterPoller
    private let store: SnapshotStore
    private let intervalSeconds: Double
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let stopping = Mutex(false)

    /// Creates a loop; ``start()`` begins it.
    public init(poller: ClusterPoller, store: SnapshotStore, intervalSeconds: Double) {
        self.poller = poller
        self.store = store
        self.intervalSeconds = intervalSeconds
    }

    /// Starts polling at once, then every interval (measured start to start; a poll longer than the
    /// interval is followed by the next one at once).
    public func start() {
        let thread = Thread { [self] in
            while !stopping.withLock({ $0 }) {
                let started = DispatchTime.now()
                store.publish(poller.poll())
                // The poll's transient buffers (observation, old snapshot, render chunks) are free now; hand
                // the pages back so resident memory tracks what is live.
                _ = malloc_trim(0)
                let next = started + .milliseconds(Int(intervalSeconds * 1000))
                _ = wake.wait(timeout: next)
            }
            finished.signal()
        }
        thread.name = "lagwatch-poll-\(poller.cluster.name)"
        thread.start()
    }

    /// Asks the loop to stop after the poll in progress, if any.
    public func requestStop() {
        stopping.withLock { $0 = true }
        wake.signal()
    }

    /// Waits until `deadline` for the loop to end after ``requestStop()``.
    ///
    /// - Returns: false when the poll in progress did not end in time (the process may exit anyway).
    public func waitUntilStopped(deadline: DispatchTime) -> Bool {
        finished.wait(timeout: deadline) == .success
    }
}
