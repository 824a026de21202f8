/// One Kafka broker as the cluster's metadata describes it.
public struct Broker: Sendable, Hashable {
    /// The broker's node id.
    public var id: Int32
    /// The advertised host name.
    public var host: String
    /// The advertised port.
    public var port: Int32

    /// Creates a broker description.
    public init(id: Int32, host: String, port: Int32) {
        self.id = id
        self.host = host
        self.port = port
    }

    /// `host:port`, the form kafka_exporter puts in `kafka_broker_info{address}`.
    public var address: String { "\(host):\(port)" }
}

/// A topic name and a partition number: the key of every per-partition value.
public struct TopicPartition: Sendable, Hashable, Comparable {
    /// The topic name.
    public var topic: String
    /// The partition number within the topic.
    public var partition: Int32

    /// Creates a key.
    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    /// Orders by topic, then partition, so output is stable from poll to poll.
    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        lhs.topic != rhs.topic ? lhs.topic < rhs.topic : lhs.partition < rhs.partition
    }
}

/// One partition's placement as the metadata reports it.
public struct PartitionMetadata: Sendable, Hashable {
    /// The partition number.
    public var partition: Int32
    /// The leader's broker id, or -1 when the partition has no leader (offline).
    public var leader: Int32
    /// Broker ids of all replicas, preferred leader first.
    public var replicas: [Int32]
    /// Broker ids of the in-sync replicas.
    public var inSyncReplicas: [Int32]

    /// Creates a partition description.
    public init(partition: Int32, leader: Int32, replicas: [Int32], inSyncReplicas: [Int32]) {
        self.partition = partition
        self.leader = leader
        self.replicas = replicas
        self.inSyncReplicas = inSyncReplicas
    }

    /// True when the current leader is the first replica (Kafka's preferred leader).
    public var leaderIsPreferred: Bool { replicas.first == leader && leader >= 0 }
    /// True when fewer replicas are in sync than exist.
    public var isUnderReplicated: Bool { inSyncReplicas.count < replicas.count }
    /// True when no broker leads the partition.
    public var isOffline: Bool { leader < 0 }
}

/// One topic and its partitions, ordered by partition number.
public struct TopicMetadata: Sendable, Hashable {
    /// The topic name.
    public var name: String
    /// The topic's partitions, ordered by partition number.
    public var partitions: [PartitionMetadata]

    /// Creates a topic description; partitions are sorted by number.
    public init(name: String, partitions: [PartitionMetadata]) {
        self.name = name
        self.partitions = partitions.sorted { $0.partition < $1.partition }
    }
}

/// What one metadata request says about the cluster.
public struct ClusterMetadata: Sendable, Hashable {
    /// Brokers, ordered by id.
    public var brokers: [Broker]
    /// The controller's broker id, when the client could learn it.
    public var controllerID: Int32?
    /// Topics, ordered by name.
    public var topics: [TopicMetadata]

    /// Creates a cluster description; brokers and topics are sorted.
    public init(brokers: [Broker], controllerID: Int32?, topics: [TopicMetadata]) {
        self.brokers = brokers.sorted { $0.id < $1.id }
        self.controllerID = controllerID
        self.topics = topics.sorted { $0.name < $1.name }
    }

    /// Every partition of every topic.
    public var partitionKeys: PartitionSet { PartitionSet(self) }
}

/// The low (log start) and high (next offset to be written) watermarks of a partition.
public struct Watermarks: Sendable, Hashable {
    /// The oldest offset still in the log.
    public var low: Int64
    /// The high watermark: the offset the next produced message will get, transactional or not (what a
    /// read_uncommitted consumer can read up to, and what Kafka's own tools call the log end).
    public var high: Int64
    /// The last stable offset: the first offset of the oldest transaction still open, or the high watermark
    /// when none is (what a read_committed consumer can read up to); `nil` when it was not fetched.
    public var lastStable: Int64?

    /// Creates the watermarks of a partition.
    public init(low: Int64, high: Int64, lastStable: Int64? = nil) {
        self.low = low
        self.high = high
        self.lastStable = lastStable
    }
}
