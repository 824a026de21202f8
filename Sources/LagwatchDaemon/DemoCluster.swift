import Dispatch
import Glibc
public import LagwatchConfig
import LagwatchKafka
import LagwatchThreads
import LagwatchWorkload
import LagwatchModel
public import Logging
import Synchronization

/// `lagwatch demo`: librdkafka's mock cluster (3 brokers on loopback) with topics written to every second
/// and consumer groups whose lag moves: one keeping up, one whose lag swells and shrinks over five minutes,
/// one that stops committing after a minute, and one that never commits one of its partitions.
public final class DemoCluster: Sendable {
    /// A demo topic and how many messages each of its partitions gets per second.
    struct Topic {
        let name: String
        let partitions: Int32
        let perSecond: Int
    }

    /// A demo group: what it reads and how far behind it stays at `t` seconds into the demo (`nil`: stop).
    struct Group {
        let name: String
        let partitions: [TopicPartition]
        let topics: [String]
        let lag: @Sendable (Double) -> Int64?
    }

    static let topics = [
        Topic(name: "orders", partitions: 6, perSecond: 30),
        Topic(name: "payments", partitions: 3, perSecond: 15),
        Topic(name: "clickstream", partitions: 12, perSecond: 60),
        Topic(name: "audit-log", partitions: 2, perSecond: 5),
    ]

    static func partitions(_ topic: String, _ numbers: [Int32]? = nil) -> [TopicPartition] {
        let count = topics.first { $0.name == topic }!.partitions
        return (numbers ?? Array(0..<count)).map { TopicPartition(topic, $0) }
    }

    static let groups = [
        Group(
            name: "orders-service", partitions: partitions("orders") + partitions("payments"),
            topics: ["orders", "payments"], lag: { _ in 5 }),
        Group(
            name: "analytics", partitions: partitions("clickstream"), topics: ["clickstream"],
            lag: { t in Int64(1500 + 1500 * sin(2 * Double.pi * t / 300)) }),
        Group(
            name: "audit-archiver", partitions: partitions("audit-log"), topics: ["audit-log"],
            lag: { t in t < 60 ? 0 : nil }),
        Group(
            name: "fraud-detector", partitions: partitions("payments", [0, 1]), topics: ["payments"],
            lag: { _ in 50 }),
    ]

    private let mock: MockCluster
    private let logger: Logger
    private let running = Mutex(true)
    private let finished = DispatchSemaphore(value: 0)

    /// The cluster as lagwatch should poll it: the mock's address, the demo groups named with their topics
    /// (the mock cannot list groups).
    public let configuration: ClusterConfiguration

    /// Starts the mock cluster and creates the topics.
    public init(logger: Logger) throws {
        self.logger = logger
        mock = try MockCluster(brokers: 3, logger: logger)
        for topic in Self.topics {
            try mock.createTopic(topic.name, partitions: Int(topic.partitions), replicationFactor: 3)
        }
        var cluster = ClusterConfiguration(name: "demo", bootstrapServers: [mock.bootstrapServers])
        cluster.staticGroups = Self.groups.map { StaticGroup(name: $0.name, topics: $0.topics) }
        // librdkafka's mock cannot list groups; the demo names them, so asking would only log a warning.
        cluster.discoverGroups = false
        configuration = cluster
    }

    /// Starts producing and committing once per second on a thread of its own; returns after the first round.
    public func start() throws {
        let producer = try MessageProducer(bootstrapServers: mock.bootstrapServers, logger: logger)
        let committers = try Self.groups.map {
            try OffsetCommitter(group: $0.name, bootstrapServers: mock.bootstrapServers, logger: logger)
        }
        let firstRound = DispatchSemaphore(value: 0)
        OSThread.detach(name: "lagwatch-demo-workload") { [self] in
            var produced: [TopicPartition: Int64] = [:]
            var committed: [String: [TopicPartition: Int64]] = [:]
            let start = WallClock.now()
            while running.withLock({ $0 }) {
                for topic in Self.topics {
                    for key in Self.partitions(topic.name) {
                        produced[key, default: 0] += Int64(producer.produce(to: key, count: topic.perSecond))
                    }
                }
                try? producer.flush(timeoutMilliseconds: 2_000)
                let elapsed = WallClock.now() - start
                for (group, committer) in zip(Self.groups, committers) {
                    guard let lag = group.lag(elapsed) else { continue }
                    var offsets: [TopicPartition: Int64] = [:]
                    for key in group.partitions {
                        let target = max(0, (produced[key] ?? 0) - lag)
                        // Never move a commit backwards: the demo's consumers only go forward.
                        offsets[key] = max(target, committed[group.name]?[key] ?? 0)
                    }
                    do {
                        try committer.commit(offsets)
                        committed[group.name] = offsets
                    } catch {
                        logger.debug("Demo commit failed", metadata: ["error": "\(error)"])
                    }
                }
                firstRound.signal()
                OSThread.sleep(seconds: 1)
            }
            // Clients go before the mock cluster.
            _ = (producer, committers)
            finished.signal()
        }
        // Let the first messages and commits land before lagwatch's first poll, so it already shows lag.
        _ = firstRound.wait(timeout: .now() + 10)
    }

    /// Stops the workload and waits for it.
    public func stop() {
        let wasRunning = running.withLock { running in
            defer { running = false }
            return running
        }
        if wasRunning { _ = finished.wait(timeout: .now() + 5) }
    }
}
