import Foundation
import LagwatchModel
import Testing

/// Feeds a timeline the watermark `produced(t)` (messages produced by time t) polled every `interval`
/// seconds from 0 to `until`.
private func timeline(
    capacity: Int = 32,
    interval: Double = 15,
    until: Double,
    produced: (Double) -> Int64
) -> WatermarkTimeline {
    var timeline = WatermarkTimeline()
    for time in stride(from: 0.0, through: until, by: interval) {
        timeline.record(OffsetSample(time: time, offset: produced(time)), capacity: capacity)
    }
    return timeline
}

@Suite struct WatermarkTimelineTests {
    @Test func interpolationIsExactOnASteadyRate() throws {
        // 10 messages/s: message k is produced when the watermark reaches k + 1, at (k + 1) / 10 s.
        let line = timeline(until: 600) { Int64($0 * 10) }
        for committed in stride(from: Int64(0), to: 6000, by: 37) {
            let lag = try #require(line.lagTime(committed: committed, highWatermark: 6000, now: 600))
            #expect(lag.method == .interpolation)
            #expect(abs(lag.seconds - (600 - Double(committed + 1) / 10)) < 1e-9, "committed \(committed)")
        }
    }

    @Test func noLagIsZeroSecondsWhateverTheHistory() {
        let empty = WatermarkTimeline()
        #expect(empty.lagTime(committed: 500, highWatermark: 500, now: 10) == LagTime(seconds: 0, method: .interpolation))
        #expect(empty.lagTime(committed: 499, highWatermark: 500, now: 10) == nil)
    }

    @Test func burstsAreDatedToWithinOnePollInterval() throws {
        // 150 messages at once half a second into each 15 s interval; polls see only the steps.
        let burstTime: (Int64) -> Double = { offset in Double(offset / 150) * 15 + 0.5 }
        let line = timeline(until: 900) { time in Int64((time - 0.5) / 15 + 1) * 150 }
        let high = line.points.last!.offset
        for committed in stride(from: Int64(0), to: high, by: 11) {
            let lag = try #require(line.lagTime(committed: committed, highWatermark: high, now: 900))
            let truth = 900 - burstTime(committed)
            #expect(abs(lag.seconds - truth) < 15, "committed \(committed): \(lag.seconds) vs \(truth)")
        }
    }

    @Test func aFullTimelineThinsOldPointsAndKeepsTheOldestAndRecentOnes() throws {
        // Eight hours of a rate that swings between 5 and 15 messages/s over an hour, polled every 15 s
        // (1,921 points offered to 32).
        let produced: (Double) -> Int64 = { t in Int64(10 * t + 5 * 600 / Double.pi * (1 - cos(Double.pi * t / 600))) }
        let line = timeline(capacity: 32, until: 28_800, produced: produced)
        #expect(line.points.count == 32)
        #expect(line.points.first!.time == 0)
        #expect(line.points.last!.time == 28_800)
        // The newest interval keeps its resolution.
        #expect(line.points[line.points.count - 2].time >= 28_800 - 30)
        // Each lag, dated by bisection on the true watermark, is estimated within 5% of itself.
        var errors: [Double] = []
        let high: Int64 = produced(28_800)
        for committed in (0..<500).map({ Int64($0) * high / 500 }) {
            var low = 0.0
            var up = 28_800.0
            for _ in 0..<60 {
                let middle = (low + up) / 2
                if produced(middle) >= committed + 1 { up = middle } else { low = middle }
            }
            let truth = 28_800 - up
            guard truth > 60 else { continue }
            let lag = try #require(line.lagTime(committed: committed, highWatermark: high, now: 28_800))
            errors.append(abs(lag.seconds - truth) / truth)
        }
        errors.sort()
        #expect(errors[errors.count / 2] < 0.01, "median relative error \(errors[errors.count / 2])")
        #expect(errors.last! < 0.05, "largest relative error \(errors.last!)")
    }

    @Test func extrapolatesBeforeTheOldestPointNoFurtherThanTheSpan() throws {
        // Lagwatch started at t = 1000 on a partition written at 10 messages/s since t = 0.
        var line = WatermarkTimeline()
        for time in stride(from: 1000.0, through: 1300, by: 15) {
            line.record(OffsetSample(time: time, offset: Int64(time * 10)), capacity: 32)
        }
        // 100 s before the first point: within the 300 s span.
        let near = try #require(line.lagTime(committed: 8_999, highWatermark: 13_000, now: 1300))
        #expect(near.method == .extrapolation)
        #expect(abs(near.seconds - 400) < 1e-9)
        // 301 s before the first point: beyond the span, so unknown rather than guessed.
        #expect(line.lagTime(committed: 6_989, highWatermark: 13_000, now: 1300) == nil)
    }

    @Test func oneOrTwoIdlePointsCannotExtrapolate() {
        var line = WatermarkTimeline()
        line.record(OffsetSample(time: 0, offset: 500), capacity: 8)
        #expect(line.lagTime(committed: 100, highWatermark: 500, now: 0) == nil)
        line.record(OffsetSample(time: 15, offset: 500), capacity: 8)
        #expect(line.lagTime(committed: 100, highWatermark: 500, now: 15) == nil)
    }

