/// Everything lagwatch remembers about one cluster from poll to poll, and the one place a poll's raw
/// ``ClusterObservation`` becomes a finished ``ClusterSnapshot``.
///
/// It owns the process-lifetime counters, the rate histories (``RateTracker``), the watermark timelines
/// (``WatermarkTimelines``), the status run lengths (``StatusTracker``), the lag trends (``LagTrends``) and
/// the open transactions (``TransactionTracker``).
/// ``advance(_:)`` feeds them one observation, in that order, and applies the lag rules of
/// ``SnapshotBuilder``; the snapshot it returns is complete and is never written to again.
///
/// Pure: no I/O and no clock (times come from the observation), so the model's tests feed observations
/// and read snapshots. A value with one owner: a ``ClusterPoller`` (or a test) holds it and nothing else
/// sees it.
public struct ClusterHistory: Sendable {
    /// How rates, lag times and statuses are made.
    public let settings: AnalysisSettings
    /// Process-lifetime counters as of the last poll.
    public private(set) var counters = PollCounters()
    private var rates: RateTracker
    private var timelines: WatermarkTimelines
    private var statuses: StatusTracker
    private var trends = LagTrends()
    /// When the lag of each of the last polls the trends cover was observed, oldest first.
    private var trendTimes: [Double] = []
    /// Each group's committed offsets summed, as of the last poll that had metadata: whether a group
    /// consumed since then.
    private var committedSums: [String: Int64] = [:]
    private var transactions: TransactionTracker

    /// Creates an empty history.
    public init(settings: AnalysisSettings = AnalysisSettings()) {
        self.settings = settings
        rates = RateTracker(windowSeconds: settings.rateWindowSeconds)
        timelines = WatermarkTimelines(capacity: settings.timelinePoints)
        statuses = StatusTracker(window: settings.statusWindowPolls, minLag: settings.statusMinLag)
        transactions = TransactionTracker(hangingSeconds: settings.hangingTransactionSeconds)
    }

    /// Series tracked for rates, watermark timeline points, and group partitions tracked for status: for
    /// memory accounting.
    public var footprint: (rateSeries: Int, timelinePoints: Int, statusPartitions: Int) {
        (rates.trackedSeries, timelines.pointCount, statuses.trackedPartitions)
    }

    /// Takes one poll's observation into the history and returns that poll's snapshot.
    ///
    /// A poll without metadata (the cluster did not answer) counts in the counters and moves the rate
    /// window on, but neither judges statuses nor extends trends: nothing was seen.
    public mutating func advance(_ observation: ClusterObservation) -> ClusterSnapshot {
        counters.record(observation)
        let observedRates = rates.record(observation)
        timelines.record(observation)
        let openTransactions = transactions.record(observation)
        guard let metadata = observation.metadata else {
            return snapshot(
                observation, up: false, brokers: [], controllerID: nil, topics: [], groups: [],
                withoutWatermarks: 0, rateWindow: observedRates.windowSeconds, lagObservedAt: nil)
        }
        let topics = SnapshotBuilder.topics(
            metadata, watermarks: observation.watermarks, produceRates: observedRates.produce,
            openTransactions: openTransactions)
        trendTimes.append(observation.watermarksObservedAt)
        if trendTimes.count > trends.length { trendTimes.removeFirst(trendTimes.count - trends.length) }
        let context = SnapshotBuilder.Context(
            observation, rates: observedRates, timelines: timelines, inactiveAfterSeconds: settings.inactiveAfterSeconds,
            trendTimes: trendTimes)
        statuses.beginPoll()
        var groups: [GroupLag] = []
        groups.reserveCapacity(observation.groups.count)
        var sums: [String: Int64] = [:]
        for group in observation.groups {
            let hasMembers = (group.memberCount ?? 0) > 0
            let sum = group.committed.values.reduce(Int64(0)) { $0 + max(0, ($1 ?? 0)) }
            sums[group.name] = sum
            groups.append(
                SnapshotBuilder.lag(
                    of: group, in: context,
                    judge: { key, committed, lag, outsideLog in
                        statuses.judge(
                            group: group.name, partition: key, committed: committed, lag: lag, hasMembers: hasMembers,
                            outsideLog: outsideLog)
                    },
                    trend: { trends.record(group: group.name, totalLag: $0) },
                    consumed: group.fetchError == nil ? committedSums[group.name].map { sum > $0 } : nil))
        }
        statuses.endPoll()
        trends.endPoll()
        committedSums = sums
        groups.sort { $0.name < $1.name }
        return snapshot(
            observation, up: true, brokers: metadata.brokers, controllerID: metadata.controllerID,
            topics: topics.topics, groups: groups, withoutWatermarks: topics.withoutWatermarks,
            rateWindow: observedRates.windowSeconds, lagObservedAt: observation.watermarksObservedAt)
    }

    private func snapshot(
        _ observation: ClusterObservation,
        up: Bool,
        brokers: [Broker],
        controllerID: Int32?,
        topics: [TopicState],
        groups: [GroupLag],
        withoutWatermarks: Int,
        rateWindow: Double,
        lagObservedAt: Double?
    ) -> ClusterSnapshot {
        ClusterSnapshot(
            clusterName: observation.clusterName, up: up, brokers: brokers, controllerID: controllerID,
            topics: topics, groups: groups, discovery: observation.discovery, stageErrors: observation.stageErrors,
            partitionsWithoutWatermarks: withoutWatermarks, pollStartedAt: observation.startedAt,
            pollDurationSeconds: observation.durationSeconds, counters: counters,
            stageDurations: observation.stageDurations, rateWindowSeconds: rateWindow, lagObservedAt: lagObservedAt,
            timelinePoints: timelines.pointCount, statusWindowPolls: settings.statusWindowPolls)
    }
}
