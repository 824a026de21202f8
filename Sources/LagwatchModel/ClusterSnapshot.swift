/// One partition of a watched topic: where it lives and, when its leader answered, its watermarks.
public struct PartitionState: Sendable, Hashable {
    /// Placement from the metadata.
    public let metadata: PartitionMetadata
    /// Watermarks, or `nil` when they could not be fetched in this poll (no series is exported then).
    public let watermarks: Watermarks?
    /// Messages produced per second, averaged over the rate window; `nil` when there is no rate this poll.
    public let produceRate: Double?
    /// The partition's oldest open transaction, when its last stable offset is below its high watermark.
    public let openTransaction: OpenTransaction?

    /// Creates a partition state.
    public init(
        metadata: PartitionMetadata,
        watermarks: Watermarks?,
        produceRate: Double? = nil,
        openTransaction: OpenTransaction? = nil
    ) {
        self.metadata = metadata
        self.watermarks = watermarks
        self.produceRate = produceRate
        self.openTransaction = openTransaction
    }
}

/// One watched topic with its partitions, ordered by partition number.
public struct TopicState: Sendable, Hashable {
    /// The topic name.
    public let name: String
    /// The topic's partitions.
    public let partitions: [PartitionState]
    /// The sum of the partitions' produce rates, or `nil` when any partition has none this poll.
    public let produceRate: Double?

    /// Creates a topic state and sums its partitions' produce rates.
    public init(name: String, partitions: [PartitionState]) {
        self.name = name
        self.partitions = partitions
        self.produceRate = sumOfAll(partitions.map(\.produceRate))
    }
}

/// A group's position and lag on one partition it has committed to.
///
/// Stored packed, 40 bytes instead of 64 (a snapshot holds one per group partition, and two snapshots are
/// alive while one is published): the optionals' presence in one flags byte beside the partition number
/// and the two statuses, the numbers after them.
public struct PartitionLag: Sendable, Hashable {
    /// The partition number.
    public let partition: Int32
    private let storedStatus: ConsumerStatus?
    private let storedLagTimeMethod: LagTimeMethod?
    private let flags: UInt8
    /// The committed offset: the next offset the group will read.
    public let committed: Int64
    private let storedLag: Int64
    private let storedConsumeRate: Double
    private let storedLagSeconds: Double

    private static let hasLag: UInt8 = 1, hasConsumeRate: UInt8 = 2, behind: UInt8 = 4, past: UInt8 = 8

    /// High watermark minus committed offset, clamped at 0; `nil` when the watermark is unknown this poll.
    public var lag: Int64? { flags & Self.hasLag != 0 ? storedLag : nil }
    /// True when the committed offset is below the log start: retention deleted messages the group never read.
    public var behindLogStart: Bool { flags & Self.behind != 0 }
    /// True when the committed offset is past the high watermark: the topic was deleted and recreated under
    /// the group, or the log was truncated (an unclean leader election). Its lag reads 0, but it is not
    /// caught up: it is waiting for offsets the new log has not reached.
    public var pastLogEnd: Bool { flags & Self.past != 0 }
    /// Messages consumed (committed) per second, averaged over the rate window; `nil` when there is no rate
    /// this poll.
    public var consumeRate: Double? { flags & Self.hasConsumeRate != 0 ? storedConsumeRate : nil }
    /// How long ago the first unconsumed message was produced; `nil` when the lag is unknown this poll or
    /// the message is older than what lagwatch's watermark history can date.
    public var lagTime: LagTime? { storedLagTimeMethod.map { LagTime(seconds: storedLagSeconds, method: $0) } }
    /// The consumer's status on this partition (see ``StatusTracker``); `nil` when its lag is unknown this
    /// poll or status is not judged.
    public var status: ConsumerStatus? { storedStatus }

    /// The same partition lag, INACTIVE where its status was anything worse than OK.
    func markedInactive() -> PartitionLag {
        guard let status, status > .inactive else { return self }
        return PartitionLag(
            partition: partition, committed: committed, lag: lag, behindLogStart: behindLogStart, pastLogEnd: pastLogEnd,
            consumeRate: consumeRate, lagTime: lagTime, status: .inactive)
    }

