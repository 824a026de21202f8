import LagwatchKafka
public import LagwatchWorkload
public import LagwatchModel
public import Logging

/// A mock cluster with a known state: how many messages each partition holds and what each group committed.
/// The expectations tests compare against come from here, never from the code under test.
///
/// What librdkafka's mock (2.0.2) cannot do, so tests of it run on noida-db (``NoidaServer``) instead: list
/// or describe groups; write transaction markers or hold a last stable offset (it ignores
/// `isolation.level`: its LSO is always the high watermark); delete topics.
///
/// `@unchecked Sendable`: a test drives it from one thread at a time; the daemons it serves only reach the
/// cluster over TCP.
public final class MockWorld: @unchecked Sendable {
    /// The cluster.
    public let cluster: MockCluster
    /// Messages produced per partition (= its high watermark, since the mock starts at offset 0).
    public private(set) var produced: [TopicPartition: Int64] = [:]
    /// Offsets committed per group and partition.
    public private(set) var committed: [String: [TopicPartition: Int64]] = [:]
    private let logger: Logger
    private var producer: MessageProducer?
    private var committers: [String: OffsetCommitter] = [:]

    /// Starts a mock cluster with `brokers` brokers.
    public init(brokers: Int = 3, logger: Logger = TestLogger.quiet()) throws {
        self.logger = logger
        cluster = try MockCluster(brokers: brokers, logger: logger)
    }

    /// Releases clients before the mock (librdkafka wants clients gone first).
    public func shutdown() {
        producer = nil
        committers.removeAll()
    }

    /// The bootstrap address.
    public var bootstrap: String { cluster.bootstrapServers }

    /// Creates a topic.
    public func topic(_ name: String, partitions: Int) throws {
        try cluster.createTopic(name, partitions: partitions)
    }

    /// Produces `count` messages to a partition, stamped `timestamp` (seconds since the epoch; now when
    /// `nil`), and waits for them.
    public func produce(_ topic: String, _ partition: Int32, count: Int, timestamp: Double? = nil) throws {
        if producer == nil { producer = try MessageProducer(bootstrapServers: bootstrap, logger: logger) }
        let key = TopicPartition(topic, partition)
        let queued = producer!.produce(to: key, count: count, timestamp: timestamp)
        try producer!.flush()
        produced[key, default: 0] += Int64(queued)
    }

    /// Commits offsets for a group.
    public func commit(_ group: String, _ offsets: [TopicPartition: Int64]) throws {
        if committers[group] == nil {
            committers[group] = try OffsetCommitter(group: group, bootstrapServers: bootstrap, logger: logger)
        }
        try committers[group]!.commit(offsets)
        committed[group, default: [:]].merge(offsets) { _, new in new }
    }
}
