/// An offset as it was seen at a time.
public struct OffsetSample: Sendable, Hashable {
    /// When the offset was observed, in seconds (any clock that only moves forward between polls).
    public var time: Double
    /// The offset.
    public var offset: Int64

    /// Creates a sample.
    public init(time: Double, offset: Int64) {
        self.time = time
        self.offset = offset
    }
}

/// The recent samples of one offset that normally only grows (a partition's high watermark, or a group's
/// committed offset on a partition): enough to average its rate of growth over a window.
///
/// Memory is bounded whatever the poll interval: a sample less than `window / resolution` after the one
/// before the last replaces the last, so the samples two apart are at least that far apart and at most
/// 2 × ``resolution`` + 2 are kept; samples older than the window are dropped. An offset that does not
/// move (an idle partition, a group that is not consuming) keeps two samples: the start and the end of
/// the run. Samples are packed (``PackedOffsetSamples``): 8 bytes each, times to the millisecond.
///
/// The history starts over, and so has no rate until the next sample, when the offset goes backwards (a
/// topic deleted and created again, a group that rewound, a truncated log) or when the clock does.
public struct OffsetHistory: Sendable, Hashable {
    /// How finely the window is sampled: samples two apart are at least `window / resolution` apart.
    public static let resolution = 8

    private var storage = PackedOffsetSamples()

    /// Samples, oldest first, with their times as stored (to the millisecond).
    public var samples: [OffsetSample] { storage.all }

    /// Creates an empty history.
    public init() {}

    /// What recording a sample did to the history.
    public enum Outcome: Sendable, Hashable {
        /// The sample extended the history.
        case extended
        /// The history was empty; the sample starts it.
        case started
        /// The offset went backwards; the history starts over from the sample.
        case offsetWentBack
        /// The sample is not later than the last one; the history starts over from the sample.
        case clockWentBack
    }

    /// Adds a sample taken now and forgets what has fallen out of `window` seconds before it.
    @discardableResult
    public mutating func record(_ sample: OffsetSample, window: Double) -> Outcome {
        let sample = OffsetSample(time: PackedOffsetSamples.quantized(sample.time), offset: sample.offset)
        let outcome = storage.appendMovingForward(sample, mergingWithin: window / Double(Self.resolution))
        guard outcome == .extended else { return outcome }
        let start = PackedOffsetSamples.quantized(sample.time - window)
        var firstInside = 0
        while firstInside < storage.count && storage[firstInside].time < start { firstInside += 1 }
        if firstInside > 0 && firstInside < storage.count {
            let lastOutside = storage[firstInside - 1]
            storage.removeFirst(firstInside - 1)
            if lastOutside.offset == storage[1].offset {
                // The offset did not move from that sample to the next, so it was the same at the window's
                // start: keep it as a sample there, and the rate spans the whole window.
                storage.setFirstTime(start)
            } else {
                storage.removeFirst(1)
            }
        }
        return .extended
    }

    /// The average growth per second between the oldest sample within the window and the newest, or `nil`
    /// with fewer than two such samples.
    public var rate: Double? {
        guard storage.count >= 2, let first = storage.first, let last = storage.last else { return nil }
        return Double(last.offset - first.offset) / (last.time - first.time)
    }

    /// The time of the newest sample.
    public var lastTime: Double? { storage.last?.time }
}

/// Samples of an offset, oldest first, that ``appendMovingForward(_:mergingWithin:)`` extends: an array of
/// them (``WatermarkTimeline``) or a packed history (``OffsetHistory``).
protocol MovingForwardSamples {
    var count: Int { get }
    subscript(index: Int) -> OffsetSample { get }
    var last: OffsetSample? { get }
    mutating func append(_ sample: OffsetSample)
    mutating func replaceLast(with sample: OffsetSample)
    mutating func restart(with sample: OffsetSample)
}

extension [OffsetSample]: MovingForwardSamples {
    mutating func replaceLast(with sample: OffsetSample) { self[count - 1] = sample }

    mutating func restart(with sample: OffsetSample) {
        removeAll(keepingCapacity: true)
        append(sample)
    }
}

extension PackedOffsetSamples: MovingForwardSamples {}

extension MovingForwardSamples {
    /// Adds `sample` to the samples of an offset that normally only moves forward, oldest first: an offset
    /// or a time that goes backwards starts them over from `sample`; a sample whose offset equals the one
    /// before the last (a run that did not move), or that comes less than `spacing` seconds after it,
    /// replaces the last, so a run keeps only its two ends. Shared by ``OffsetHistory`` and
    /// ``WatermarkTimeline``.
    mutating func appendMovingForward(_ sample: OffsetSample, mergingWithin spacing: Double) -> OffsetHistory.Outcome {
        guard let last else {
            append(sample)
            return .started
        }
        if sample.offset < last.offset || sample.time <= last.time {
            restart(with: sample)
            return sample.offset < last.offset ? .offsetWentBack : .clockWentBack
        }
        if count >= 2, self[count - 2].offset == sample.offset || sample.time - self[count - 2].time < spacing {
            replaceLast(with: sample)
        } else {
            append(sample)
        }
        return .extended
    }
}
