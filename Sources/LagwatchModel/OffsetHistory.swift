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
/// before the last replaces the last, so at most ``resolution`` + 2 samples (16 bytes each) are kept, and
/// samples older than the window are dropped. An offset that does not move (an idle partition, a group
/// that is not consuming) keeps two samples: the start and the end of the run.
///
/// The history starts over, and so has no rate until the next sample, when the offset goes backwards (a
/// topic deleted and created again, a group that rewound, a truncated log) or when the clock does.
public struct OffsetHistory: Sendable, Hashable {
    /// How finely the window is sampled: at most this many intervals of `window / resolution` are kept.
    public static let resolution = 8

    /// Samples, oldest first.
    public private(set) var samples: [OffsetSample] = []

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
        let outcome = samples.appendMovingForward(sample, mergingWithin: window / Double(Self.resolution))
        guard outcome == .extended else { return outcome }
        let start = sample.time - window
        if let firstInside = samples.firstIndex(where: { $0.time >= start }), firstInside > 0 {
            let lastOutside = samples[firstInside - 1]
            samples.removeFirst(firstInside - 1)
            if lastOutside.offset == samples[1].offset {
                // The offset did not move from that sample to the next, so it was the same at the window's
                // start: keep it as a sample there, and the rate spans the whole window.
                samples[0].time = start
            } else {
                samples.removeFirst()
            }
        }
        return .extended
    }

    /// The average growth per second between the oldest sample within the window and the newest, or `nil`
    /// with fewer than two such samples.
    public var rate: Double? {
        guard samples.count >= 2, let first = samples.first, let last = samples.last else { return nil }
        return Double(last.offset - first.offset) / (last.time - first.time)
    }

    /// The time of the newest sample.
    public var lastTime: Double? { samples.last?.time }
}

extension [OffsetSample] {
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
            removeAll(keepingCapacity: true)
            append(sample)
            return sample.offset < last.offset ? .offsetWentBack : .clockWentBack
        }
        if count >= 2, self[count - 2].offset == sample.offset || sample.time - self[count - 2].time < spacing {
            self[count - 1] = sample
        } else {
            append(sample)
        }
        return .extended
    }
}