    /// Creates a partition lag.
    public init(
        partition: Int32,
        committed: Int64,
        lag: Int64?,
        behindLogStart: Bool,
        pastLogEnd: Bool = false,
        consumeRate: Double? = nil,
        lagTime: LagTime? = nil,
        status: ConsumerStatus? = nil
    ) {
        self.partition = partition
        self.committed = committed
        storedLag = lag ?? 0
        storedConsumeRate = consumeRate ?? 0
        storedLagSeconds = lagTime?.seconds ?? 0
        storedLagTimeMethod = lagTime?.method
        storedStatus = status
        flags = (lag == nil ? 0 : Self.hasLag) | (consumeRate == nil ? 0 : Self.hasConsumeRate)
            | (behindLogStart ? Self.behind : 0) | (pastLogEnd ? Self.past : 0)
    }
}

/// A group's lag on one topic.
public struct GroupTopicLag: Sendable, Hashable {
    /// The topic name.
    public let topic: String
    /// Partitions with a committed offset, ordered by partition number.
    public let partitions: [PartitionLag]
    /// The sum of committed offsets over ``partitions``.
    public let committedSum: Int64
    /// The sum of lag over ``partitions``, or `nil` when any partition's lag is unknown this poll, so that
    /// a partial sum is never shown as the whole.
    public let lagSum: Int64?
    /// The sum of the partitions' consume rates, or `nil` when any partition has none this poll.
    public let consumeRate: Double?
    /// The largest lag in seconds over ``partitions``, or `nil` when any lagging partition's is unknown;
    /// its method is the least trusted among the partitions'.
    public let maxLagTime: LagTime?

    /// Creates a topic lag and computes its sums.
    public init(topic: String, partitions: [PartitionLag]) {
        self.topic = topic
        self.partitions = partitions
        self.committedSum = partitions.reduce(0) { $0 &+ $1.committed }
        self.lagSum = sumOfAll(partitions.map(\.lag))
        self.consumeRate = sumOfAll(partitions.map(\.consumeRate))
        self.maxLagTime = maxOfAll(partitions.map(\.lagTime))
    }
}

/// The largest of `times` with the least trusted method among them, or `nil` when any is `nil` or there
/// are none.
func maxOfAll(_ times: [LagTime?]) -> LagTime? {
    var result: LagTime?
    for time in times {
        guard let time else { return nil }
        result = LagTime(
            seconds: max(result?.seconds ?? 0, time.seconds), method: max(result?.method ?? time.method, time.method))
    }
    return result
}

/// The sum of `values`, or `nil` when any is `nil`: a partial sum is never shown as the whole.
func sumOfAll(_ values: [Double?]) -> Double? {
    var sum = 0.0
    for value in values {
        guard let value else { return nil }
        sum += value
    }
    return sum
}

/// The sum of `offsets`, or `nil` when any is `nil`; wraps rather than traps, since a broker can send any
/// 64-bit value.
func sumOfAll(_ offsets: [Int64?]) -> Int64? {
    var sum: Int64 = 0
    for offset in offsets {
        guard let offset else { return nil }
        sum &+= offset
    }
    return sum
}

