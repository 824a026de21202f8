/// How polls are turned into rates, lag times and statuses: the settings of ``RateTracker``,
/// ``WatermarkTimelines`` and ``StatusTracker``, with their defaults stated once.
public struct AnalysisSettings: Sendable, Equatable {
    /// The window produce and consume rates are averaged over, in seconds.
    public var rateWindowSeconds: Double = 300
    /// (time, high watermark) points kept per partition to date lag in seconds.
    public var timelinePoints = 32
    /// Polls the status rules look back over.
    public var statusWindowPolls = 10
    /// Lag, in messages, at or below which the status rules count a partition as caught up.
    public var statusMinLag: Int64 = 0
    /// Whether each group partition's status is exported as its own series.
    public var exportsPartitionStatus = false
    /// Which groups get the exact lag-in-seconds method, and what it may cost per poll.
    public var exact = ExactLagSettings()
    /// Seconds a partition's last stable offset may stand still below its high watermark before its open
    /// transaction counts as hanging: Kafka's default `transaction.max.timeout.ms`, 15 minutes, after which
    /// no healthy transaction can still be open.
    public var hangingTransactionSeconds: Double = 900
    /// Age, in seconds, of a memberless group's oldest unconsumed message past which the group is INACTIVE
    /// rather than STOP (or anything worse): a day by default.
    public var inactiveAfterSeconds: Double = 86_400

    /// Creates the default settings.
    public init() {}
}

/// The exact lag-in-seconds method: read the timestamp of the record at each lagging partition's committed
/// offset, for the groups chosen, within a bound per poll.
public struct ExactLagSettings: Sendable, Equatable {
    /// Groups that get the exact method; none by default.
    public var groups: NameFilter?
    /// Partition offsets read per poll at most; the most lagging first, the rest fall back to interpolation.
    public var maxPartitions = 1000
    /// How long a poll waits for the records, in milliseconds.
    public var timeoutMilliseconds = 2000

    /// Creates the default: no group uses the exact method.
    public init() {}
}
