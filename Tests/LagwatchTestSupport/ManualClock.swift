import Synchronization

/// A wall clock that a test sets: what a poller reads as "now", in seconds since the epoch, so tests
/// where time is the subject decide it rather than wait for it.
public final class ManualClock: Sendable {
    private let time: Mutex<Double>

    /// Creates a clock reading `time`.
    public init(_ time: Double) {
        self.time = Mutex(time)
    }

    /// The time the clock reads.
    public var now: Double { time.withLock { $0 } }

    /// Sets the time the clock reads.
    public func set(_ newTime: Double) {
        time.withLock { $0 = newTime }
    }
}
