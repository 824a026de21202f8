/// Turns one poll's raw ``ClusterObservation`` into a ``ClusterSnapshot`` by applying the lag rules.
///
/// The rules (also in the README):
/// - lag = high watermark − committed offset, clamped at 0 (committed offsets are fetched before the
///   watermarks, so a negative value can only come from a truncated log or a reset);
/// - a partition with no committed offset gets no offset or lag series and is counted in
///   ``GroupLag/partitionsWithoutCommit``;
/// - a committed offset below the low watermark still gets its lag, and is counted in
///   ``GroupLag/partitionsBehindLogStart``;
/// - a partition whose watermarks are unknown this poll keeps its offset series but loses its lag, and its
///   topic's lag sum is withheld;
/// - only partitions of topics present in this poll's (filtered) metadata are reported, so deleted topics
///   vanish at once;
/// - a group with no members keeps its series for as long as it has committed offsets.
///
/// Rates come from a ``RateTracker`` and lag times from ``WatermarkTimelines``, which own the history
/// across polls (both already fed this poll's observation); the builder only reads them. Lag in seconds:
/// - 0 when the lag is 0;
/// - else the time since the high watermark passed the committed offset, interpolated between the
///   partition's timeline points, or extrapolated before its oldest point at its average rate by no more
///   than its span; beyond that it is unknown (no series), and counted per group.
/// A topic's and a group's largest lag in seconds is withheld when any lagging partition's is unknown.
///
/// Catch-up time: for each lagging partition, lag ÷ (consume rate − produce rate); the group's is the
/// largest, 0 without lag, and unknown when any lagging partition is not catching up or has no rates.
public enum SnapshotBuilder {
    /// Builds the snapshot of one poll. Pure: no I/O and no clock.
    public static func build(
        _ observation: ClusterObservation,
        counters: PollCounters,
        rates: ObservedRates? = nil,
        timelines: WatermarkTimelines? = nil
    ) -> ClusterSnapshot {
        var snapshot = lagSnapshot(observation, counters: counters, rates: rates, timelines: timelines)
        snapshot.stageDurations = observation.stageDurations
        snapshot.rateWindowSeconds = rates?.windowSeconds
        snapshot.lagObservedAt = observation.metadata == nil ? nil : observation.watermarksObservedAt
        return snapshot
    }

    private static func lagSnapshot(
        _ observation: ClusterObservation,
        counters: PollCounters,
        rates: ObservedRates?,
        timelines: WatermarkTimelines?
    ) -> ClusterSnapshot {
        guard let metadata = observation.metadata else {
            return ClusterSnapshot(
                clusterName: observation.clusterName, up: false, brokers: [], controllerID: nil, topics: [],
                groups: [], discovery: observation.discovery, stageErrors: observation.stageErrors,
                partitionsWithoutWatermarks: 0, pollStartedAt: observation.startedAt,
                pollDurationSeconds: observation.durationSeconds, counters: counters
            )
        }
        var missingWatermarks = 0
        let topics = metadata.topics.map { topic in
            TopicState(
                name: topic.name,
                partitions: topic.partitions.map { partition in
                    let key = TopicPartition(topic.name, partition.partition)
                    let marks = observation.watermarks[key]
                    if marks == nil { missingWatermarks += 1 }
                    return PartitionState(metadata: partition, watermarks: marks, produceRate: rates?.produce[key])
                }
            )
        }
        let known = metadata.partitionKeys
        let groups = observation.groups
            .map { group in
                lag(
                    of: group, known: known, watermarks: observation.watermarks, rates: rates?.consume[group.name],
                    produceRates: rates?.produce, timelines: timelines, recordTimes: observation.recordTimes,
                    now: observation.watermarksObservedAt)
            }
            .sorted { $0.name < $1.name }
        return ClusterSnapshot(
            clusterName: observation.clusterName, up: true, brokers: metadata.brokers,
            controllerID: metadata.controllerID, topics: topics, groups: groups, discovery: observation.discovery,
            stageErrors: observation.stageErrors, partitionsWithoutWatermarks: missingWatermarks,
            pollStartedAt: observation.startedAt, pollDurationSeconds: observation.durationSeconds, counters: counters
        )
    }

    /// Applies the lag rules to one group.
    static func lag(
        of group: GroupObservation,
        known: Set<TopicPartition>,
        watermarks: [TopicPartition: Watermarks],
        rates: [TopicPartition: Double]? = nil,
        produceRates: [TopicPartition: Double]? = nil,
        timelines: WatermarkTimelines? = nil,
        recordTimes: [TopicPartition: [Int64: RecordTime]] = [:],
        now: Double = 0
    ) -> GroupLag {
        var byTopic: [String: [PartitionLag]] = [:]
        var withoutCommit = 0
        var behindLogStart = 0
        // Catch-up: the slowest lagging partition decides; any partition that cannot catch up voids it.
        var catchUp: Double? = 0
        for (key, committed) in group.committed where known.contains(key) {
            guard let committed, committed >= 0 else {
                withoutCommit += 1
                continue
            }
            let marks = watermarks[key]
            let behind = marks.map { committed < $0.low } ?? false
            if behind { behindLogStart += 1 }
            let lag = marks.map { max(0, $0.high - committed) }
            if let partitionLag = lag, partitionLag > 0 {
                if let consume = rates?[key], let produce = produceRates?[key], consume > produce, let slowest = catchUp {
                    catchUp = max(slowest, Double(partitionLag) / (consume - produce))
                } else {
                    catchUp = nil
                }
            } else if lag == nil {
                catchUp = nil
            }
            let lagTime = marks.flatMap { marks -> LagTime? in
                if marks.high <= committed { return LagTime(seconds: 0, method: .interpolation) }
                if let record = recordTimes[key]?[committed] {
                    return LagTime(seconds: max(0, now - record.timestamp), method: .exact)
                }
                return timelines?[key]?.lagTime(committed: committed, highWatermark: marks.high, now: now)
            }
            byTopic[key.topic, default: []].append(
                PartitionLag(
                    partition: key.partition, committed: committed, lag: lag, behindLogStart: behind,
                    consumeRate: rates?[key], lagTime: lagTime)
            )
        }
        let topics = byTopic.sorted { $0.key < $1.key }.map { topic, partitions in
            GroupTopicLag(topic: topic, partitions: partitions.sorted { $0.partition < $1.partition })
        }
        var result = GroupLag(
            name: group.name, state: group.state, memberCount: group.memberCount, topics: topics,
            partitionsWithoutCommit: withoutCommit, partitionsBehindLogStart: behindLogStart,
            fetchError: group.fetchError
        )
        result.catchUpSeconds = group.fetchError == nil ? catchUp : nil
        result.members = group.members
        return result
    }
}