/// A consumer group's lag over every watched topic it has committed to.
public struct GroupLag: Sendable, Hashable {
    /// The group id.
    public let name: String
    /// The group state as described by the broker, when known.
    public let state: String?
    /// The number of members, when the group could be described.
    public let memberCount: Int?
    /// The members with their assignments, when the group could be described.
    public let members: [GroupMember]?
    /// Members with no partition assigned, when the group could be described.
    public var membersWithoutAssignment: Int? { members.map { $0.filter(\.assigned.isEmpty).count } }
    /// Partitions assigned to the group's members, by topic, when the group could be described.
    public var assignedPartitionsByTopic: [String: Int]? {
        members.map { members in
            var counts: [String: Int] = [:]
            for member in members {
                for partition in member.assigned { counts[partition.topic, default: 0] += 1 }
            }
            return counts
        }
    }
    /// Topics the group has committed to, ordered by name.
    public let topics: [GroupTopicLag]
    /// Partitions the group was asked about that have no committed offset (no series is exported for them).
    public let partitionsWithoutCommit: Int
    /// Partitions whose committed offset is below the log start: data the group has lost.
    public let partitionsBehindLogStart: Int
    /// Partitions whose committed offset is past the log end (see ``PartitionLag/pastLogEnd``).
    public let partitionsPastLogEnd: Int
    /// Why the committed offsets could not be fetched this poll; `nil` on success. On failure ``topics`` is empty.
    public let fetchError: String?
    /// Partitions with a known lag whose lag in seconds could not be estimated: their next message is older
    /// than the watermark history reaches.
    public var partitionsWithoutLagTime: Int {
        topics.reduce(0) { $0 + $1.partitions.filter { $0.lag != nil && $0.lagTime == nil }.count }
    }
    /// The lag summed over every topic, or `nil` when the offsets were not fetched or any topic's sum is
    /// unknown this poll.
    public var totalLag: Int64? { Self.totalLag(of: topics, fetchError: fetchError) }

    /// The lag summed over `topics`, or `nil` when `fetchError` is set or any topic's sum is unknown.
    static func totalLag(of topics: [GroupTopicLag], fetchError: String?) -> Int64? {
        fetchError == nil ? sumOfAll(topics.map(\.lagSum)) : nil
    }
    /// The consume rate summed over every topic, or `nil` when the offsets were not fetched or any topic's is
    /// unknown this poll.
    public var totalConsumeRate: Double? { fetchError == nil ? sumOfAll(topics.map(\.consumeRate)) : nil }
    /// The largest lag in seconds over every topic, or `nil` when any topic's is unknown.
    public var maxLagTime: LagTime? { topics.isEmpty ? nil : maxOfAll(topics.map(\.maxLagTime)) }
    /// Seconds until every partition's lag reaches 0 at the current consume and produce rates: 0 when there
    /// is no lag, `nil` when any lagging partition is not catching up (consumes no faster than it is
    /// written) or has no rates yet.
    public let catchUpSeconds: Double?
    /// The worst status over the group's partitions; OK when none is judged; `nil` when the offsets could
    /// not be fetched.
    public var status: ConsumerStatus? {
        guard fetchError == nil else { return nil }
        if committedNowhere { return .notFound }
        return topics.lazy.flatMap(\.partitions).compactMap(\.status).max() ?? .ok
    }
    /// True when the offsets were fetched and the group has no committed offset on any partition, watched or
    /// not: NOTFOUND.
    public let committedNowhere: Bool
    /// The group's total lag over its last polls, oldest first (`nil` where unknown); see ``LagTrends``.
    public let lagTrend: [Int64?]
    /// How many of the group's partitions are in each status.
    public var partitionsByStatus: [ConsumerStatus: Int] {
        var counts: [ConsumerStatus: Int] = [:]
        for topic in topics {
            for partition in topic.partitions {
                if let status = partition.status { counts[status, default: 0] += 1 }
            }
        }
        return counts
    }

    /// Creates a group lag.
    public init(
        name: String,
        state: String?,
        memberCount: Int?,
        topics: [GroupTopicLag],
        partitionsWithoutCommit: Int,
        partitionsBehindLogStart: Int,
        partitionsPastLogEnd: Int = 0,
        fetchError: String?,
        members: [GroupMember]? = nil,
        catchUpSeconds: Double? = nil,
        lagTrend: [Int64?] = [],
        committedNowhere: Bool = false
    ) {
        self.committedNowhere = committedNowhere
        self.name = name
        self.state = state
        self.memberCount = memberCount
        self.topics = topics
        self.partitionsWithoutCommit = partitionsWithoutCommit
        self.partitionsBehindLogStart = partitionsBehindLogStart
        self.partitionsPastLogEnd = partitionsPastLogEnd
        self.fetchError = fetchError
        self.members = members
        self.catchUpSeconds = catchUpSeconds
        self.lagTrend = lagTrend
    }
}

