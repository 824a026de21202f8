import LagwatchModel
import Testing

/// One poll of topic `t` (partitions 0..<partitions) at time `at`: high watermarks by partition, and
/// groups' committed offsets by partition. A group named in `failed` could not be fetched.
private func poll(
    at time: Double,
    partitions: Int32 = 2,
    highs: [Int32: Int64],
    committed: [String: [Int32: Int64?]] = [:],
    failed: Set<String> = [],
    metadata: Bool = true
) -> ClusterObservation {
    let topic = TopicMetadata(
        name: "t",
        partitions: (0..<partitions).map { PartitionMetadata(partition: $0, leader: 1, replicas: [1], inSyncReplicas: [1]) })
    var marks: PartitionMap<Watermarks> = [:]
    for (partition, high) in highs { marks[TopicPartition("t", partition)] = Watermarks(low: 0, high: high) }
    var groups = committed.map { name, offsets in
        var byKey: PartitionMap<Int64?> = [:]
        for (partition, offset) in offsets { byKey[TopicPartition("t", partition)] = offset }
        return GroupObservation(name: name, committed: byKey)
    }
    groups += failed.map { GroupObservation(name: $0, committed: [:], fetchError: "timed out") }
    var observation = ClusterObservation(
        clusterName: "c",
        metadata: metadata ? ClusterMetadata(brokers: [Broker(id: 1, host: "h", port: 9092)], controllerID: 1, topics: [topic]) : nil,
        watermarks: metadata ? marks : [:], groups: metadata ? groups : [], discovery: .disabled, stageErrors: [:],
        startedAt: time, durationSeconds: 0.5)
    // Stages see their data a little after the poll starts, as in a real poll (binary fractions keep rates exact).
    observation.observedAt = [.committedOffsets: time + 0.125, .watermarks: time + 0.25]
    return observation
}

private let p0 = TopicPartition("t", 0)
private let p1 = TopicPartition("t", 1)

@Suite struct OffsetHistoryTests {
    @Test func rateIsExactOnSteadyGrowth() {
        var history = OffsetHistory()
        for step in 0..<40 {
            history.record(OffsetSample(time: 1000 + Double(step) * 15, offset: Int64(step) * 750), window: 300)
        }
        #expect(history.rate == 50)
    }

    @Test func oneSampleHasNoRate() {
        var history = OffsetHistory()
        #expect(history.record(OffsetSample(time: 1, offset: 5), window: 60) == .started)
        #expect(history.rate == nil)
    }

    @Test func memoryStaysBoundedWhateverThePollInterval() {
        var history = OffsetHistory()
        // One-second polls for an hour under a five-minute window: 3,600 samples offered.
        for second in 0..<3600 {
            history.record(OffsetSample(time: Double(second), offset: Int64(second) * 3), window: 300)
            #expect(history.samples.count <= OffsetHistory.resolution + 2)
        }
        #expect(history.rate == 3)
        // The span is close to the window: within one spacing (window / resolution) of it.
        let span = history.samples.last!.time - history.samples.first!.time
        #expect(span <= 300 && span >= 300 - 300 / Double(OffsetHistory.resolution) - 1, "span \(span)")
    }

    @Test func anIdleOffsetKeepsTwoSamplesAndARateOfZeroOverTheWholeWindow() throws {
        var history = OffsetHistory()
        for step in 0..<100 { history.record(OffsetSample(time: Double(step) * 15, offset: 42), window: 300) }
        #expect(history.samples.count == 2)
        #expect(history.rate == 0)
        #expect(history.samples.last!.time - history.samples.first!.time == 300)
    }

    @Test func anOffsetThatStartsMovingAfterAnIdleSpellIsAveragedOverTheWholeWindow() throws {
        var history = OffsetHistory()
        // Idle at 1,000 for ten minutes, then 20/s for the last minute: 1,200 messages in the 5-minute window.
        for step in 0...40 { history.record(OffsetSample(time: Double(step) * 15, offset: 1000), window: 300) }
        for step in 1...4 {
            history.record(OffsetSample(time: 600 + Double(step) * 15, offset: 1000 + Int64(step) * 300), window: 300)
        }
        #expect(history.rate == 4)
    }

    @Test func rateAveragesOverTheWindowOnly() {
        var history = OffsetHistory()
        // 100/s for ten minutes, then 10/s for the last five: a 5-minute window sees only the slow part.
        var offset: Int64 = 0
        for step in 1...60 {
            offset += step <= 40 ? 1500 : 150
            history.record(OffsetSample(time: Double(step) * 15, offset: offset), window: 300)
        }
        #expect(history.rate == 10)
    }

