import Glibc

/// Wall-clock time in seconds since the Unix epoch, for timestamps that are exported.
public enum WallClock {
    /// The current time.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
