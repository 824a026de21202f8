public import LagwatchModel

/// Facts about the running process: the binary (`lagwatch_build_info`) and its configuration reloads.
public struct ExporterInfo: Sendable, Hashable {
    /// lagwatch's version.
    public var version: String
    /// The git revision lagwatch was built from.
    public var revision: String
    /// The librdkafka version the process runs with.
    public var librdkafkaVersion: String
    /// Configuration reloads that took effect, and that were refused, since the process started.
    public var reloadSuccesses: UInt64 = 0
    public var reloadFailures: UInt64 = 0
    /// Whether the last reload took effect (true before any reload).
    public var lastReloadSucceeded = true
    /// When the configuration in effect was loaded, in seconds since the epoch.
    public var configurationLoadedAt: Double?

    /// Creates build information.
    public init(version: String, revision: String = "unknown", librdkafkaVersion: String) {
        self.version = version
        self.revision = revision
        self.librdkafkaVersion = librdkafkaVersion
    }
}

/// Which optional, high-cardinality series a cluster's snapshots are rendered with: a choice of the
/// configuration, not a fact of the poll, so it travels beside the snapshot rather than in it.
public struct SeriesOptions: Sendable, Equatable {
    /// Each group partition's status as its own series (cardinality: six per group partition).
    public var partitionStatus: Bool
    /// Each group member as its own series (cardinality: one per consumer instance).
    public var members: Bool
    /// Consumer groups' per-partition series; without them (`granularity: topic`) a group has its series
    /// per topic and per group only.
    public var groupPartitions: Bool
    /// The metric families exported, by name.
    public var families: NameFilter

    /// Creates options; the optional series are off, per-partition group series on, every family exported.
    public init(partitionStatus: Bool = false, members: Bool = false, groupPartitions: Bool = true, families: NameFilter = .all) {
        self.partitionStatus = partitionStatus
        self.members = members
        self.groupPartitions = groupPartitions
        self.families = families
    }

    /// Whether `family` is exported with these options.
    public func exports(_ family: MetricFamily) -> Bool {
        if !groupPartitions, family.labels.contains("consumergroup"), family.labels.contains("partition") { return false }
        return families.accepts(family.name)
    }
}

/// Renders snapshots into the Prometheus text format. Called once per completed poll (never per scrape),
/// except for ``renderAge(of:now:)``, which is the only part that depends on the time of the scrape.
public enum TextRenderer {
    /// The `Content-Type` of what this renderer produces.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Renders every family except ``MetricCatalog/snapshotAge`` for all clusters' latest snapshots, each
    /// with its cluster's entry in `options` (the defaults where it has none). Each family appears once,
    /// with the series of every cluster under it.
    public static func render(
        _ snapshots: [ClusterSnapshot],
        options: [String: SeriesOptions] = [:],
        info: ExporterInfo
    ) -> [UInt8] {
        var writer = ExpositionWriter()
        renderAll(snapshots, options: options, info: info, into: &writer)
        return writer.bytes
    }

    /// Renders the same as ``render(_:info:)`` in chunks of about `chunkSize` bytes, each ending on a line,
    /// handed to `sink` in order; the whole body is never held in memory (at 150k series it is about 16 MB).
    public static func render(
        _ snapshots: [ClusterSnapshot],
        options: [String: SeriesOptions] = [:],
        info: ExporterInfo,
        chunkSize: Int = 64 * 1024,
        into sink: ([UInt8]) -> Void
    ) {
        withoutActuallyEscaping(sink) { sink in
            var writer = ExpositionWriter(chunkSize: chunkSize, sink: sink)
            renderAll(snapshots, options: options, info: info, into: &writer)
            writer.flush()
        }
    }

    private static func renderAll(
        _ snapshots: [ClusterSnapshot],
        options: [String: SeriesOptions],
        info: ExporterInfo,
        into writer: inout ExpositionWriter
    ) {
        let clusters = snapshots.map { RenderedCluster($0, options: options[$0.clusterName] ?? SeriesOptions()) }
        renderTopics(clusters, into: &writer)
        renderGroups(clusters, into: &writer)
        renderSelf(clusters, info: info, into: &writer)
    }

