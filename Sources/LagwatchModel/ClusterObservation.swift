/// The timestamp of the first record at or after an offset of a partition.
public struct RecordTime: Sendable, Hashable {
    /// The record's offset: the offset asked for, or the next one that exists (compacted or aborted records
    /// leave gaps).
    public var offset: Int64
    /// The record's timestamp, in seconds since the epoch.
    public var timestamp: Double
    /// True when the broker stamped the record on append (`LogAppendTime`); false when the producer did
    /// (`CreateTime`, so producer clock skew shows in the lag).
    public var isLogAppendTime: Bool

    /// Creates a record time.
    public init(offset: Int64, timestamp: Double, isLogAppendTime: Bool) {
        self.offset = offset
        self.timestamp = timestamp
        self.isLogAppendTime = isLogAppendTime
    }
}

/// One member of a consumer group as the broker describes it.
public struct GroupMember: Sendable, Hashable {
    /// The member id the coordinator gave it.
    public var memberID: String
    /// The client id the consumer set.
    public var clientID: String
    /// The host it connected from, as the broker saw it.
    public var host: String
    /// Partitions assigned to it.
    public var assigned: [TopicPartition]

    /// Creates a member.
    public init(memberID: String, clientID: String, host: String, assigned: [TopicPartition]) {
        self.memberID = memberID
        self.clientID = clientID
        self.host = host
        self.assigned = assigned
    }
}

/// What lagwatch learnt about one consumer group in one poll, before any lag is computed.
public struct GroupObservation: Sendable, Hashable {
    /// The group id.
    public var name: String
    /// The group state as the broker describes it (`Stable`, `Empty`, …), when the group could be described.
    public var state: String?
    /// The number of members, when the group could be described.
    public var memberCount: Int?
    /// The members and their assignments, when the group could be described.
    public var members: [GroupMember]?
    /// Committed offsets by partition. A partition the group was asked about but never committed to
    /// maps to `nil`.
    public var committed: PartitionMap<Int64?>
    /// Why the committed offsets could not be fetched in this poll, or `nil` when they were.
    public var fetchError: String?

    /// Creates a group observation.
    public init(
        name: String,
        state: String? = nil,
        memberCount: Int? = nil,
        members: [GroupMember]? = nil,
        committed: PartitionMap<Int64?>,
        fetchError: String? = nil
    ) {
        self.name = name
        self.state = state
        self.memberCount = memberCount ?? members?.count
        self.members = members
        self.committed = committed
        self.fetchError = fetchError
    }
}

/// Everything one poll of one cluster gathered, raw: the input of ``ClusterHistory/advance(_:)``.
public struct ClusterObservation: Sendable {
    /// The configured name of the cluster (`cluster_name` label).
    public var clusterName: String
    /// The cluster's metadata, or `nil` when the metadata request failed.
    public var metadata: ClusterMetadata?
    /// Watermarks of every partition whose leader answered.
    public var watermarks: PartitionMap<Watermarks>
    /// Groups and their committed offsets.
    public var groups: [GroupObservation]
    /// Whether group listing was possible.
    public var discovery: GroupDiscoveryStatus
    /// The errors each stage met, by stage; a stage missing here succeeded.
    public var stageErrors: [PollStage: String]
    /// Wall time each stage took, in seconds; a stage that did not run is missing.
    public var stageDurations: [PollStage: Double] = [:]
    /// Timestamps of records read for the exact lag-in-seconds method: by partition, then by the offset
    /// asked for (several groups may sit at different offsets of one partition).
    public var recordTimes: [TopicPartition: [Int64: RecordTime]] = [:]
    /// The time each stage's data is taken to describe: the middle of the stage, in seconds since the epoch.
    /// Rates use it rather than the poll's start, so a slow stage before does not skew them.
    public var observedAt: [PollStage: Double] = [:]
    /// Wall-clock time the poll started, in seconds since the Unix epoch.
    public var startedAt: Double
    /// How long the poll took, in seconds.
    public var durationSeconds: Double

    /// When this poll's watermarks were read (the middle of that stage, else the poll's start): the time
    /// rates, timelines and lag in seconds take them at.
    public var watermarksObservedAt: Double { observedAt[.watermarks] ?? startedAt }
    /// When this poll's committed offsets were read, likewise.
    public var committedObservedAt: Double { observedAt[.committedOffsets] ?? startedAt }

    /// Creates an observation.
    public init(
        clusterName: String,
        metadata: ClusterMetadata?,
        watermarks: PartitionMap<Watermarks>,
        groups: [GroupObservation],
        discovery: GroupDiscoveryStatus,
        stageErrors: [PollStage: String],
        startedAt: Double,
        durationSeconds: Double
    ) {
        self.clusterName = clusterName
        self.metadata = metadata
        self.watermarks = watermarks
        self.groups = groups
        self.discovery = discovery
        self.stageErrors = stageErrors
        self.startedAt = startedAt
        self.durationSeconds = durationSeconds
    }
}