    @Test func offsetGoingBackStartsOver() {
        var history = OffsetHistory()
        history.record(OffsetSample(time: 0, offset: 1000), window: 60)
        history.record(OffsetSample(time: 15, offset: 2000), window: 60)
        #expect(history.record(OffsetSample(time: 30, offset: 10), window: 60) == .offsetWentBack)
        #expect(history.rate == nil)
        history.record(OffsetSample(time: 45, offset: 160), window: 60)
        #expect(history.rate == 10)
    }

    @Test func clockGoingBackStartsOver() {
        var history = OffsetHistory()
        history.record(OffsetSample(time: 100, offset: 0), window: 60)
        history.record(OffsetSample(time: 115, offset: 150), window: 60)
        #expect(history.record(OffsetSample(time: 90, offset: 300), window: 60) == .clockWentBack)
        #expect(history.rate == nil)
    }

    @Test func aGapLongerThanTheWindowLeavesNoRate() {
        var history = OffsetHistory()
        history.record(OffsetSample(time: 0, offset: 0), window: 60)
        history.record(OffsetSample(time: 15, offset: 150), window: 60)
        history.record(OffsetSample(time: 200, offset: 2000), window: 60)
        #expect(history.rate == nil)
        #expect(history.samples.count == 1)
    }
}

@Suite struct RateTrackerTests {
    @Test func firstPollHasNoRatesAndTheSecondHasExactOnes() {
        var tracker = RateTracker(windowSeconds: 60)
        let first = tracker.record(poll(at: 0, highs: [0: 100, 1: 0], committed: ["g": [0: 50]]))
        #expect(first.produce.isEmpty)
        #expect(first.consume.isEmpty)
        let second = tracker.record(poll(at: 10, highs: [0: 600, 1: 20], committed: ["g": [0: 250]]))
        #expect(second.produce == [p0: 50, p1: 2])
        #expect(second.consume == ["g": [p0: 20]])
    }

    @Test func ratesUseTheTimeEachStageSawItsData() {
        var tracker = RateTracker(windowSeconds: 60)
        var early = poll(at: 0, highs: [0: 0])
        early.observedAt[.watermarks] = 4  // a slow first stage: watermarks seen 4 s into the poll
        _ = tracker.record(early)
        var late = poll(at: 10, highs: [0: 800])
        late.observedAt[.watermarks] = 12
        #expect(tracker.record(late).produce[p0] == 100)
    }

    @Test func aPartitionAddedGetsItsRateOnePollLaterAndTheTopicSumWaitsForIt() {
        var tracker = RateTracker(windowSeconds: 60)
        _ = tracker.record(poll(at: 0, partitions: 1, highs: [0: 0]))
        let added = tracker.record(poll(at: 10, highs: [0: 100, 1: 0]))
        #expect(added.produce == [p0: 10])
        let later = tracker.record(poll(at: 20, highs: [0: 200, 1: 30]))
        #expect(later.produce == [p0: 10, p1: 3])

        // The same polls through the history: the snapshot carries the rates, and the topic's sum waits.
        var history = ClusterHistory(settings: settings(rateWindowSeconds: 60))
        _ = history.advance(poll(at: 0, partitions: 1, highs: [0: 0]))
        let snapshot = history.advance(poll(at: 10, highs: [0: 100, 1: 0]))
        #expect(snapshot.topics[0].partitions.map(\.produceRate) == [10, nil])
        #expect(snapshot.topics[0].produceRate == nil)
        let whole = history.advance(poll(at: 20, highs: [0: 200, 1: 30]))
        #expect(whole.topics[0].produceRate == 13)
    }

    @Test func aRecreatedTopicStartsItsRatesOver() {
        var tracker = RateTracker(windowSeconds: 60)
        _ = tracker.record(poll(at: 0, highs: [0: 5000, 1: 5000], committed: ["g": [0: 4000]]))
        _ = tracker.record(poll(at: 10, highs: [0: 6000, 1: 6000], committed: ["g": [0: 5000]]))
        // Deleted and created again: offsets restart from 0, and the group's old commits are gone too.
        let recreated = tracker.record(poll(at: 20, highs: [0: 40, 1: 0], committed: ["g": [0: 20]]))
        #expect(recreated.produce.isEmpty)
        #expect(recreated.consume.isEmpty)
        let next = tracker.record(poll(at: 30, highs: [0: 140, 1: 50], committed: ["g": [0: 70]]))
        #expect(next.produce == [p0: 10, p1: 5])
        #expect(next.consume == ["g": [p0: 5]])
    }