    /// Renders ``MetricCatalog/snapshotAge`` at scrape time; `now` is seconds since the epoch.
    public static func renderAge(of snapshots: [(clusterName: String, completedAt: Double)], now: Double) -> [UInt8] {
        var writer = ExpositionWriter(reservingCapacity: 256 + snapshots.count * 64)
        writer.header(MetricCatalog.snapshotAge)
        for snapshot in snapshots {
            writer.sample(
                MetricCatalog.snapshotAge, labels: ExpositionWriter.labelList(["cluster_name": snapshot.clusterName]),
                value: max(0, now - snapshot.completedAt))
        }
        return writer.bytes
    }

    // MARK: - Families

    private static func renderTopics(_ clusters: [RenderedCluster], into writer: inout ExpositionWriter) {
        writer.header(MetricCatalog.brokers)
        for cluster in clusters.accepting(MetricCatalog.brokers) where cluster.snapshot.up {
            writer.sample(MetricCatalog.brokers, labels: cluster.label, value: Int64(cluster.snapshot.brokers.count))
        }
        writer.header(MetricCatalog.brokerInfo)
        for cluster in clusters.accepting(MetricCatalog.brokerInfo) {
            for broker in cluster.snapshot.brokers {
                let extra = ExpositionWriter.labelList(["id": String(broker.id), "address": broker.address])
                writer.sample(MetricCatalog.brokerInfo, labels: cluster.label, extra: extra, value: Int64(1))
            }
        }
        topicFamily(MetricCatalog.topicPartitions, clusters, into: &writer) { Int64($0.partitions.count) }
        partitionFamily(MetricCatalog.partitionCurrentOffset, clusters, into: &writer) { $0.watermarks?.high }
        partitionFamily(MetricCatalog.partitionOldestOffset, clusters, into: &writer) { $0.watermarks?.low }
        partitionFamily(MetricCatalog.partitionLastStableOffset, clusters, into: &writer) { $0.watermarks?.lastStable }
        partitionFamily(MetricCatalog.partitionLeader, clusters, into: &writer) { Int64($0.metadata.leader) }
        partitionFamily(MetricCatalog.partitionReplicas, clusters, into: &writer) {
            Int64($0.metadata.replicas.count)
        }
        partitionFamily(MetricCatalog.partitionInSyncReplicas, clusters, into: &writer) {
            Int64($0.metadata.inSyncReplicas.count)
        }
        partitionFamily(MetricCatalog.partitionLeaderIsPreferred, clusters, into: &writer) {
            $0.metadata.leaderIsPreferred ? 1 : 0
        }
        partitionFamily(MetricCatalog.partitionUnderReplicated, clusters, into: &writer) {
            $0.metadata.isUnderReplicated ? 1 : 0
        }
        partitionFamily(MetricCatalog.partitionOpenTransactionSeconds, clusters, into: &writer) {
            $0.openTransaction?.seconds
        }
        partitionFamily(MetricCatalog.partitionHangingTransaction, clusters, into: &writer) { partition in
            partition.openTransaction.map { $0.hanging ? Int64(1) : 0 }
        }
    }

    /// Writes one per-partition family; `value` returning `nil` leaves the series out.
    private static func partitionFamily(
        _ family: MetricFamily,
        _ clusters: [RenderedCluster],
        into writer: inout ExpositionWriter,
        value: (PartitionState) -> (any SampleValue)?
    ) {
        writer.header(family)
        for cluster in clusters.accepting(family) {
            for (index, topic) in cluster.snapshot.topics.enumerated() {
                for partition in topic.partitions {
                    guard let sample = value(partition) else { continue }
                    sample.write(
                        family, labels: cluster.topicLabels[index], extra: partitionLabel(partition.metadata.partition),
                        into: &writer)
                }
            }
        }
    }

    /// Writes one per-topic family; `value` returning `nil` leaves the series out.
    private static func topicFamily(
        _ family: MetricFamily,
        _ clusters: [RenderedCluster],
        into writer: inout ExpositionWriter,
        value: (TopicState) -> (any SampleValue)?
    ) {
        writer.header(family)
        for cluster in clusters.accepting(family) {
            for (index, topic) in cluster.snapshot.topics.enumerated() {
                value(topic)?.write(family, labels: cluster.topicLabels[index], extra: [], into: &writer)
            }
        }
    }

