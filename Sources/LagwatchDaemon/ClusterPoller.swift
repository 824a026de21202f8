
public import LagwatchConfig
public import LagwatchExposition
public import LagwatchKafka
public import LagwatchModel
public import Logging

/// Polls one cluster, poll after poll: keeps the process-lifetime counters, replaces the librdkafka client
/// every ``ClusterConfiguration/clientRecreatePolls`` polls, and logs changes of state once rather than on
/// every poll.
///
/// Not `Sendable`: one thread owns it (a ``PollLoop``'s, or a test's), and its client, histories and
/// counters are plain stored properties with no lock.
public final class ClusterPoller {
    /// Creates a client for the cluster; called at start and whenever the client is replaced, on the
    /// poller's thread.
    public typealias ClientFactory = () throws -> any ClusterClient

    /// The cluster polled.
    public let cluster: ClusterConfiguration
    private let makeClient: ClientFactory
    private var client: (any ClusterClient)?
    private var pollsWithClient = 0
    private var history: ClusterHistory
    private var lastDiscovery: GroupDiscoveryStatus?
    private var lastFailedStages: Set<PollStage> = []
    private let logger: Logger
    private let now: @Sendable () -> Double

    /// Creates a poller and its first client; `analysis` says how rates, lag times and statuses are made.
    ///
    /// - Throws: what the factory throws (a librdkafka property it rejected, for example).
    public init(
        cluster: ClusterConfiguration,
        analysis: AnalysisSettings = AnalysisSettings(),
        logger: Logger,
        now: @escaping @Sendable () -> Double = WallClock.now,
        makeClient: @escaping ClientFactory
    ) throws {
        self.cluster = cluster
        self.makeClient = makeClient
        self.now = now
        history = ClusterHistory(settings: analysis)
        var logger = logger
        logger[metadataKey: "kafka.cluster"] = "\(cluster.name)"
        self.logger = logger
        self.client = try makeClient()
    }

    /// The record times the last poll read or reused: a record's timestamp never changes, so the next poll
    /// reads only offsets not in here (what keeps dating stopped groups, whose offsets do not move, free).
    private var recordTimes: [TopicPartition: [Int64: RecordTime]] = [:]
    /// Groups NOTFOUND in the last poll that reached the cluster, logged when they turned so.
    private var groupsNotFound: Set<String> = []

    /// Runs one poll and returns its snapshot. Never throws; failures are in the snapshot.
    public func poll() -> ClusterSnapshot {
        replaceClientIfDue()
        guard let client else {
            // Only reachable when replacing the client failed; try again next poll.
            let observation = ClusterObservation(
                clusterName: cluster.name, metadata: nil, watermarks: [:], groups: [], discovery: .disabled,
                stageErrors: [.metadata: "no Kafka client"], startedAt: now(), durationSeconds: 0)
            return history.advance(observation)
        }
        let observation = PollCycle.observe(
            client: client, cluster: cluster, exact: history.settings.exact, known: recordTimes, now: now)
        recordTimes = observation.recordTimes
        pollsWithClient += 1
        logChanges(observation)
        let snapshot = history.advance(observation)
        logGroupsNotFound(snapshot)
        return snapshot
    }

    /// Logs each group once when it turns NOTFOUND (no committed offset anywhere), and once when it has
    /// offsets again: a mistyped configured name would otherwise export a lag of 0 silently.
    private func logGroupsNotFound(_ snapshot: ClusterSnapshot) {
        guard snapshot.up else { return }
        let now = Set(snapshot.groups.filter { $0.status == .notFound }.map(\.name))
        for name in now.subtracting(groupsNotFound).sorted() {
            let configured = cluster.staticGroups.contains { $0.name == name }
            logger.warning(
                configured
                    ? "Configured consumer group has no committed offset on any partition: is its name right?"
                    : "Consumer group has no committed offset on any partition",
                metadata: ["consumergroup": "\(name)"])
        }
        for name in groupsNotFound.subtracting(now).sorted() where snapshot.groups.contains(where: { $0.name == name }) {
            logger.info("Consumer group has committed offsets now", metadata: ["consumergroup": "\(name)"])
        }
        groupsNotFound = now
    }

    /// Which optional series this cluster's snapshots are rendered with.
    public var seriesOptions: SeriesOptions {
        SeriesOptions(
            partitionStatus: history.settings.exportsPartitionStatus, members: cluster.exportsMemberSeries,
            groupPartitions: cluster.groupPartitionSeries, families: cluster.metricFamilies)
    }

    /// Lets the client's outstanding requests be answered (up to `waitSeconds`, a little over librdkafka's
    /// own admin timeout by default) and releases it. Called on the loop's thread when a reload retired the
    /// poller; the poller is not used again.
    public func retire(waitSeconds: Double = 65) {
        client?.settleOutstanding(waitMilliseconds: Int(waitSeconds * 1000))
        client = nil
    }

    private func replaceClientIfDue() {
        guard cluster.clientRecreatePolls > 0, pollsWithClient >= cluster.clientRecreatePolls else { return }
        // Wait for outstanding admin requests rather than destroy a client that has some.
        guard (client?.outstandingRequests ?? 0) == 0 else { return }
        client = nil
        do {
            client = try makeClient()
            pollsWithClient = 0
            logger.debug("Replaced the Kafka client to release its metadata cache")
        } catch {
            logger.error("Cannot create a Kafka client", metadata: ["error": "\(error)"])
        }
    }

    /// Logs a stage failing or recovering, and discovery changing, once per change.
    private func logChanges(_ observation: ClusterObservation) {
        let failed = Set(observation.stageErrors.keys)
        for stage in PollStage.allCases {
            if let message = observation.stageErrors[stage], !lastFailedStages.contains(stage) {
                logger.warning("Poll stage failed", metadata: ["poll.stage": "\(stage.rawValue)", "error": "\(message)"])
            } else if failed.contains(stage) == false, lastFailedStages.contains(stage) {
                logger.info("Poll stage recovered", metadata: ["poll.stage": "\(stage.rawValue)"])
            }
        }
        lastFailedStages = failed
        if observation.discovery != lastDiscovery {
            switch observation.discovery {
            case .unsupported(let reason):
                logger.warning(
                    "The cluster does not let lagwatch list consumer groups; only configured groups are watched",
                    metadata: ["poll.stage": "group_discovery", "error": "\(reason)"])
            case .supported:
                logger.info("Consumer group discovery works", metadata: ["poll.stage": "group_discovery"])
            case .disabled, .failed:
                break
            }
            lastDiscovery = observation.discovery
        }
        logger.debug(
            "Poll completed",
            metadata: [
                "poll.duration_seconds": "\(observation.durationSeconds)",
                "poll.groups": "\(observation.groups.count)",
                "poll.partitions": "\(observation.watermarks.count)",
            ])
    }
}
