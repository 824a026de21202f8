public import LagwatchConfig
public import LagwatchKafka
public import LagwatchModel

/// One poll of one cluster, in stages: metadata, then groups and their committed offsets, then
/// watermarks (so that lag is never negative from timing), then record timestamps for the exact method.
/// Each stage is one function returning a typed result and, when it failed in whole or in part, why; the
/// ``StageRunner`` times it and records the failure, and the next stages go on with what they have.
/// Nothing here throws.
public enum PollCycle {
    /// Runs one poll with `client` according to `cluster`, reading record timestamps for the groups `exact`
    /// chooses. `now` gives wall-clock seconds since the epoch.
    public static func observe(
        client: any ClusterClient,
        cluster: ClusterConfiguration,
        exact: ExactLagSettings = ExactLagSettings(),
        now: @escaping () -> Double
    ) -> ClusterObservation {
        var stages = StageRunner(now: now)
        client.serveCallbacks()
        guard let metadata = stages.run(.metadata, { metadataStage(client, cluster) }) else {
            let reason = stages.errors[.metadata] ?? ""
            return stages.observation(
                cluster.name, metadata: nil, watermarks: [:], groups: [],
                discovery: cluster.discoverGroups ? .failed(reason: reason) : .disabled)
        }
        let listing =
            cluster.discoverGroups ? stages.run(.groupDiscovery, { discoveryStage(client, cluster) }) : GroupListingResult()
        let requests = offsetRequests(cluster: cluster, discovered: listing.names, metadata: metadata)
        let groups = stages.run(.committedOffsets) {
            committedOffsetsStage(client, cluster, requests: requests, descriptions: listing.descriptions)
        }
        let watermarks = stages.run(.watermarks, { watermarksStage(client, cluster, metadata) })
        var recordTimes: [TopicPartition: [Int64: RecordTime]] = [:]
        if let chosen = exact.groups {
            let wanted = exactRequests(
                groups: groups.filter { chosen.accepts($0.name) }, watermarks: watermarks, limit: exact.maxPartitions)
            if !wanted.isEmpty {
                recordTimes = stages.run(.recordTimestamps) {
                    recordTimestampsStage(client, wanted, timeoutMilliseconds: exact.timeoutMilliseconds)
                }
            }
        }
        var observation = stages.observation(
            cluster.name, metadata: metadata, watermarks: watermarks, groups: groups, discovery: listing.discovery)
        observation.recordTimes = recordTimes
        return observation
    }

    // MARK: - Stages

    /// The cluster's metadata, with the topics the cluster's filter accepts.
    static func metadataStage(_ client: any ClusterClient, _ cluster: ClusterConfiguration) -> Staged<ClusterMetadata?> {
        do {
            return Staged(filtered(try client.metadata(timeoutMilliseconds: cluster.metadataTimeoutMilliseconds), cluster))
        } catch {
            return Staged(nil, error: "\(error)")
        }
    }

    /// What group discovery found: whether listing works, the listed groups the filter accepts, and their
    /// descriptions.
    struct GroupListingResult {
        var discovery = GroupDiscoveryStatus.disabled
        var names: [String] = []
        var descriptions: [String: GroupDescription] = [:]
    }

    /// Lists the cluster's groups and describes the ones the filter accepts. A cluster that does not let
    /// lagwatch list groups is not a failure: the configured groups are still watched.
    static func discoveryStage(_ client: any ClusterClient, _ cluster: ClusterConfiguration) -> Staged<GroupListingResult> {
        var result = GroupListingResult()
        switch client.listGroups(waitMilliseconds: cluster.offsetsWaitMilliseconds) {
        case .success(let listings):
            result.discovery = .supported
            result.names = listings.map(\.name).filter { cluster.groups.accepts($0) }
        case .failure(let error) where error.code == .unsupported:
            result.discovery = .unsupported(reason: error.message)
            return Staged(result)
        case .failure(let error):
            result.discovery = .failed(reason: error.message)
            return Staged(result, error: error.message)
        }
        guard cluster.describeGroups, !result.names.isEmpty else { return Staged(result) }
        for (name, answer) in client.describeGroups(result.names, waitMilliseconds: cluster.offsetsWaitMilliseconds) {
            if case .success(let description) = answer { result.descriptions[name] = description }
        }
        let undescribed = result.names.count - result.descriptions.count
        return Staged(
            result,
            error: undescribed > 0 ? "\(undescribed) of \(result.names.count) groups could not be described" : nil)
    }