    /// Writes one family with a series per group and partition; `value` returning `nil` leaves it out.
    private static func groupPartitionFamily(
        _ family: MetricFamily,
        _ clusters: [RenderedCluster],
        into writer: inout ExpositionWriter,
        value: (PartitionLag) -> (any SampleValue)?
    ) {
        writer.header(family)
        eachGroupPartition(clusters.accepting(family)) { labels, lag in
            value(lag)?.write(family, labels: labels, extra: partitionLabel(lag.partition), into: &writer)
        }
    }

    /// Writes one family with a series per group and topic; `value` returning `nil` leaves it out.
    private static func groupTopicFamily(
        _ family: MetricFamily,
        _ clusters: [RenderedCluster],
        into writer: inout ExpositionWriter,
        value: (GroupTopicLag) -> (any SampleValue)?
    ) {
        writer.header(family)
        eachGroupTopic(clusters.accepting(family)) { labels, topic in
            value(topic)?.write(family, labels: labels, extra: [], into: &writer)
        }
    }

    private static func renderGroups(_ clusters: [RenderedCluster], into writer: inout ExpositionWriter) {
        groupPartitionFamily(MetricCatalog.groupCurrentOffset, clusters, into: &writer) { $0.committed }
        groupTopicFamily(MetricCatalog.groupCurrentOffsetSum, clusters, into: &writer) { $0.committedSum }
        groupPartitionFamily(MetricCatalog.groupLag, clusters, into: &writer) { $0.lag }
        groupTopicFamily(MetricCatalog.groupLagSum, clusters, into: &writer) { $0.lagSum }
        writer.header(MetricCatalog.groupLagSeconds)
        eachGroupPartition(clusters.accepting(MetricCatalog.groupLagSeconds)) { labels, lag in
            guard let time = lag.lagTime else { return }
            writer.sample(
                MetricCatalog.groupLagSeconds, labels: labels, extra: partitionLabel(lag.partition) + [UInt8(ascii: ",")] + methodLabel(time),
                value: time.seconds)
        }
        writer.header(MetricCatalog.groupTopicMaxLagSeconds)
        eachGroupTopic(clusters.accepting(MetricCatalog.groupTopicMaxLagSeconds)) { labels, topic in
            guard let time = topic.maxLagTime else { return }
            writer.sample(MetricCatalog.groupTopicMaxLagSeconds, labels: labels, extra: methodLabel(time), value: time.seconds)
        }
        writer.header(MetricCatalog.groupMaxLagSeconds)
        eachGroup(clusters.accepting(MetricCatalog.groupMaxLagSeconds)) { labels, group in
            guard let time = group.maxLagTime else { return }
            writer.sample(MetricCatalog.groupMaxLagSeconds, labels: labels, extra: methodLabel(time), value: time.seconds)
        }
        renderStatus(clusters, into: &writer)
        renderGroupView(clusters, into: &writer)
        writer.header(MetricCatalog.groupMembers)
        eachGroup(clusters.accepting(MetricCatalog.groupMembers)) { labels, group in
            guard let members = group.memberCount else { return }
            writer.sample(MetricCatalog.groupMembers, labels: labels, value: Int64(members))
        }
        renderRates(clusters, into: &writer)
    }

