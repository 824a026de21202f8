/// How a lag in seconds was estimated. Ordered from most to least trusted.
public enum LagTimeMethod: String, Sendable, Hashable, CaseIterable, Comparable {
    /// The timestamp of the record at the committed offset, read from the broker.
    case exact
    /// Between two observed (time, high watermark) points of the partition.
    case interpolation
    /// Before the oldest observed point, at the history's average produce rate (bounded: never further back
    /// than the history's own span).
    case extrapolation

    public static func < (lhs: LagTimeMethod, rhs: LagTimeMethod) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// A lag in seconds and how it was estimated.
public struct LagTime: Sendable, Hashable {
    /// Seconds since the first unconsumed message was produced; 0 when nothing is unconsumed.
    public var seconds: Double
    /// How the production time of that message was estimated.
    public var method: LagTimeMethod

    /// Creates a lag time.
    public init(seconds: Double, method: LagTimeMethod) {
        self.seconds = seconds
        self.method = method
    }
}

/// One partition's high watermark over as long a span as a fixed number of points allows: the lookup
/// table that turns a committed offset into the time its next message was produced.
///
/// Each poll adds a point; a run of polls in which the watermark did not move keeps only its two ends.
/// When the table is full, the interior point whose removal changes the interpolated times least,
/// relative to their age, is dropped; so recent history stays fine-grained, old history is thinned, and
/// the oldest point is kept, stretching the span. Memory: at most `capacity` points of 8 bytes (packed, see
/// ``PackedOffsetSamples``; 16 once the span passes 49 days).
public struct WatermarkTimeline: Sendable, Hashable {
    /// Points, oldest first; offsets never decrease.
    private var storage = PackedOffsetSamples()

    /// Points, oldest first; offsets never decrease. Times are kept to the millisecond.
    public var points: [OffsetSample] { storage.all }

    /// How many points are held.
    public var pointCount: Int { storage.count }

    static func started(with sample: OffsetSample, capacity: Int) -> WatermarkTimeline {
        var timeline = WatermarkTimeline()
        // Room for a full timeline and the point added before the thinning removes one.
        timeline.storage.reserve(samples: capacity + 1)
        timeline.record(sample, capacity: capacity)
        return timeline
    }

    /// Creates an empty timeline.
    public init() {}

    /// Adds the watermark seen at a time. An offset or a time going backwards (a recreated topic, a clock
    /// step) starts the timeline over.
    public mutating func record(_ sample: OffsetSample, capacity: Int) {
        precondition(capacity >= 3, "a timeline needs room for at least three points")
        // Every poll is a point (no spacing): the thinning below decides what to keep.
        let sample = OffsetSample(time: PackedOffsetSamples.quantized(sample.time), offset: sample.offset)
        guard storage.appendMovingForward(sample, mergingWithin: 0) == .extended else { return }
        if storage.count > capacity { storage.remove(at: leastUsefulInteriorPoint()) }
    }

    /// The interior point whose removal moves the interpolated time of its own offset least, relative to
    /// that point's age.
    private func leastUsefulInteriorPoint() -> Int {
        let now = storage[storage.count - 1].time
        var best = 1
        var bestCost = Double.infinity
        for index in 1..<(storage.count - 1) {
            let before = storage[index - 1]
            let point = storage[index]
            let after = storage[index + 1]
            let error: Double
            if after.offset == before.offset {
                error = 0
            } else {
                let fraction = Double(point.offset - before.offset) / Double(after.offset - before.offset)
                error = abs(point.time - (before.time + fraction * (after.time - before.time)))
            }
            let cost = error / max(now - point.time, 1)
            if cost < bestCost {
                bestCost = cost
                best = index
            }
        }
        return best
    }

    /// When the message at `offset` was produced: the time the high watermark reached `offset + 1`.
    /// `nil` when that is before the oldest point by more than the timeline's span (or the timeline is too
    /// short to extrapolate), rather than a guess.
    public func productionTime(of offset: Int64) -> (time: Double, method: LagTimeMethod)? {
        let target = offset + 1
        guard let first = storage.first, let last = storage.last, target <= last.offset else { return nil }
        if target > first.offset {
            // Binary search for the first point at or past the target; the one before it is below.
            var low = 1
            var high = storage.count - 1
            while low < high {
                let middle = (low + high) / 2
                if storage[middle].offset >= target { high = middle } else { low = middle + 1 }
            }
            let before = storage[low - 1]
            let after = storage[low]
            let fraction = Double(target - before.offset) / Double(after.offset - before.offset)
            return (before.time + fraction * (after.time - before.time), .interpolation)
        }
        let span = last.time - first.time
        guard span > 0, last.offset > first.offset else { return nil }
        let rate = Double(last.offset - first.offset) / span
        let back = Double(first.offset - target) / rate
        guard back <= span else { return nil }
        return (first.time - back, .extrapolation)
    }

    /// The lag in seconds at `now` of a group whose committed offset is `committed`, given the latest
    /// high watermark; `nil` when the production time cannot be estimated (see ``productionTime(of:)``).
    public func lagTime(committed: Int64, highWatermark: Int64, now: Double) -> LagTime? {
        guard committed < highWatermark else { return LagTime(seconds: 0, method: .interpolation) }
        guard let produced = productionTime(of: committed) else { return nil }
        return LagTime(seconds: max(0, now - produced.time), method: produced.method)
    }
}

/// The ``WatermarkTimeline`` of every watched partition, fed poll after poll. A value: its owner (one
/// ``ClusterHistory``) mutates it.
public struct WatermarkTimelines: Sendable {
    /// Points kept per partition.
    public let capacity: Int
    private var timelines = PartitionMap<WatermarkTimeline>()

    /// Creates empty timelines of `capacity` points each (at least 3).
    public init(capacity: Int) {
        precondition(capacity >= 3, "a timeline needs room for at least three points")
        self.capacity = capacity
    }

    /// The timeline of a partition, if it has one.
    public subscript(_ key: TopicPartition) -> WatermarkTimeline? { timelines[key] }

    /// Points held over all partitions (8 bytes each, packed), for memory accounting.
    public var pointCount: Int { timelines.values.reduce(0) { $0 + $1.pointCount } }

    /// Adds this poll's watermarks. A partition missing from a successful poll's metadata (its topic was
    /// deleted or filtered out) loses its timeline; one whose leader did not answer keeps it.
    public mutating func record(_ observation: ClusterObservation) {
        let time = observation.watermarksObservedAt
        for (key, marks) in observation.watermarks {
            let sample = OffsetSample(time: time, offset: marks.high)
            _ = timelines.update(key, or: WatermarkTimeline.started(with: sample, capacity: capacity)) {
                $0.record(sample, capacity: capacity)
            }
        }
        guard let metadata = observation.metadata, timelines.count > observation.watermarks.count else { return }
        let known = metadata.partitionKeys
        timelines.removeAll { key, _ in !known.contains(key) }
    }
}
