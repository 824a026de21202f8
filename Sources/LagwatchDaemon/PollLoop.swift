public import Dispatch
import CGlibcExtras
import LagwatchKafka
import LagwatchThreads
public import LagwatchModel
import Synchronization

/// Runs a ``ClusterPoller`` on its own thread every interval and publishes each snapshot, until stopped.
/// librdkafka's calls block, so polls run on a plain thread rather than on Swift's cooperative pool.
///
/// Ownership: the poller (not `Sendable`) is handed to the loop with `sending`, waits under a lock until
/// ``start()``, and is then moved to the loop's thread, which is the only one that ever touches it again —
/// every poll, and the release of its Kafka client, happen there.
public final class PollLoop: Sendable {
    private let clusterName: String
    /// The poller until ``start()`` moves it to the loop's thread.
    private let pending: Mutex<ClusterPoller?>
    private let store: SnapshotStore
    private let intervalSeconds: Double
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let stopping = Mutex(false)
    private let onPoll: @Sendable (ClusterSnapshot) -> Void

    /// Creates a loop; ``start()`` begins it. `onPoll` is called on the loop's thread after each publish.
    public init(
        poller: sending ClusterPoller,
        store: SnapshotStore,
        intervalSeconds: Double,
        onPoll: @escaping @Sendable (ClusterSnapshot) -> Void = { _ in }
    ) {
        clusterName = poller.cluster.name
        pending = Mutex(poller)
        self.store = store
        self.intervalSeconds = intervalSeconds
        self.onPoll = onPoll
    }

    /// Starts polling at once, then every interval (measured start to start; a poll longer than the
    /// interval is followed by the next one at once). A second call does nothing.
    public func start() {
        guard let poller = pending.withLock({ $0.take() }) else { return }
        OSThread.detach(name: "lagwatch-poll-\(clusterName)") { [self] in
            while !stopping.withLock({ $0 }) {
                let started = DispatchTime.now()
                let snapshot = poller.poll()
                // A loop stopped while polling (a reload replaced it) must not overwrite its successor's data.
                if stopping.withLock({ $0 }) { break }
                store.publish(snapshot, options: poller.seriesOptions)
                onPoll(snapshot)
                // The poll's transient buffers (observation, old snapshot, render chunks) are free now; hand
                // the pages back so resident memory tracks what is live.
                _ = malloc_trim(0)
                let next = started + .milliseconds(Int(intervalSeconds * 1000))
                _ = wake.wait(timeout: next)
            }
            finished.signal()
            // Release the Kafka client only once its admin requests are answered (a reload stopped this loop
            // while the cluster goes on); at process exit this thread simply ends with the process.
            poller.retire()
        }
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