    private static func renderStatus(_ clusters: [RenderedCluster], into writer: inout ExpositionWriter) {
        writer.header(MetricCatalog.groupStatus)
        eachGroup(clusters.accepting(MetricCatalog.groupStatus)) { labels, group in
            guard let worst = group.status else { return }
            for status in ConsumerStatus.allCases {
                writer.sample(
                    MetricCatalog.groupStatus, labels: labels, extra: statusLabels[status]!, value: Int64(status == worst ? 1 : 0))
            }
        }
        writer.header(MetricCatalog.groupStatusPartitions)
        eachGroup(clusters.accepting(MetricCatalog.groupStatusPartitions)) { labels, group in
            let counts = group.partitionsByStatus
            for status in ConsumerStatus.partitionStatuses {
                writer.sample(
                    MetricCatalog.groupStatusPartitions, labels: labels, extra: statusLabels[status]!,
                    value: Int64(counts[status] ?? 0))
            }
        }
        writer.header(MetricCatalog.groupPartitionStatus)
        for cluster in clusters.accepting(MetricCatalog.groupPartitionStatus) where cluster.options.partitionStatus {
            eachGroupPartition([cluster]) { labels, lag in
                guard let current = lag.status else { return }
                let partition = partitionLabel(lag.partition) + [UInt8(ascii: ",")]
                for status in ConsumerStatus.partitionStatuses {
                    writer.sample(
                        MetricCatalog.groupPartitionStatus, labels: labels, extra: partition + statusLabels[status]!,
                        value: Int64(status == current ? 1 : 0))
                }
            }
        }
        writer.header(MetricCatalog.groupCatchUp)
        eachGroup(clusters.accepting(MetricCatalog.groupCatchUp)) { labels, group in
            guard let seconds = group.catchUpSeconds else { return }
            writer.sample(MetricCatalog.groupCatchUp, labels: labels, value: seconds)
        }
    }