/// Counters that live for the whole life of the process, carried from poll to poll.
public struct PollCounters: Sendable, Hashable {
    /// Polls completed, successful or not.
    public var polls: UInt64 = 0
    /// Errors by stage since the process started.
    public var errors: [PollStage: UInt64] = [:]
    /// Wall-clock time of the last poll in which every stage succeeded, seconds since the epoch.
    public var lastSuccessAt: Double?

    /// Creates zeroed counters.
    public init() {}

    /// Counts a finished poll and its stage errors.
    public mutating func record(_ observation: ClusterObservation) {
        polls += 1
        for stage in observation.stageErrors.keys {
            errors[stage, default: 0] += 1
        }
        if observation.stageErrors.isEmpty {
            lastSuccessAt = observation.startedAt + observation.durationSeconds
        }
    }
}

/// The immutable result of one completed poll of one cluster, with lag computed: what `/metrics` serves.
public struct ClusterSnapshot: Sendable {
    /// The configured cluster name.
    public let clusterName: String
    /// True when the cluster answered the metadata request in this poll.
    public let up: Bool
    /// Brokers, ordered by id; empty when ``up`` is false.
    public let brokers: [Broker]
    /// The controller's id, when known.
    public let controllerID: Int32?
    /// Watched topics, ordered by name; empty when ``up`` is false.
    public let topics: [TopicState]
    /// Groups, ordered by name.
    public let groups: [GroupLag]
    /// Whether group listing was possible in this poll.
    public let discovery: GroupDiscoveryStatus
    /// Stage errors of this poll.
    public let stageErrors: [PollStage: String]
    /// Wall time of each stage that ran in this poll, in seconds.
    public let stageDurations: [PollStage: Double]
    /// The window produce and consume rates are averaged over, in seconds; `nil` when rates are not computed.
    public let rateWindowSeconds: Double?
    /// The time the lags in seconds are measured at: when this poll's watermarks were read, in seconds since
    /// the epoch.
    public let lagObservedAt: Double?
    /// Points held in all partitions' watermark timelines after this poll; `nil` when none are kept.
    public let timelinePoints: Int?
    /// Polls the status rules look back over; `nil` when status is not judged.
    public let statusWindowPolls: Int?
    /// Partitions of watched topics whose watermarks could not be fetched this poll.
    public let partitionsWithoutWatermarks: Int
    /// When the poll started, seconds since the epoch.
    public let pollStartedAt: Double
    /// How long the poll took, in seconds.
    public let pollDurationSeconds: Double
    /// Process-lifetime counters as of this poll.
    public let counters: PollCounters

    /// When the poll completed, seconds since the epoch.
    public var completedAt: Double { pollStartedAt + pollDurationSeconds }

    /// Creates a snapshot; ``ClusterHistory/advance(_:)`` is the usual way.
    public init(
        clusterName: String,
        up: Bool,
        brokers: [Broker],
        controllerID: Int32?,
        topics: [TopicState],
        groups: [GroupLag],
        discovery: GroupDiscoveryStatus,
        stageErrors: [PollStage: String],
        partitionsWithoutWatermarks: Int,
        pollStartedAt: Double,
        pollDurationSeconds: Double,
        counters: PollCounters,
        stageDurations: [PollStage: Double] = [:],
        rateWindowSeconds: Double? = nil,
        lagObservedAt: Double? = nil,
        timelinePoints: Int? = nil,
        statusWindowPolls: Int? = nil
    ) {
        self.clusterName = clusterName
        self.up = up
        self.brokers = brokers
        self.controllerID = controllerID
        self.topics = topics
        self.groups = groups
        self.discovery = discovery
        self.stageErrors = stageErrors
        self.partitionsWithoutWatermarks = partitionsWithoutWatermarks
        self.pollStartedAt = pollStartedAt
        self.pollDurationSeconds = pollDurationSeconds
        self.counters = counters
        self.stageDurations = stageDurations
        self.rateWindowSeconds = rateWindowSeconds
        self.lagObservedAt = lagObservedAt
        self.timelinePoints = timelinePoints
        self.statusWindowPolls = statusWindowPolls
    }
}