    /// Fetches each request's committed offsets. A configured group none of whose topics exist asks about
    /// nothing: an empty partition list is not sent, since the broker could read it as "every partition".
    static func committedOffsetsStage(
        _ client: any ClusterClient,
        _ cluster: ClusterConfiguration,
        requests: [CommittedOffsetsRequest],
        descriptions: [String: GroupDescription]
    ) -> Staged<[GroupObservation]> {
        var fetched = client.committedOffsets(
            requests.filter { $0.partitions?.isEmpty != true }, maxInFlight: cluster.maxInFlightRequests,
            waitMilliseconds: cluster.offsetsWaitMilliseconds)
        for request in requests where request.partitions?.isEmpty == true { fetched[request.group] = .success([:]) }
        var groups: [GroupObservation] = []
        var failures: [String] = []
        for request in requests {
            let description = descriptions[request.group]
            switch fetched[request.group] ?? .failure(KafkaError(.timeout, "no answer for group '\(request.group)'")) {
            case .success(let offsets):
                groups.append(
                    GroupObservation(
                        name: request.group, state: description?.state, members: description?.members,
                        committed: offsets))
            case .failure(let error):
                failures.append(error.message)
                groups.append(
                    GroupObservation(
                        name: request.group, state: description?.state, members: description?.members,
                        committed: [:], fetchError: error.message))
            }
        }
        return Staged(
            groups,
            error: failures.first.map { "\(failures.count) of \(requests.count) groups failed; first: \($0)" })
    }

    /// The watermarks of every partition that has a leader, asked of the leaders.
    static func watermarksStage(
        _ client: any ClusterClient,
        _ cluster: ClusterConfiguration,
        _ metadata: ClusterMetadata
    ) -> Staged<[TopicPartition: Watermarks]> {
        var leaders: [TopicPartition: Int32] = [:]
        var partitions = 0
        for topic in metadata.topics {
            partitions += topic.partitions.count
            for partition in topic.partitions where partition.leader >= 0 {
                leaders[TopicPartition(topic.name, partition.partition)] = partition.leader
            }
        }
        let marks = client.watermarks(
            leaders: leaders, batchSize: cluster.watermarkBatchSize,
            timeoutMilliseconds: cluster.watermarksTimeoutMilliseconds)
        if !marks.errors.isEmpty {
            return Staged(marks.watermarks, error: marks.errors.sorted().joined(separator: "; "))
        }
        if marks.watermarks.count < leaders.count || leaders.count < partitions {
            return Staged(marks.watermarks, error: "some partitions have no leader or no watermarks")
        }
        return Staged(marks.watermarks)
    }

    /// Reads the timestamps of the records `wanted`; fails in part when some were not read in time.
    static func recordTimestampsStage(
        _ client: any ClusterClient,
        _ wanted: [TopicPartition: Set<Int64>],
        timeoutMilliseconds: Int
    ) -> Staged<[TopicPartition: [Int64: RecordTime]]> {
        let found = readRecords(wanted, client: client, timeoutMilliseconds: timeoutMilliseconds)
        let asked = wanted.values.reduce(0) { $0 + $1.count }
        let answered = found.values.reduce(0) { $0 + $1.count }
        return Staged(
            found, error: answered < asked ? "\(asked - answered) of \(asked) records not read in time or out of range" : nil)
    }

    /// The committed offsets to date exactly: every lagging partition of the chosen groups, at most `limit`
    /// of them, the most lagging first. Several groups at one offset share one read.
    static func exactRequests(
        groups: [GroupObservation],
        watermarks: [TopicPartition: Watermarks],
        limit: Int
    ) -> [TopicPartition: Set<Int64>] {
        var lagging: [(key: TopicPartition, offset: Int64, lag: Int64)] = []
        for group in groups where group.fetchError == nil {
            for (key, committed) in group.committed {
                guard let committed, committed >= 0, let high = watermarks[key]?.high, committed < high else { continue }
                lagging.append((key, committed, high - committed))
            }
        }
        lagging.sort { $0.lag != $1.lag ? $0.lag > $1.lag : $0.key < $1.key }
        var wanted: [TopicPartition: Set<Int64>] = [:]
        var count = 0
        for entry in lagging where count < limit {
            if wanted[entry.key, default: []].insert(entry.offset).inserted { count += 1 }
        }
        return wanted
    }

