#if canImport(Glibc)
import Glibc
#endif

/// A point on the monotonic clock after which a wait should end.
public struct Deadline: Sendable {
    private let end: UInt64

    /// The deadline `milliseconds` from now (now, for a negative value).
    public init(milliseconds: Int) {
        end = Self.nowNanoseconds() &+ UInt64(max(0, milliseconds)) &* 1_000_000
    }

    /// Whether the deadline is reached.
    public var hasPassed: Bool { Self.nowNanoseconds() >= end }

    /// Milliseconds left, at least 0.
    public var remainingMilliseconds: Int {
        let now = Self.nowNanoseconds()
        return now >= end ? 0 : Int((end - now) / 1_000_000)
    }

    static func nowNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