    @Test func aRewindingGroupLosesItsRateForOnePollOnly() {
        var tracker = RateTracker(windowSeconds: 60)
        _ = tracker.record(poll(at: 0, highs: [0: 1000], committed: ["g": [0: 900], "h": [0: 500]]))
        let rewound = tracker.record(poll(at: 10, highs: [0: 1100], committed: ["g": [0: 100], "h": [0: 600]]))
        #expect(rewound.consume["g"] == nil)
        #expect(rewound.consume["h"] == [p0: 10])
        let after = tracker.record(poll(at: 20, highs: [0: 1200], committed: ["g": [0: 400], "h": [0: 700]]))
        #expect(after.consume["g"] == [p0: 30])
    }

    @Test func aFailedPollInBetweenIsSpannedByTheNextRate() {
        var tracker = RateTracker(windowSeconds: 60)
        _ = tracker.record(poll(at: 0, highs: [0: 0, 1: 0], committed: ["g": [0: 0]]))
        // The cluster is down: no metadata, no watermarks, no groups.
        let down = tracker.record(poll(at: 10, highs: [:], metadata: false))
        #expect(down.produce.isEmpty && down.consume.isEmpty)
        // One leader does not answer and the group's offsets time out.
        let partial = tracker.record(poll(at: 20, highs: [0: 400], failed: ["g"]))
        #expect(partial.produce == [p0: 20])
        #expect(partial.consume.isEmpty)
        let back = tracker.record(poll(at: 30, highs: [0: 600, 1: 90], committed: ["g": [0: 300]]))
        #expect(back.produce == [p0: 20, p1: 3])
        #expect(back.consume == ["g": [p0: 10]])
    }

    @Test func aGroupThatComesBackWithinTheWindowHasARateAcrossTheGap() {
        var tracker = RateTracker(windowSeconds: 60)
        _ = tracker.record(poll(at: 0, highs: [0: 0], committed: ["g": [0: 0]]))
        _ = tracker.record(poll(at: 10, highs: [0: 100]))  // g not listed
        _ = tracker.record(poll(at: 20, highs: [0: 200]))
        let back = tracker.record(poll(at: 30, highs: [0: 300], committed: ["g": [0: 150]]))
        #expect(back.consume == ["g": [p0: 5]])
    }

    @Test func aGroupGoneLongerThanTheWindowIsForgottenAndStartsAfresh() {
        var tracker = RateTracker(windowSeconds: 30)
        _ = tracker.record(poll(at: 0, highs: [0: 0], committed: ["g": [0: 0]]))
        _ = tracker.record(poll(at: 10, highs: [0: 100], committed: ["g": [0: 50]]))
        #expect(tracker.trackedSeries == 2)
        for time in stride(from: 20.0, through: 60, by: 10) { _ = tracker.record(poll(at: time, highs: [0: 100])) }
        #expect(tracker.trackedSeries == 1, "the group's history is freed")
        let back = tracker.record(poll(at: 70, highs: [0: 100], committed: ["g": [0: 9000]]))
        #expect(back.consume.isEmpty)
    }

    @Test func partitionsWithoutCommitAndUnwatchedTopicsAreNotTracked() {
        var tracker = RateTracker(windowSeconds: 60)
        var observation = poll(at: 0, highs: [0: 10, 1: 10], committed: ["g": [0: 5, 1: nil]])
        observation.groups[0].committed[TopicPartition("filtered-out", 0)] = 7
        _ = tracker.record(observation)
        #expect(tracker.trackedSeries == 3)
    }

    @Test func snapshotCarriesConsumeRatesAndTheirTopicSum() throws {
        var history = ClusterHistory(settings: settings(rateWindowSeconds: 60))
        _ = history.advance(poll(at: 0, highs: [0: 100, 1: 100], committed: ["g": [0: 0, 1: 0]]))
        let snapshot = history.advance(poll(at: 10, highs: [0: 100, 1: 100], committed: ["g": [0: 40, 1: 70]]))
        let topic = try #require(snapshot.groups.first?.topics.first)
        #expect(topic.partitions.map(\.consumeRate) == [4, 7])
        #expect(topic.consumeRate == 11)
        #expect(snapshot.rateWindowSeconds == 60)
        #expect(snapshot.topics[0].produceRate == 0)
    }
}

/// The default analysis settings with another rate window.
private func settings(rateWindowSeconds: Double) -> AnalysisSettings {
    var settings = AnalysisSettings()
    settings.rateWindowSeconds = rateWindowSeconds
    return settings
}