    /// The group states librdkafka names, in its order; a state it does not name is reported as Unknown.
    static let groupStates = ["Unknown", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead", "Empty"]
    private static let stateLabels = groupStates.map { ExpositionWriter.labelList(["state": $0]) }

    private static func renderGroupView(_ clusters: [RenderedCluster], into writer: inout ExpositionWriter) {
        writer.header(MetricCatalog.groupState)
        eachGroup(clusters.accepting(MetricCatalog.groupState), includingFailed: true) { labels, group in
            guard let state = group.state else { return }
            let current = groupStates.contains(state) ? state : "Unknown"
            for (index, name) in groupStates.enumerated() {
                writer.sample(MetricCatalog.groupState, labels: labels, extra: stateLabels[index], value: Int64(name == current ? 1 : 0))
            }
        }
        writer.header(MetricCatalog.groupMembersWithoutAssignment)
        eachGroup(clusters.accepting(MetricCatalog.groupMembersWithoutAssignment), includingFailed: true) { labels, group in
            guard let count = group.membersWithoutAssignment else { return }
            writer.sample(MetricCatalog.groupMembersWithoutAssignment, labels: labels, value: Int64(count))
        }
        writer.header(MetricCatalog.groupAssignedPartitions)
        eachGroup(clusters.accepting(MetricCatalog.groupAssignedPartitions), includingFailed: true) { labels, group in
            guard let counts = group.assignedPartitionsByTopic else { return }
            for (topic, count) in counts.sorted(by: { $0.key < $1.key }) {
                writer.sample(
                    MetricCatalog.groupAssignedPartitions, labels: labels,
                    extra: ExpositionWriter.labelList(["topic": topic]), value: Int64(count))
            }
        }
        writer.header(MetricCatalog.groupMemberAssignedPartitions)
        for cluster in clusters.accepting(MetricCatalog.groupMemberAssignedPartitions) where cluster.options.members {
            eachGroup([cluster], includingFailed: true) { labels, group in
                for member in group.members ?? [] {
                    let extra = ExpositionWriter.labelList(
                        ["member_id": member.memberID, "client_id": member.clientID, "host": member.host])
                    writer.sample(
                        MetricCatalog.groupMemberAssignedPartitions, labels: labels, extra: extra,
                        value: Int64(member.assigned.count))
                }
            }
        }
    }

    private static func renderRates(_ clusters: [RenderedCluster], into writer: inout ExpositionWriter) {
        partitionFamily(MetricCatalog.partitionProduceRate, clusters, into: &writer) { $0.produceRate }
        topicFamily(MetricCatalog.topicProduceRate, clusters, into: &writer) { $0.produceRate }
        groupPartitionFamily(MetricCatalog.groupConsumeRate, clusters, into: &writer) { $0.consumeRate }
        groupTopicFamily(MetricCatalog.groupTopicConsumeRate, clusters, into: &writer) { $0.consumeRate }
    }

    /// lagwatch's own families: the process, then each cluster's polls, then each group's fetch.
    private static func renderSelf(
        _ clusters: [RenderedCluster],
        info: ExporterInfo,
        into writer: inout ExpositionWriter
    ) {
        renderProcess(info, into: &writer)
        renderPolls(clusters, into: &writer)
        renderGroupFetches(clusters, into: &writer)
    }

    /// The binary and its configuration reloads.
    private static func renderProcess(_ info: ExporterInfo, into writer: inout ExpositionWriter) {
        writer.header(MetricCatalog.buildInfo)
        writer.sample(
            MetricCatalog.buildInfo,
            labels: ExpositionWriter.labelList(["version": info.version, "revision": info.revision, "librdkafka_version": info.librdkafkaVersion]),
            value: Int64(1))
        writer.header(MetricCatalog.reloadSuccessful)
        writer.sample(MetricCatalog.reloadSuccessful, labels: [], value: Int64(info.lastReloadSucceeded ? 1 : 0))
        writer.header(MetricCatalog.reloadTimestamp)
        if let loadedAt = info.configurationLoadedAt {
            writer.sample(MetricCatalog.reloadTimestamp, labels: [], value: loadedAt)
        }
        writer.header(MetricCatalog.reloads)
        writer.sample(MetricCatalog.reloads, labels: ExpositionWriter.labelList(["result": "success"]), value: Int64(info.reloadSuccesses))
        writer.sample(MetricCatalog.reloads, labels: ExpositionWriter.labelList(["result": "failure"]), value: Int64(info.reloadFailures))
    }

    /// Each cluster's polls: whether it answered, each stage's outcome and time, and the analysis settings.
    private static func renderPolls(_ clusters: [RenderedCluster], into writer: inout ExpositionWriter) {
        perCluster(MetricCatalog.up, clusters, into: &writer) { $0.up ? 1 : 0 }
        perCluster(MetricCatalog.pollDuration, clusters, into: &writer) { $0.pollDurationSeconds }
        perCluster(MetricCatalog.polls, clusters, into: &writer) { Double($0.counters.polls) }
        writer.header(MetricCatalog.pollErrors)
        for cluster in clusters.accepting(MetricCatalog.pollErrors) {
            for stage in PollStage.allCases {
                writer.sample(
                    MetricCatalog.pollErrors, labels: cluster.label, extra: stageLabel(stage),
                    value: Int64(cluster.snapshot.counters.errors[stage] ?? 0))
            }
        }
        writer.header(MetricCatalog.pollStageSuccess)
        for cluster in clusters.accepting(MetricCatalog.pollStageSuccess) {
            for stage in PollStage.allCases {
                guard let succeeded = stageSucceeded(stage, in: cluster.snapshot) else { continue }
                writer.sample(
                    MetricCatalog.pollStageSuccess, labels: cluster.label, extra: stageLabel(stage),
                    value: Int64(succeeded ? 1 : 0))
            }
        }
        writer.header(MetricCatalog.pollStageDuration)
        for cluster in clusters.accepting(MetricCatalog.pollStageDuration) {
            for stage in PollStage.allCases {
                guard let seconds = cluster.snapshot.stageDurations[stage] else { continue }
                writer.sample(MetricCatalog.pollStageDuration, labels: cluster.label, extra: stageLabel(stage), value: seconds)
            }
        }
        perCluster(MetricCatalog.lastPoll, clusters, into: &writer) { $0.completedAt }
        perCluster(MetricCatalog.lastPollSuccess, clusters, into: &writer) { $0.counters.lastSuccessAt }
        perCluster(MetricCatalog.groupDiscoverySupported, clusters, into: &writer) { snapshot in
            switch snapshot.discovery {
            case .supported: 1
            case .unsupported: 0
            case .disabled, .failed: nil
            }
        }
        perCluster(MetricCatalog.controller, clusters, into: &writer) { snapshot in
            snapshot.controllerID.flatMap { $0 >= 0 ? Double($0) : nil }
        }
        perCluster(MetricCatalog.rateWindow, clusters, into: &writer) { $0.rateWindowSeconds }
        perCluster(MetricCatalog.statusWindow, clusters, into: &writer) { $0.statusWindowPolls.map(Double.init) }
        perCluster(MetricCatalog.timelinePoints, clusters, into: &writer) { $0.timelinePoints.map(Double.init) }
        perCluster(MetricCatalog.partitionsWithoutWatermarks, clusters, into: &writer) { snapshot in
            snapshot.up ? Double(snapshot.partitionsWithoutWatermarks) : nil
        }
        perCluster(MetricCatalog.groupsNotFound, clusters, into: &writer) { snapshot in
            snapshot.up ? Double(snapshot.groups.count { $0.status == .notFound }) : nil
        }
    }

    /// Each group's fetch: whether it worked, and the partitions it could not report fully.
    private static func renderGroupFetches(_ clusters: [RenderedCluster], into writer: inout ExpositionWriter) {
        writer.header(MetricCatalog.groupFetchSuccess)
        eachGroup(clusters.accepting(MetricCatalog.groupFetchSuccess), includingFailed: true) { labels, group in
            writer.sample(MetricCatalog.groupFetchSuccess, labels: labels, value: Int64(group.fetchError == nil ? 1 : 0))
        }
        writer.header(MetricCatalog.groupPartitionsWithoutCommit)
        eachGroup(clusters.accepting(MetricCatalog.groupPartitionsWithoutCommit)) { labels, group in
            writer.sample(
                MetricCatalog.groupPartitionsWithoutCommit, labels: labels, value: Int64(group.partitionsWithoutCommit))
        }
        writer.header(MetricCatalog.groupPartitionsWithoutLagSeconds)
        eachGroup(clusters.accepting(MetricCatalog.groupPartitionsWithoutLagSeconds)) { labels, group in
            writer.sample(
                MetricCatalog.groupPartitionsWithoutLagSeconds, labels: labels, value: Int64(group.partitionsWithoutLagTime))
        }
        writer.header(MetricCatalog.groupPartitionsBehindLogStart)
        eachGroup(clusters.accepting(MetricCatalog.groupPartitionsBehindLogStart)) { labels, group in
            writer.sample(
                MetricCatalog.groupPartitionsBehindLogStart, labels: labels,
                value: Int64(group.partitionsBehindLogStart))
        }
        writer.header(MetricCatalog.groupPartitionsPastLogEnd)
        eachGroup(clusters.accepting(MetricCatalog.groupPartitionsPastLogEnd)) { labels, group in
            writer.sample(MetricCatalog.groupPartitionsPastLogEnd, labels: labels, value: Int64(group.partitionsPastLogEnd))
        }
    }

    /// Whether `stage` succeeded in the snapshot's poll: true when it ran without error, false when it failed
    /// or was due and did not run (every stage is due but group discovery when it is off and the exact
    /// method's record reading, which runs only when there is something to read); `nil` when it was not due.
    static func stageSucceeded(_ stage: PollStage, in snapshot: ClusterSnapshot) -> Bool? {
        if snapshot.stageDurations[stage] != nil || snapshot.stageErrors[stage] != nil {
            return snapshot.stageErrors[stage] == nil
        }
        switch stage {
        case .metadata, .committedOffsets, .watermarks: return false
        case .groupDiscovery: return snapshot.discovery == .disabled ? nil : false
        case .recordTimestamps: return nil
        }
    }

    private static func perCluster(
        _ family: MetricFamily,
        _ clusters: [RenderedCluster],
        into writer: inout ExpositionWriter,
        value: (ClusterSnapshot) -> Double?
    ) {
        writer.header(family)
        for cluster in clusters.accepting(family) {
            guard let sample = value(cluster.snapshot) else { continue }
            writer.sample(family, labels: cluster.label, value: sample)
        }
    }

    // MARK: - Iteration over groups with their label prefixes

    /// Calls `body` for each group that was fetched in this poll (or every group, with `includingFailed`),
    /// with `cluster_name="…",consumergroup="…"` pre-rendered.
    private static func eachGroup(
        _ clusters: [RenderedCluster],
        includingFailed: Bool = false,
        _ body: ([UInt8], GroupLag) -> Void
    ) {
        for cluster in clusters {
            for (index, group) in cluster.snapshot.groups.enumerated()
            where includingFailed || group.fetchError == nil {
                body(cluster.groupLabels[index], group)
            }
        }
    }

    private static func eachGroupTopic(_ clusters: [RenderedCluster], _ body: ([UInt8], GroupTopicLag) -> Void) {
        for cluster in clusters {
            for (groupIndex, group) in cluster.snapshot.groups.enumerated() {
                for (topicIndex, topic) in group.topics.enumerated() {
                    body(cluster.groupTopicLabels[groupIndex][topicIndex], topic)
                }
            }
        }
    }

    private static func eachGroupPartition(_ clusters: [RenderedCluster], _ body: ([UInt8], PartitionLag) -> Void) {
        for cluster in clusters {
            for (groupIndex, group) in cluster.snapshot.groups.enumerated() {
                for (topicIndex, topic) in group.topics.enumerated() {
                    let labels = cluster.groupTopicLabels[groupIndex][topicIndex]
                    for partition in topic.partitions { body(labels, partition) }
                }
            }
        }
    }

    private static func partitionLabel(_ partition: Int32) -> [UInt8] {
        ExpositionWriter.integerLabel("partition", Int64(partition))
    }

    private static let statusLabels = Dictionary(
        uniqueKeysWithValues: ConsumerStatus.allCases.map { ($0, ExpositionWriter.labelList(["status": $0.rawValue])) })

    private static let methodLabels = Dictionary(
        uniqueKeysWithValues: LagTimeMethod.allCases.map { ($0, ExpositionWriter.labelList(["method": $0.rawValue])) })

    private static func methodLabel(_ time: LagTime) -> [UInt8] { methodLabels[time.method]! }

    private static func stageLabel(_ stage: PollStage) -> [UInt8] {
        ExpositionWriter.labelList(["stage": stage.rawValue])
    }
}

/// A snapshot with its escaped label prefixes computed once, since each prefix is reused by several families.
private struct RenderedCluster {
    let snapshot: ClusterSnapshot
    let options: SeriesOptions
    /// Names of the families these options leave out (usually none).
    let excluded: Set<String>
    let label: [UInt8]
    let topicLabels: [[UInt8]]
    let groupLabels: [[UInt8]]
    let groupTopicLabels: [[[UInt8]]]

