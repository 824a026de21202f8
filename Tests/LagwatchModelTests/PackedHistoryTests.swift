import LagwatchModel
import Testing

/// ``OffsetHistory`` keeps its samples packed (8 bytes each, times to the millisecond, full samples when a
/// distance does not fit in 32 bits). These tests hold it to the plain rules it had with 16-byte samples:
/// a reference history on an array of samples, written here from the README's rules, sees the same samples
/// and the same rate after every record.
@Suite struct PackedHistoryTests {
    /// SplitMix64: a seeded sequence (the model's tests take no dependency on the test support module).
    struct Sequence: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// The rules on a plain array: merge by spacing against the sample before the last, start over on an
    /// offset or a time going back, drop what fell out of the window (keeping a standing offset at the
    /// window's start).
    struct ReferenceHistory {
        var samples: [OffsetSample] = []

        mutating func record(_ sample: OffsetSample, window: Double) {
            let spacing = window / Double(OffsetHistory.resolution)
            guard let last = samples.last else { return samples = [sample] }
            if sample.offset < last.offset || sample.time <= last.time { return samples = [sample] }
            if samples.count >= 2,
                samples[samples.count - 2].offset == sample.offset || sample.time - samples[samples.count - 2].time < spacing
            {
                samples[samples.count - 1] = sample
            } else {
                samples.append(sample)
            }
            let start = sample.time - window
            guard let inside = samples.firstIndex(where: { $0.time >= start }), inside > 0 else { return }
            let outside = samples[inside - 1]
            samples.removeFirst(inside - 1)
            if outside.offset == samples[1].offset { samples[0].time = start } else { samples.removeFirst() }
        }

        var rate: Double? {
            guard samples.count >= 2 else { return nil }
            return Double(samples.last!.offset - samples[0].offset) / (samples.last!.time - samples[0].time)
        }
    }

    /// Times on the millisecond grid (as the packed history keeps them, so both see the same times), offsets that mostly grow by a little,
    /// sometimes stand, sometimes jump by more than 32 bits hold, sometimes go back; the clock sometimes
    /// stands or goes back.
    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func packedAndPlainAgreeOnEverySampleAndRate(seed: UInt64) {
        var random = Sequence(state: seed)
        var packed = OffsetHistory()
        var plain = ReferenceHistory()
        var millis = 1_700_000_000_000 + Int64.random(in: 0..<1000, using: &random)
        var offset = Int64.random(in: 0..<(Int64(1) << 40), using: &random)
        let window = [60.0, 180, 300, 3600][Int(seed % 4)]
        var fullSeen = false
        for _ in 0..<2_000 {
            switch Int.random(in: 0..<100, using: &random) {
            case 0: offset += Int64(UInt32.max) + Int64.random(in: 1..<1_000_000, using: &random)
            case 1: offset = max(0, offset - Int64.random(in: 1..<1000, using: &random))
            case 2..<20: break
            default: offset += Int64.random(in: 0..<100_000, using: &random)
            }
            switch Int.random(in: 0..<100, using: &random) {
            case 0: millis -= 1_000
            case 1: break
            case 2: millis += Int64(window) * 2_000
            default: millis += Int64.random(in: 1_000..<30_000, using: &random)
            }
            let sample = OffsetSample(time: Double(millis) / 1000, offset: offset)
            packed.record(sample, window: window)
            plain.record(sample, window: window)
            #expect(packed.samples.count == plain.samples.count)
            for (a, b) in zip(packed.samples, plain.samples) {
                #expect(a.offset == b.offset)
                #expect(a.time == b.time)
            }
            #expect(packed.rate == plain.rate)
            if let first = plain.samples.first, let last = plain.samples.last, last.offset - first.offset > Int64(UInt32.max) {
                fullSeen = true
            }
        }
        #expect(fullSeen, "the run should include a history whose distances need full samples")
    }

    @Test func aResetBillionsOfOffsetsForwardKeepsAnExactRate() {
        var history = OffsetHistory()
        history.record(OffsetSample(time: 0, offset: 1_000), window: 60)
        history.record(OffsetSample(time: 15, offset: 1_000 + 10_000_000_000), window: 60)
        #expect(history.rate == 10_000_000_000.0 / 15)
        history.record(OffsetSample(time: 30, offset: 1_000 + 10_000_000_300), window: 60)
        #expect(history.samples.map(\.offset) == [1_000, 10_000_001_000, 10_000_001_300])
        // Once the jump is out of the window the history is small again and the rate is the new pace.
        for step in 3...8 { history.record(OffsetSample(time: Double(step) * 15, offset: 10_000_001_000 + Int64(step) * 300), window: 60) }
        #expect(history.rate == 20)
    }

    @Test func timesAreKeptToTheMillisecond() {
        var history = OffsetHistory()
        history.record(OffsetSample(time: 100.0004, offset: 0), window: 60)
        history.record(OffsetSample(time: 110.0006, offset: 100), window: 60)
        #expect(history.samples.map(\.time) == [100.0, 110.001])
    }

    @Test func aTimelineSpanningMoreThanFortyNineDaysKeepsItsTimesAndThinsAsBefore() {
        var timeline = WatermarkTimeline()
        // An idle partition for 60 days (its run keeps two ends), then a message an hour for two days.
        timeline.record(OffsetSample(time: 0, offset: 100), capacity: 8)
        timeline.record(OffsetSample(time: 60 * 86_400, offset: 100), capacity: 8)
        for hour in 1...48 {
            timeline.record(OffsetSample(time: 60 * 86_400 + Double(hour) * 3_600, offset: 100 + Int64(hour)), capacity: 8)
        }
        let points = timeline.points
        #expect(points.count == 8)
        #expect(points.first == OffsetSample(time: 0, offset: 100))
        #expect(points.last == OffsetSample(time: 62 * 86_400, offset: 148))
        // Offset 120's message was produced when the watermark reached 121, at hour 21: dated within the hour
        // the thinning left around it.
        let produced = timeline.productionTime(of: 120)
        #expect(produced.map { abs($0.time - (60 * 86_400 + 21 * 3_600)) < 3_600 } == true, "\(String(describing: produced))")
    }
}