    @Test func idleRunsKeepTheirTwoEndsSoTheNextMessageIsDatedAfterThem() throws {
        var line = WatermarkTimeline()
        line.record(OffsetSample(time: 0, offset: 0), capacity: 8)
        for time in stride(from: 15.0, through: 600, by: 15) { line.record(OffsetSample(time: time, offset: 100), capacity: 8) }
        line.record(OffsetSample(time: 615, offset: 250), capacity: 8)
        #expect(line.points.map(\.time) == [0, 15, 600, 615])
        // Message 100 was produced after t = 600 (the watermark was still 100 then).
        let lag = try #require(line.lagTime(committed: 100, highWatermark: 250, now: 615))
        #expect(lag.seconds < 15)
    }

    @Test func aRecreatedTopicStartsTheTimelineOver() {
        var line = WatermarkTimeline()
        for time in stride(from: 0.0, through: 150, by: 15) { line.record(OffsetSample(time: time, offset: Int64(time) * 10), capacity: 8) }
        line.record(OffsetSample(time: 165, offset: 3), capacity: 8)
        #expect(line.points == [OffsetSample(time: 165, offset: 3)])
    }

    @Test func timelinesOfDeletedTopicsAreDroppedAndOfSilentLeadersKept() {
        var timelines = WatermarkTimelines(capacity: 8)
        func observation(at time: Double, topics: [String], marks: [String]) -> ClusterObservation {
            let metadata = ClusterMetadata(
                brokers: [], controllerID: 1,
                topics: topics.map { TopicMetadata(name: $0, partitions: [PartitionMetadata(partition: 0, leader: 1, replicas: [1], inSyncReplicas: [1])]) })
            var watermarks: PartitionMap<Watermarks> = [:]
            for topic in marks { watermarks[TopicPartition(topic, 0)] = Watermarks(low: 0, high: Int64(time)) }
            return ClusterObservation(
                clusterName: "c", metadata: metadata, watermarks: watermarks, groups: [], discovery: .disabled,
                stageErrors: [:], startedAt: time, durationSeconds: 0)
        }
        timelines.record(observation(at: 10, topics: ["a", "b", "c"], marks: ["a", "b", "c"]))
        timelines.record(observation(at: 20, topics: ["a", "b"], marks: ["a"]))
        #expect(timelines[TopicPartition("a", 0)]?.points.count == 2)
        #expect(timelines[TopicPartition("b", 0)]?.points.count == 1)
        #expect(timelines[TopicPartition("c", 0)] == nil)
        #expect(timelines.pointCount == 3)
    }

    @Test func snapshotDatesEachPartitionAndTakesMaximaOnlyOverKnownOnes() throws {
        // Topic t, partitions 0–2, written at 10 messages/s from t = 1000 s; lagwatch polled it since then.
        var history = ClusterHistory()
        func observation(at time: Double, committed: [Int32: Int64]) -> ClusterObservation {
            let topic = TopicMetadata(
                name: "t",
                partitions: (0..<3).map { PartitionMetadata(partition: $0, leader: 1, replicas: [1], inSyncReplicas: [1]) })
            var marks: PartitionMap<Watermarks> = [:]
            for partition in Int32(0)..<3 { marks[TopicPartition("t", partition)] = Watermarks(low: 0, high: Int64(time * 10)) }
            var offsets: PartitionMap<Int64?> = [:]
            for (partition, offset) in committed { offsets[TopicPartition("t", partition)] = offset }
            var observation = ClusterObservation(
                clusterName: "c",
                metadata: ClusterMetadata(brokers: [Broker(id: 1, host: "h", port: 1)], controllerID: 1, topics: [topic]),
                watermarks: marks, groups: [GroupObservation(name: "g", committed: offsets)], discovery: .disabled,
                stageErrors: [:], startedAt: time - 1, durationSeconds: 1)
            observation.observedAt[.watermarks] = time
            return observation
        }
        for time in stride(from: 1000.0, to: 1300, by: 15) { _ = history.advance(observation(at: time, committed: [:])) }
        // At 1300: p0 caught up, p1 read up to 30 s ago, p2 up to 350 s ago (extrapolated: within the span).
        let now = observation(at: 1300, committed: [0: 13_000, 1: 12_699, 2: 9_499])
        let group = try #require(history.advance(now).groups.first)
        let partitions = group.topics[0].partitions
        #expect(partitions[0].lagTime == LagTime(seconds: 0, method: .interpolation))
        #expect(abs(partitions[1].lagTime!.seconds - 30) < 1e-6 && partitions[1].lagTime!.method == .interpolation)
        #expect(abs(partitions[2].lagTime!.seconds - 350) < 1e-6 && partitions[2].lagTime!.method == .extrapolation)
        #expect(group.topics[0].maxLagTime?.method == .extrapolation)
        #expect(abs(group.maxLagTime!.seconds - 350) < 1e-6)
        #expect(group.partitionsWithoutLagTime == 0)

        // Further back than the history can date: unknown, counted, and the maxima are withheld.
        let old = observation(at: 1315, committed: [0: 13_150, 1: 100])
        let withUnknown = try #require(history.advance(old).groups.first)
        #expect(withUnknown.topics[0].partitions[1].lagTime == nil)
        #expect(withUnknown.topics[0].partitions[1].lag == 13_050)
        #expect(withUnknown.partitionsWithoutLagTime == 1)
        #expect(withUnknown.topics[0].maxLagTime == nil)
        #expect(withUnknown.maxLagTime == nil)
    }
}