    init(_ snapshot: ClusterSnapshot, options: SeriesOptions) {
        self.snapshot = snapshot
        self.options = options
        excluded = Set(MetricCatalog.all.filter { !options.exports($0) }.map(\.name))
        let name = snapshot.clusterName
        label = ExpositionWriter.labelList(["cluster_name": name])
        topicLabels = snapshot.topics.map { ExpositionWriter.labelList(["cluster_name": name, "topic": $0.name]) }
        groupLabels = snapshot.groups.map {
            ExpositionWriter.labelList(["cluster_name": name, "consumergroup": $0.name])
        }
        groupTopicLabels = snapshot.groups.map { group in
            group.topics.map {
                ExpositionWriter.labelList(["cluster_name": name, "consumergroup": group.name, "topic": $0.topic])
            }
        }
    }
}

/// A sample's value: the writer prints integers exactly and doubles in the shortest form that reads back.
protocol SampleValue {
    func write(_ family: MetricFamily, labels: [UInt8], extra: [UInt8], into writer: inout ExpositionWriter)
}

extension Int64: SampleValue {
    func write(_ family: MetricFamily, labels: [UInt8], extra: [UInt8], into writer: inout ExpositionWriter) {
        writer.sample(family, labels: labels, extra: extra, value: self)
    }
}

extension Double: SampleValue {
    func write(_ family: MetricFamily, labels: [UInt8], extra: [UInt8], into writer: inout ExpositionWriter) {
        writer.sample(family, labels: labels, extra: extra, value: self)
    }
}

extension Array where Element == RenderedCluster {
    /// The clusters whose options export `family` (all of them, without a copy, in the usual case).
    fileprivate func accepting(_ family: MetricFamily) -> [RenderedCluster] {
        allSatisfy { $0.excluded.isEmpty } ? self : filter { !$0.excluded.contains(family.name) }
    }
}
