import Dispatch
public import LagwatchConfig
public import LagwatchKafka
public import LagwatchModel

/// One poll of one cluster: metadata, then groups and their committed offsets, then watermarks, so that
/// lag is never negative from timing. Each stage's failure is recorded and the next stages go on with what
/// they have; nothing here throws.
public enum PollCycle {
    /// Runs one poll with `client` according to `cluster`, reading record timestamps for the groups `exact`
    /// chooses. `now` gives wall-clock seconds since the epoch.
    public static func observe(
        client: any ClusterClient,
        cluster: ClusterConfiguration,
        exact: ExactLagSettings = ExactLagSettings(),
        now: () -> Double
    ) -> ClusterObservation {
        let startedAt = now()
        var errors: [PollStage: String] = [:]
        var durations: [PollStage: Double] = [:]
        var observedAt: [PollStage: Double] = [:]
        var stageStart = startedAt
        /// Records the time since the previous stage ended as `stage`'s, and its middle as when its data was seen.
        func finished(_ stage: PollStage) {
            let time = now()
            durations[stage] = time - stageStart
            observedAt[stage] = stageStart + (time - stageStart) / 2
            stageStart = time
        }
        client.serveCallbacks()

        let metadata: ClusterMetadata
        do {
            metadata = filtered(try client.metadata(timeoutMilliseconds: cluster.metadataTimeoutMilliseconds), cluster)
            finished(.metadata)
        } catch {
            finished(.metadata)
            errors[.metadata] = "\(error)"
            var observation = ClusterObservation(
                clusterName: cluster.name, metadata: nil, watermarks: [:], groups: [],
                discovery: cluster.discoverGroups ? .failed(reason: "\(error)") : .disabled, stageErrors: errors,
                startedAt: startedAt, durationSeconds: now() - startedAt)
            observation.stageDurations = durations
            observation.observedAt = observedAt
            return observation
        }

        // Groups: the configured ones, plus those the broker lists.
        var discovery = GroupDiscoveryStatus.disabled
        var descriptions: [String: GroupDescription] = [:]
        var discovered: [String] = []
        if cluster.discoverGroups {
            switch client.listGroups(waitMilliseconds: cluster.offsetsWaitMilliseconds) {
            case .success(let listings):
                discovery = .supported
                discovered = listings.map(\.name).filter { cluster.groups.accepts($0) }
                if cluster.describeGroups, !discovered.isEmpty {
                    for (name, result) in client.describeGroups(discovered, waitMilliseconds: cluster.offsetsWaitMilliseconds) {
                        if case .success(let description) = result { descriptions[name] = description }
                    }
                    if descriptions.count < discovered.count {
                        errors[.groupDiscovery] =
                            "\(discovered.count - descriptions.count) of \(discovered.count) groups could not be described"
                    }
                }
            case .failure(let error) where error.code == .unsupported:
                discovery = .unsupported(reason: error.message)
            case .failure(let error):
                discovery = .failed(reason: error.message)
                errors[.groupDiscovery] = error.message
            }
        }
        if cluster.discoverGroups { finished(.groupDiscovery) }
        let requests = offsetRequests(cluster: cluster, discovered: discovered, metadata: metadata)
        // A configured group none of whose topics exist asks about nothing: an empty partition list is not
        // sent, since the broker could read it as "every partition".
        var fetched = client.committedOffsets(
            requests.filter { $0.partitions?.isEmpty != true }, maxInFlight: cluster.maxInFlightRequests,
            waitMilliseconds: cluster.offsetsWaitMilliseconds)
        for request in requests where request.partitions?.isEmpty == true { fetched[request.group] = .success([:]) }
        var groups: [GroupObservation] = []
        var failures: [String] = []
        for request in requests {
            let result = fetched[request.group] ?? .failure(KafkaError(.timeout, "no answer for group '\(request.group)'"))
            var committed: [TopicPartition: Int64?] = [:]
            var fetchError: String?
            switch result {
            case .success(let offsets): committed = offsets
            case .failure(let error):
                failures.append(error.message)
                fetchError = error.message
            }
            let description = descriptions[request.group]
            groups.append(
                GroupObservation(
                    name: request.group, state: description?.state, members: description?.members,
                    committed: committed, fetchError: fetchError))
        }
        if let first = failures.first {
            errors[.committedOffsets] = "\(failures.count) of \(requests.count) groups failed; first: \(first)"
        }
        finished(.committedOffsets)

        // Watermarks last: fetched after the committed offsets, so high watermark ≥ committed offset.
        var leaders: [TopicPartition: Int32] = [:]
        for topic in metadata.topics {
            for partition in topic.partitions where partition.leader >= 0 {
                leaders[TopicPartition(topic.name, partition.partition)] = partition.leader
            }
        }
        let marks = client.watermarks(
            leaders: leaders, batchSize: cluster.watermarkBatchSize, timeoutMilliseconds: cluster.watermarksTimeoutMilliseconds)
        if !marks.errors.isEmpty {
            errors[.watermarks] = marks.errors.sorted().joined(separator: "; ")
        } else if marks.watermarks.count < leaders.count || leaders.count < metadata.topics.reduce(0, { $0 + $1.partitions.count }) {
            errors[.watermarks] = "some partitions have no leader or no watermarks"
        }
        finished(.watermarks)
        var recordTimes: [TopicPartition: [Int64: RecordTime]] = [:]
        if let chosen = exact.groups {
            let wanted = exactRequests(groups: groups.filter { chosen.accepts($0.name) }, watermarks: marks.watermarks, limit: exact.maxPartitions)
            if !wanted.isEmpty {
                recordTimes = readRecords(wanted, client: client, timeoutMilliseconds: exact.timeoutMilliseconds)
                let asked = wanted.values.reduce(0) { $0 + $1.count }
                let answered = recordTimes.values.reduce(0) { $0 + $1.count }
                if answered < asked {
                    errors[.recordTimestamps] = "\(asked - answered) of \(asked) records not read in time or out of range"
                }
                finished(.recordTimestamps)
            }
        }
        var observation = ClusterObservation(
            clusterName: cluster.name, metadata: metadata, watermarks: marks.watermarks, groups: groups,
            discovery: discovery, stageErrors: errors, startedAt: startedAt, durationSeconds: now() - startedAt)
        observation.stageDurations = durations
        observation.observedAt = observedAt
        observation.recordTimes = recordTimes
        return observation
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
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, timeoutMilliseconds)) * 1_000_000
        while !queues.isEmpty {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { break }
            var round: [TopicPartition: Int64] = [:]
            for (key, offsets) in queues { round[key] = offsets[0] }
            let answers = client.recordTimes(at: round, timeoutMilliseconds: Int((deadline - now) / 1_000_000))
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
