/// How polls are turned into rates, lag times and statuses: the settings of ``RateTracker``,
/// ``WatermarkTimelines`` and ``StatusTracker``, with their defaults stated once.
public struct AnalysisSettings: Sendable, Hashable {
    /// The window produce and consume rates are averaged over, in seconds.
    public var rateWindowSeconds: Double = 300
    /// (time, high watermark) points kept per partition to date lag in seconds.
    public var timelinePoints = 32
    /// Polls the status rules look back over.
    public var statusWindowPolls = 10
    /// Whether each group partition's status is exported as its own series.
    public var exportsPartitionStatus = false

    /// Creates the default settings.
    public init() {}
}