    /// Reads the records in rounds, one offset per partition each (a partition is assigned at one offset at
    /// a time), within one timeout for all rounds.
    static func readRecords(
        _ wanted: [TopicPartition: Set<Int64>],
        client: any ClusterClient,
        timeoutMilliseconds: Int
    ) -> [TopicPartition: [Int64: RecordTime]] {
        var queues = wanted.mapValues { $0.sorted() }
        var found: [TopicPartition: [Int64: RecordTime]] = [:]
        let deadline = Deadline(milliseconds: timeoutMilliseconds)
        while !queues.isEmpty, !deadline.hasPassed {
            var round: [TopicPartition: Int64] = [:]
            for (key, offsets) in queues { round[key] = offsets[0] }
            let answers = client.recordTimes(at: round, timeoutMilliseconds: deadline.remainingMilliseconds)
            for (key, offset) in round {
                if let answer = answers[key] { found[key, default: [:]][offset] = answer }
                queues[key]!.removeFirst()
                if queues[key]!.isEmpty { queues[key] = nil }
            }
        }
        return found
    }

    /// Keeps the topics the cluster's filter accepts.
    static func filtered(_ metadata: ClusterMetadata, _ cluster: ClusterConfiguration) -> ClusterMetadata {
        ClusterMetadata(
            brokers: metadata.brokers, controllerID: metadata.controllerID,
            topics: metadata.topics.filter { cluster.topics.accepts($0.name) })
    }

    /// One request per group: configured groups with topics ask about those topics' partitions (a missing
    /// topic asks about nothing); configured groups without topics and discovered groups ask for everything
    /// they committed. A group both configured and discovered is asked once, as configured.
    static func offsetRequests(
        cluster: ClusterConfiguration,
        discovered: [String],
        metadata: ClusterMetadata
    ) -> [CommittedOffsetsRequest] {
        var partitionsByTopic: [String: [TopicPartition]] = [:]
        for topic in metadata.topics {
            partitionsByTopic[topic.name] = topic.partitions.map { TopicPartition(topic.name, $0.partition) }
        }
        var seen = Set<String>()
        var requests: [CommittedOffsetsRequest] = []
        for group in cluster.staticGroups where seen.insert(group.name).inserted {
            let partitions = group.topics.map { topics in topics.flatMap { partitionsByTopic[$0] ?? [] } }
            requests.append(CommittedOffsetsRequest(group: group.name, partitions: partitions))
        }
        for name in discovered.sorted() where seen.insert(name).inserted {
            requests.append(CommittedOffsetsRequest(group: name, partitions: nil))
        }
        return requests
    }
}

/// A stage's result, and why it failed in whole or in part (`nil`: it succeeded).
struct Staged<Value> {
    var value: Value
    var error: String?

    init(_ value: Value, error: String? = nil) {
        self.value = value
        self.error = error
    }
}

/// Runs the stages of one poll in order: times each, takes the middle of it as when its data was seen, and
/// records its error. The one place a stage's self-metrics come from.
struct StageRunner {
    private let now: () -> Double
    /// When the poll started.
    let startedAt: Double
    private var stageStart: Double
    private(set) var errors: [PollStage: String] = [:]
    private var durations: [PollStage: Double] = [:]
    private var observedAt: [PollStage: Double] = [:]

    init(now: @escaping () -> Double) {
        self.now = now
        startedAt = now()
        stageStart = startedAt
    }

    /// Runs `stage` and returns its value.
    mutating func run<Value>(_ stage: PollStage, _ body: () -> Staged<Value>) -> Value {
        let result = body()
        let time = now()
        durations[stage] = time - stageStart
        observedAt[stage] = stageStart + (time - stageStart) / 2
        stageStart = time
        if let error = result.error { errors[stage] = error }
        return result.value
    }

    /// The poll's observation, with the stages' errors, durations and times.
    func observation(
        _ clusterName: String,
        metadata: ClusterMetadata?,
        watermarks: [TopicPartition: Watermarks],
        groups: [GroupObservation],
        discovery: GroupDiscoveryStatus
    ) -> ClusterObservation {
        var observation = ClusterObservation(
            clusterName: clusterName, metadata: metadata, watermarks: watermarks, groups: groups,
            discovery: discovery, stageErrors: errors, startedAt: startedAt, durationSeconds: now() - startedAt)
        observation.stageDurations = durations
        observation.observedAt = observedAt
        return observation
    }
}
