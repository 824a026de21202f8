public import LagwatchConfig
public import LagwatchKafka
public import LagwatchModel

/// One poll of one cluster, in stages: metadata, then groups and their committed offsets, then
/// watermarks (so that lag is never negative from timing), then record timestamps for the exact method
/// and for dating the oldest unconsumed message of groups without members (INACTIVE or STOP).
/// Each stage is one function returning a typed result and, when it failed in whole or in part, why; the
/// ``StageRunner`` times it and records the failure, and the next stages go on with what they have.
/// Nothing here throws.
public enum PollCycle {
    /// Runs one poll with `client` according to `cluster`, reading record timestamps for the groups `exact`
    /// chooses and for the lagging partitions of groups without members; those in `known` (the last poll's)
    /// are not read again. `now` gives wall-clock seconds since the epoch.
    public static func observe(
        client: any ClusterClient,
        cluster: ClusterConfiguration,
        exact: ExactLagSettings = ExactLagSettings(),
        known: [TopicPartition: [Int64: RecordTime]] = [:],
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
        let plan = RecordPlan(groups: groups, watermarks: watermarks, exact: exact, known: known)
        var recordTimes = plan.reused
        let unread = plan.unread, exactUnread = plan.exactUnread
        if !unread.isEmpty {
            let read = stages.run(.recordTimestamps) {
                recordTimestampsStage(client, unread, counting: exactUnread, timeoutMilliseconds: exact.timeoutMilliseconds)
            }
            recordTimes.merge(read) { old, new in old.merging(new) { $1 } }
        }
        var observation = stages.observation(
            cluster.name, metadata: metadata, watermarks: watermarks, groups: groups, discovery: listing.discovery)
        observation.recordTimes = recordTimes
        return observation
    }

    /// Which record timestamps a poll needs and which of them it must read: the exact method's chosen groups
    /// and the groups without members (for dating). Those the last poll read are reused; of the rest, at most
    /// the exact method's limit is read per poll, the chosen groups' first, so dating many stopped groups
    /// takes a few polls once and nothing after (their offsets do not move).
    struct RecordPlan {
        /// Timestamps known from the last poll.
        var reused: [TopicPartition: [Int64: RecordTime]] = [:]
        /// Offsets to read this poll, and those of them the exact method asked for (only their misses fail).
        var unread: [TopicPartition: Set<Int64>] = [:]
        var exactUnread: [TopicPartition: Set<Int64>] = [:]

        init(
            groups: [GroupObservation], watermarks: PartitionMap<Watermarks>, exact: ExactLagSettings,
            known: [TopicPartition: [Int64: RecordTime]]
        ) {
            let chosen = exact.groups.map { filter in groups.filter { filter.accepts($0.name) } } ?? []
            var unreadCount = 0
            for (key, offsets) in exactRequests(groups: chosen, watermarks: watermarks, limit: exact.maxPartitions) {
                for offset in offsets {
                    if let time = known[key]?[offset] {
                        reused[key, default: [:]][offset] = time
                    } else if unread[key, default: []].insert(offset).inserted {
                        unreadCount += 1
                    }
                }
            }
            exactUnread = unread
            var undated: [(key: TopicPartition, offset: Int64, lag: Int64)] = []
            for entry in datingRequests(groups: groups, watermarks: watermarks) {
                if let time = known[entry.key]?[entry.offset] {
                    reused[entry.key, default: [:]][entry.offset] = time
                } else if unread[entry.key]?.contains(entry.offset) != true {
                    undated.append(entry)
                }
            }
            for (key, offsets) in mostLagging(undated, limit: exact.maxPartitions - unreadCount) {
                unread[key, default: []].formUnion(offsets)
            }
        }
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
    ) -> Staged<PartitionMap<Watermarks>> {
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

    /// Reads the timestamps of the records `wanted`; fails in part when some of those `counting` (the exact
    /// method's) were not read in time. Records read only to date a group without members may be missing
    /// (compacted away, or a transaction marker) without a failure: the group is then dated by its lag time.
    static func recordTimestampsStage(
        _ client: any ClusterClient,
        _ wanted: [TopicPartition: Set<Int64>],
        counting: [TopicPartition: Set<Int64>],
        timeoutMilliseconds: Int
    ) -> Staged<[TopicPartition: [Int64: RecordTime]]> {
        let found = readRecords(wanted, client: client, timeoutMilliseconds: timeoutMilliseconds)
        let asked = counting.values.reduce(0) { $0 + $1.count }
        let answered = counting.reduce(0) { sum, entry in sum + entry.value.filter { found[entry.key]?[$0] != nil }.count }
        return Staged(
            found, error: answered < asked ? "\(asked - answered) of \(asked) records not read in time or out of range" : nil)
    }

    /// The committed offsets to date exactly: every lagging partition of the chosen groups, at most `limit`
    /// of them, the most lagging first. Several groups at one offset share one read.
    static func exactRequests(
        groups: [GroupObservation],
        watermarks: PartitionMap<Watermarks>,
        limit: Int
    ) -> [TopicPartition: Set<Int64>] {
        var lagging: [(key: TopicPartition, offset: Int64, lag: Int64)] = []
        for group in groups where group.fetchError == nil {
            for (key, committed) in group.committed {
                guard let committed, committed >= 0, let high = watermarks[key]?.high, committed < high else { continue }
                lagging.append((key, committed, high - committed))
            }
        }
        return mostLagging(lagging, limit: limit)
    }

    /// The offsets that date the oldest unconsumed message of each group known to have no members: per
    /// lagging partition, the committed offset, or the log start when retention deleted that record; with
    /// the partition's lag.
    static func datingRequests(
        groups: [GroupObservation],
        watermarks: PartitionMap<Watermarks>
    ) -> [(key: TopicPartition, offset: Int64, lag: Int64)] {
        var lagging: [(key: TopicPartition, offset: Int64, lag: Int64)] = []
        for group in groups where group.fetchError == nil && group.memberCount == 0 {
            for (key, committed) in group.committed {
                guard let committed, committed >= 0, let marks = watermarks[key], committed < marks.high else { continue }
                lagging.append((key, max(committed, marks.low), marks.high - committed))
            }
        }
        return lagging
    }

    /// Up to `limit` of `lagging`, the most lagging first, as offsets per partition.
    static func mostLagging(
        _ lagging: [(key: TopicPartition, offset: Int64, lag: Int64)], limit: Int
    ) -> [TopicPartition: Set<Int64>] {
        var lagging = lagging
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
        watermarks: PartitionMap<Watermarks>,
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
