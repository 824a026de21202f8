/// The lag rules: turn one poll's raw ``ClusterObservation`` into the topics and groups of its ``ClusterSnapshot``
/// (``ClusterHistory`` assembles the snapshot and supplies the history the rules read).
///
/// The rules (also in the README):
/// - lag = high watermark − committed offset, clamped at 0 (committed offsets are fetched before the
///   watermarks, so a negative value can only come from a recreated topic or a truncated log); the high
///   watermark counts transactional messages and markers, as kafka_exporter and Kafka's tools do;
/// - a committed offset past the high watermark is counted in ``GroupLag/partitionsPastLogEnd`` and is ERR:
///   its lag of 0 does not mean caught up;
/// - a partition with no committed offset gets no offset or lag series and is counted in
///   ``GroupLag/partitionsWithoutCommit``;
/// - a committed offset below the low watermark still gets its lag, and is counted in
///   ``GroupLag/partitionsBehindLogStart``;
/// - a partition whose watermarks are unknown this poll keeps its offset series but loses its lag, and its
///   topic's lag sum is withheld;
/// - only partitions of topics present in this poll's (filtered) metadata are reported, so deleted topics
///   vanish at once;
/// - a group with no members keeps its series for as long as it has committed offsets;
/// - a group with no committed offset on any partition (a mistyped configured name, say) is NOTFOUND.
///
/// Rates come from a ``RateTracker`` and lag times from ``WatermarkTimelines``, which own the history
/// across polls (both already fed this poll's observation); the builder only reads them. Lag in seconds:
/// - 0 when the lag is 0;
/// - else the time since the high watermark passed the committed offset, interpolated between the
///   partition's timeline points, or extrapolated before its oldest point at its average rate by no more
///   than its span; beyond that it is unknown (no series), and counted per group.
/// A topic's and a group's largest lag in seconds is withheld when any lagging partition's is unknown.
///
/// Inactive: a group with no members (described, 0 members) whose oldest unconsumed message is older than
/// the inactivity age is INACTIVE on every partition that would otherwise be WARN, REWIND, STALL, STOP or
/// ERR. The message's age is dated by the record at the committed offset (or at the log start, when
/// retention deleted the committed offset's record: the unconsumed messages are older still), else by the
/// partition's lag in seconds. An inactive group has no catch-up time.
///
/// Catch-up time: shown only while the group is really catching up (its total lag falling poll after poll),
/// as the time left at the pace it fell; 0 at its steady level (caught up); unknown otherwise, and whenever
/// a partition is WARN, STOP or STALL (see ``catchUpShown(_:trend:times:consumed:)``). With no history (the builder
/// used alone) it is, for the slowest lagging partition, lag ÷ (consume rate − produce rate).
///
/// Pure: no I/O and no clock. ``ClusterHistory`` calls it with the histories it owns.
public enum SnapshotBuilder {
    /// What the lag rules read for one poll: its observation and the histories' answers for it, with the
    /// partitions of the poll's metadata gathered once for all groups.
    public struct Context {
        let observation: ClusterObservation
        let rates: ObservedRates?
        let timelines: WatermarkTimelines?
        let known: PartitionSet
        let inactiveAfterSeconds: Double
        let trendTimes: [Double]

        /// Creates the context of `observation`; `rates` and `timelines` already fed with it.
        public init(
            _ observation: ClusterObservation,
            rates: ObservedRates? = nil,
            timelines: WatermarkTimelines? = nil,
            inactiveAfterSeconds: Double = AnalysisSettings().inactiveAfterSeconds,
            trendTimes: [Double] = []
        ) {
            self.trendTimes = trendTimes
            self.observation = observation
            self.rates = rates
            self.timelines = timelines
            self.inactiveAfterSeconds = inactiveAfterSeconds
            known = observation.metadata?.partitionKeys ?? []
        }
    }

    /// The watched topics with their watermarks and produce rates, and how many partitions have no watermarks.
    static func topics(
        _ metadata: ClusterMetadata,
        watermarks: PartitionMap<Watermarks>,
        produceRates: PartitionMap<Double>?,
        openTransactions: [TopicPartition: OpenTransaction] = [:]
    ) -> (topics: [TopicState], withoutWatermarks: Int) {
        var missing = 0
        let topics = metadata.topics.map { topic in
            TopicState(
                name: topic.name,
                partitions: topic.partitions.map { partition in
                    let key = TopicPartition(topic.name, partition.partition)
                    let marks = watermarks[key]
                    if marks == nil { missing += 1 }
                    return PartitionState(
                        metadata: partition, watermarks: marks, produceRate: produceRates?[key],
                        openTransaction: openTransactions[key])
                }
            )
        }
        return (topics, missing)
    }

