/// Produce and consume rates computed at one poll, in messages per second, averaged over the rate window.
/// A series missing here has no rate this poll (see ``RateTracker``).
public struct ObservedRates: Sendable, Hashable {
    /// The window the rates are averaged over, in seconds.
    public var windowSeconds: Double
    /// Growth of each partition's high watermark.
    public var produce = PartitionMap<Double>()
    /// Growth of each group's committed offset, by group and partition.
    public var consume: [String: PartitionMap<Double>] = [:]

    /// Creates rates with nothing in them.
    public init(windowSeconds: Double) {
        self.windowSeconds = windowSeconds
    }
}

/// Keeps, from poll to poll, an ``OffsetHistory`` for each partition's high watermark and each group's
/// committed offset on each partition, and turns them into rates.
///
/// The rules (also in the README):
/// - a rate is the offset's growth between the oldest sample less than the window old and the newest,
///   divided by the time between them; it needs two samples, so the first poll of a series has none;
/// - a series gets a rate only in a poll that observed it (a partition whose watermarks could not be
///   fetched, or a group whose offsets could not, has none in that poll; the next rate spans the gap);
/// - an offset that goes backwards (topic recreated, group rewound or reset) starts its history over;
/// - a series not observed for a whole window is forgotten, so deleted topics and groups that went away
///   free their memory, and a group that comes back after longer than the window starts afresh.
///
/// Pure: times come from the observation. A value: its owner (one ``ClusterHistory``) mutates it.
public struct RateTracker: Sendable {
    /// The window rates are averaged over, in seconds.
    public let windowSeconds: Double
    private var watermarks = PartitionMap<OffsetHistory>()
    private var committed: [String: PartitionMap<OffsetHistory>] = [:]

    /// Creates a tracker averaging over `windowSeconds`.
    public init(windowSeconds: Double) {
        precondition(windowSeconds > 0, "the rate window must be positive")
        self.windowSeconds = windowSeconds
    }

    /// Series currently tracked (partitions plus group partitions), for memory accounting.
    public var trackedSeries: Int {
        watermarks.count + committed.values.reduce(0) { $0 + $1.count }
    }

    /// Records one poll's offsets and returns the rates as of that poll.
    public mutating func record(_ observation: ClusterObservation) -> ObservedRates {
        var rates = ObservedRates(windowSeconds: windowSeconds)
        let producedAt = observation.watermarksObservedAt
        for (key, marks) in observation.watermarks {
            let sample = OffsetSample(time: producedAt, offset: marks.high)
            rates.produce[key] = Self.rate(after: sample, of: key, in: &watermarks, window: windowSeconds)
        }
        if let metadata = observation.metadata {
            let watched = Set(metadata.topics.map(\.name))
            let committedAt = observation.committedObservedAt
            for group in observation.groups where group.fetchError == nil {
                var groupRates = PartitionMap<Double>()
                for (key, offset) in group.committed where watched.contains(key.topic) {
                    guard let offset, offset >= 0 else { continue }
                    let sample = OffsetSample(time: committedAt, offset: offset)
                    groupRates[key] = Self.rate(
                        after: sample, of: key, in: &committed[group.name, default: PartitionMap()], window: windowSeconds)
                }
                if !groupRates.isEmpty { rates.consume[group.name] = groupRates }
            }
        }
        forget(before: observation.startedAt - windowSeconds)
        return rates
    }

    private static func rate(
        after sample: OffsetSample, of key: TopicPartition, in histories: inout PartitionMap<OffsetHistory>, window: Double
    ) -> Double? {
        let history = histories.update(key, or: started(with: sample, window: window)) { $0.record(sample, window: window) }
        return history?.rate
    }

    private static func started(with sample: OffsetSample, window: Double) -> OffsetHistory {
        var history = OffsetHistory()
        history.record(sample, window: window)
        return history
    }

    /// Drops series whose newest sample is older than `time`.
    private mutating func forget(before time: Double) {
        func stale(_ history: OffsetHistory) -> Bool { (history.lastTime ?? time) < time }
        watermarks.removeAll(where: stale)
        for (group, histories) in committed where histories.contains(where: stale) {
            var kept = histories
            kept.removeAll(where: stale)
            committed[group] = kept.isEmpty ? nil : kept
        }
    }
}
