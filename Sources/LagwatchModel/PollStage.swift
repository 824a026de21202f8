/// The steps of one poll, in the order they run. Each one succeeds or fails on its own, and each failure is
/// counted under the stage's `rawValue` in `lagwatch_poll_errors_total{stage}`.
public enum PollStage: String, Sendable, CaseIterable, Hashable {
    /// Brokers, topics, partitions, leaders and replicas.
    case metadata
    /// Listing and describing consumer groups through the Admin API.
    case groupDiscovery = "group_discovery"
    /// Committed offsets of every known group (fetched before the watermarks).
    case committedOffsets = "committed_offsets"
    /// Low and high watermarks of every watched partition.
    case watermarks
    /// Timestamps of the records at lagging committed offsets, for groups on the exact lag-in-seconds method;
    /// runs only when some group is.
    case recordTimestamps = "record_timestamps"
}

/// Whether the broker lets lagwatch list and describe consumer groups.
public enum GroupDiscoveryStatus: Sendable, Hashable {
    /// Discovery is turned off by configuration; only configured groups are watched.
    case disabled
    /// Listing worked in this poll.
    case supported
    /// The broker or its ACLs refused listing; the reason is the broker's or the client's message.
    case unsupported(reason: String)
    /// Listing failed for another reason (timeout, broker down) in this poll.
    case failed(reason: String)
}