    /// Applies the lag rules to one group of the context's observation. `judge` gives the status of each partition whose
    /// lag is known (none by default); `trend` receives the group's total lag and returns its trend.
    public static func lag(
        of group: GroupObservation,
        in context: Context,
        judge: (_ partition: TopicPartition, _ committed: Int64, _ lag: Int64, _ outsideLog: Bool) -> ConsumerStatus? = {
            _, _, _, _ in nil
        },
        trend: (_ totalLag: Int64?) -> [Int64?] = { _ in [] },
        consumed: Bool? = nil
    ) -> GroupLag {
        let observation = context.observation
        let known = context.known
        let rates = context.rates?.consume[group.name]
        let produceRates = context.rates?.produce
        let now = observation.watermarksObservedAt
        var byTopic: [String: [PartitionLag]] = [:]
        var withoutCommit = 0
        var behindLogStart = 0
        var pastLogEnd = 0
        // Catch-up: the slowest lagging partition decides; any partition that cannot catch up voids it.
        var catchUp: Double? = 0
        var stuck = false
        // The age of the oldest unconsumed message seen, for a group without members.
        var oldestUnconsumed: Double?
        let memberless = group.memberCount == 0
        for (key, committed) in group.committed where known.contains(key) {
            guard let committed, committed >= 0 else {
                withoutCommit += 1
                continue
            }
            let marks = observation.watermarks[key]
            let behind = marks.map { committed < $0.low } ?? false
            if behind { behindLogStart += 1 }
            let past = marks.map { committed > $0.high } ?? false
            if past { pastLogEnd += 1 }
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
                if let record = observation.recordTimes[key]?[committed] {
                    return LagTime(seconds: max(0, now - record.timestamp), method: .exact)
                }
                return context.timelines?[key]?.lagTime(committed: committed, highWatermark: marks.high, now: now)
            }
            let status = lag.flatMap { judge(key, committed, $0, behind || past) }
            if status == .stop || status == .stall || status == .warn { stuck = true }
            if memberless, let marks, marks.high > committed {
                let record = observation.recordTimes[key]?[max(committed, marks.low)]
                if let age = record.map({ now - $0.timestamp }) ?? lagTime?.seconds {
                    oldestUnconsumed = max(oldestUnconsumed ?? age, age)
                }
            }
            byTopic[key.topic, default: []].append(
                PartitionLag(
                    partition: key.partition, committed: committed, lag: lag, behindLogStart: behind, pastLogEnd: past,
                    consumeRate: rates?[key], lagTime: lagTime, status: status)
            )
        }
        let inactive = (oldestUnconsumed ?? 0) >= context.inactiveAfterSeconds
        let topics = byTopic.sorted { $0.key < $1.key }.map { topic, partitions in
            GroupTopicLag(
                topic: topic,
                partitions: partitions.sorted { $0.partition < $1.partition }.map { inactive ? $0.markedInactive() : $0 })
        }
        let lagTrend = trend(GroupLag.totalLag(of: topics, fetchError: group.fetchError))
        return GroupLag(
            name: group.name, state: group.state, memberCount: group.memberCount, topics: topics,
            partitionsWithoutCommit: withoutCommit, partitionsBehindLogStart: behindLogStart,
            partitionsPastLogEnd: pastLogEnd,
            fetchError: group.fetchError, members: group.members,
            catchUpSeconds: group.fetchError == nil && !stuck && !inactive
                ? catchUpShown(catchUp, trend: lagTrend, times: context.trendTimes, consumed: consumed) : nil,
            lagTrend: lagTrend,
            committedNowhere: group.fetchError == nil && !group.committed.values.contains { ($0 ?? -1) >= 0 }
        )
    }

    /// Polls of total lag a group needs before its steady level is known.
    public static let steadyLevelPolls = 5

    /// The catch-up time to show, from the group's total lag over its last polls (`trend`, oldest first, the
    /// current last; `times`, when each of the last polls observed it):
    /// - 0 without lag;
    /// - none with fewer than ``steadyLevelPolls`` polls to judge by;
    /// - while the group is really catching up — its lag fell in each of the last three polls, by a quarter or
    ///   more in all — the time left at the pace it fell at over those polls;
    /// - none while it rose in each of the last three polls;
    /// - 0 at its steady level (no more than twice the median total lag of its last polls, or within 10
    ///   messages of it) while it consumes (`consumed`: its committed offsets moved since the last poll): a
    ///   group at equilibrium is caught up, however its rates wobble;
    /// - else none (lag above its level and not falling, or a consumer that stopped committing).
    /// A group that is WARN, STALL or STOP on any partition shows none whatever its trend (the caller's rule).
    /// Where no trend is kept (the builder used alone, `times` empty), `rateBased` — lag ÷ (consume − produce
    /// rate) of the slowest partition — is shown as it is.
    static func catchUpShown(_ rateBased: Double?, trend: [Int64?], times: [Double], consumed: Bool?) -> Double? {
        guard !times.isEmpty else { return rateBased }
        guard let current = trend.last ?? nil else { return nil }
        if current == 0 { return 0 }
        let known = trend.compactMap { $0 }
        guard known.count >= steadyLevelPolls, trend.suffix(4).allSatisfy({ $0 != nil }), times.count >= 4 else { return nil }
        let recent = trend.suffix(4).map { $0! }
        let steps = zip(recent, recent.dropFirst())
        if steps.allSatisfy({ $1 < $0 }) && current * 4 <= recent[0] * 3 {
            let seconds = times[times.count - 1] - times[times.count - 4]
            guard seconds > 0 else { return nil }
            return Double(current) / (Double(recent[0] - current) / seconds)
        }
        if steps.allSatisfy({ $1 > $0 }) { return nil }
        let steady = known.sorted()[known.count / 2]
        return current <= max(2 * steady, steady + 10) && consumed != false ? 0 : nil
    }
}
