import LagwatchModel
import Testing

/// One poll of group `g` on partition t/0: (committed offset, lag), `nil` when the poll did not see it.
private typealias Poll = (committed: Int64, lag: Int64)?

/// Runs `polls` through a tracker with a window of `window` polls and returns the status after each.
private func statuses(
    _ polls: [Poll],
    window: Int = 4,
    minLag: Int64 = 0,
    members: Int? = nil,
    behindLogStartAt: Set<Int> = []
) -> [ConsumerStatus?] {
    var tracker = StatusTracker(window: window, minLag: minLag)
    var result: [ConsumerStatus?] = []
    for (index, poll) in polls.enumerated() {
        let partitions = poll.map {
            [PartitionLag(partition: 0, committed: $0.committed, lag: $0.lag, behindLogStart: behindLogStartAt.contains(index))]
        } ?? [PartitionLag(partition: 0, committed: 0, lag: nil, behindLogStart: false)]
        var snapshot = ClusterSnapshot(
            clusterName: "c", up: true, brokers: [], controllerID: 1, topics: [],
            groups: [
                GroupLag(
                    name: "g", state: nil, memberCount: members, topics: [GroupTopicLag(topic: "t", partitions: partitions)],
                    partitionsWithoutCommit: 0, partitionsBehindLogStart: 0, fetchError: nil)
            ],
            discovery: .disabled, stageErrors: [:], partitionsWithoutWatermarks: 0, pollStartedAt: Double(index),
            pollDurationSeconds: 0, counters: PollCounters())
        tracker.judge(&snapshot)
        result.append(snapshot.groups[0].topics[0].partitions[0].status)
    }
    return result
}

@Suite struct StatusTrackerTests {
    // MARK: STOP and STALL

    @Test func stopWhenTheOffsetStandsStillWithLagForAWholeWindow() {
        let polls: [Poll] = [(100, 5), (100, 10), (100, 15), (100, 20), (100, 25)]
        #expect(statuses(polls) == [.ok, .ok, .ok, .stop, .stop])
    }

    @Test func stallInsteadOfStopWhenTheGroupHasMembers() {
        let polls: [Poll] = [(100, 5), (100, 5), (100, 5), (100, 5)]
        #expect(statuses(polls, members: 3).last == .stall)
        #expect(statuses(polls, members: 0).last == .stop)
    }

    @Test func noStopWhenLagWasZeroOnceInTheWindowOrTheOffsetMoved() {
        // An idle topic read to the end: the offset stands still with no lag.
        #expect(statuses([(100, 0), (100, 0), (100, 0), (100, 0), (100, 0)]).allSatisfy { $0 == .ok })
        // Lag touched 0 two polls ago.
        #expect(statuses([(100, 3), (100, 0), (100, 3), (100, 3), (100, 3)]).last == .ok)
        // The offset moved one poll ago.
        #expect(statuses([(90, 5), (90, 5), (90, 5), (100, 5), (100, 5)]).last == .ok)
    }

    @Test func aLagUpToTheThresholdCountsAsCaughtUp() {
        let idle: [Poll] = [(100, 3), (100, 3), (100, 3), (100, 3), (100, 3)]
        #expect(statuses(idle, minLag: 3).allSatisfy { $0 == .ok })
        #expect(statuses(idle, minLag: 2).last == .stop)
        let growing: [Poll] = [(100, 2), (110, 4), (120, 6), (130, 8)]
        #expect(statuses(growing, minLag: 5).last == .ok, "only two polls above the threshold")
        #expect(statuses(growing, minLag: 1).last == .warn)
    }

    @Test func stopClearsAsSoonAsTheOffsetMoves() {
        let polls: [Poll] = [(100, 5), (100, 5), (100, 5), (100, 5), (104, 1)]
        #expect(statuses(polls).suffix(2) == [.stop, .ok])
    }

    @Test func pollsThatDidNotSeeThePartitionDoNotCount() {
        let polls: [Poll] = [(100, 5), nil, (100, 5), nil, (100, 5), (100, 5)]
        #expect(statuses(polls) == [.ok, nil, .ok, nil, .ok, .stop])
    }

    // MARK: WARN

    @Test func warnWhenLagGrowsAcrossTheWindowWhileCommitsAdvance() {
        let polls: [Poll] = [(100, 50), (110, 60), (120, 60), (130, 75), (140, 90)]
        #expect(statuses(polls) == [.ok, .ok, .ok, .warn, .warn])
    }

    @Test func noWarnWhenLagFellOnceOrNeverGrewOrCommitsStopped() {
        // Fell once within the window.
        #expect(statuses([(100, 50), (110, 60), (120, 55), (130, 70), (140, 80)]).last == .ok)
        // Constant lag: the consumer keeps pace.
        #expect(statuses([(100, 50), (110, 50), (120, 50), (130, 50), (140, 50)]).last == .ok)
        // Lag grows but the offset is frozen: that is STOP, not WARN.
        #expect(statuses([(100, 50), (100, 60), (100, 70), (100, 80)]).last == .stop)
        // The window is not full yet.
        #expect(statuses([(100, 50), (110, 60), (120, 70)]).last == .ok)
    }

    // MARK: REWIND

    @Test func rewindWhileTheStepBackIsInTheWindow() {
        let polls: [Poll] = [(500, 5), (510, 5), (200, 315), (220, 300), (240, 290), (260, 270), (280, 250)]
        // The step back is the transition into poll 2; with 4 polls it stays in the window for 3 polls.
        #expect(statuses(polls) == [.ok, .ok, .rewind, .rewind, .rewind, .ok, .ok])
    }

    @Test func noRewindWhenOffsetsOnlyGrowOrRepeat() {
        #expect(statuses([(100, 0), (100, 0), (150, 0), (150, 0), (200, 0)]).allSatisfy { $0 == .ok })
    }

    // MARK: ERR

    @Test func errWhileTheCommittedOffsetIsBelowTheLogStart() {
        let polls: [Poll] = [(100, 900), (100, 900), (1000, 0)]
        #expect(statuses(polls, behindLogStartAt: [0, 1]) == [.err, .err, .ok])
    }

    @Test func errOutranksEverythingAndTheGroupTakesTheWorst() {
        #expect(ConsumerStatus.allCases.sorted() == [.ok, .warn, .rewind, .stall, .stop, .err])
        var group = GroupLag(
            name: "g", state: nil, memberCount: nil,
            topics: [
                GroupTopicLag(
                    topic: "t",
                    partitions: [
                        PartitionLag(partition: 0, committed: 1, lag: 0, behindLogStart: false),
                        PartitionLag(partition: 1, committed: 1, lag: 0, behindLogStart: false),
                        PartitionLag(partition: 2, committed: 1, lag: 0, behindLogStart: false),
                    ])
            ], partitionsWithoutCommit: 0, partitionsBehindLogStart: 0, fetchError: nil)
        #expect(group.status == .ok)
        group.topics[0].partitions[0].status = .warn
        group.topics[0].partitions[1].status = .stop
        group.topics[0].partitions[2].status = .warn
        #expect(group.status == .stop)
        #expect(group.partitionsByStatus == [.warn: 2, .stop: 1])
        group.fetchError = "timed out"
        #expect(group.status == nil)
    }

    // MARK: Memory

    @Test func groupPartitionsUnseenForAWindowAreForgotten() {
        var tracker = StatusTracker(window: 3)
        func poll(_ groups: [String]) {
            var snapshot = ClusterSnapshot(
                clusterName: "c", up: true, brokers: [], controllerID: 1, topics: [],
                groups: groups.map {
                    GroupLag(
                        name: $0, state: nil, memberCount: nil,
                        topics: [GroupTopicLag(topic: "t", partitions: [PartitionLag(partition: 0, committed: 1, lag: 1, behindLogStart: false)])],
                        partitionsWithoutCommit: 0, partitionsBehindLogStart: 0, fetchError: nil)
                },
                discovery: .disabled, stageErrors: [:], partitionsWithoutWatermarks: 0, pollStartedAt: 0,
                pollDurationSeconds: 0, counters: PollCounters())
            tracker.judge(&snapshot)
        }
        poll(["a", "b"])
        #expect(tracker.trackedPartitions == 2)
        for _ in 0..<3 { poll(["a"]) }
        #expect(tracker.trackedPartitions == 1)
    }
}

@Suite struct CatchUpTests {
    /// Group g on t/0, t/1… with the given lags, consume and produce rates (messages/s).
    private func group(lags: [Int64], consume: [Double?], produce: [Double?]) -> GroupLag {
        var committed: [TopicPartition: Int64?] = [:]
        var watermarks: [TopicPartition: Watermarks] = [:]
        var rates = ObservedRates(windowSeconds: 60)
        for (index, lag) in lags.enumerated() {
            let key = TopicPartition("t", Int32(index))
            committed[key] = 1000
            watermarks[key] = Watermarks(low: 0, high: 1000 + lag)
            rates.consume["g", default: [:]][key] = consume[index]
            rates.produce[key] = produce[index]
        }
        let topic = TopicMetadata(
            name: "t",
            partitions: lags.indices.map { PartitionMetadata(partition: Int32($0), leader: 1, replicas: [1], inSyncReplicas: [1]) })
        let observation = ClusterObservation(
            clusterName: "c", metadata: ClusterMetadata(brokers: [], controllerID: 1, topics: [topic]), watermarks: watermarks,
            groups: [GroupObservation(name: "g", committed: committed)], discovery: .disabled, stageErrors: [:],
            startedAt: 0, durationSeconds: 0)
        return SnapshotBuilder.build(observation, counters: PollCounters(), rates: rates).groups[0]
    }

    @Test func theSlowestLaggingPartitionDecides() {
        // 600 ÷ (30 − 10) = 30 s and 100 ÷ (20 − 15) = 20 s.
        #expect(group(lags: [600, 100], consume: [30, 20], produce: [10, 15]).catchUpSeconds == 30)
    }

    @Test func zeroWithoutLagEvenWithoutRates() {
        #expect(group(lags: [0, 0], consume: [nil, nil], produce: [nil, nil]).catchUpSeconds == 0)
        // A caught-up partition does not need to be faster than its producers.
        #expect(group(lags: [0, 100], consume: [1, 20], produce: [5, 10]).catchUpSeconds == 10)
    }

    @Test func unknownWhenAnyLaggingPartitionIsNotCatchingUpOrHasNoRates() {
        #expect(group(lags: [600, 100], consume: [30, 10], produce: [10, 10]).catchUpSeconds == nil)
        // Zero rates: nothing consumed and nothing produced is not catching up either.
        #expect(group(lags: [600, 100], consume: [0, 0], produce: [0, 0]).catchUpSeconds == nil)
        #expect(group(lags: [600, 100], consume: [30, 5], produce: [10, 10]).catchUpSeconds == nil)
        #expect(group(lags: [600, 100], consume: [30, nil], produce: [10, 10]).catchUpSeconds == nil)
        #expect(group(lags: [600, 100], consume: [30, 20], produce: [10, nil]).catchUpSeconds == nil)
    }
}

@Suite struct StatusAndCatchUpTests {
    @Test func aStoppedGroupHasNoCatchUpTimeWhateverItsAverageRates() {
        var tracker = StatusTracker(window: 3)
        var last: GroupLag?
        for _ in 0..<3 {
            var group = GroupLag(
                name: "g", state: nil, memberCount: nil,
                topics: [GroupTopicLag(topic: "t", partitions: [PartitionLag(partition: 0, committed: 30, lag: 70, behindLogStart: false)])],
                partitionsWithoutCommit: 0, partitionsBehindLogStart: 0, fetchError: nil)
            group.catchUpSeconds = 21  // what a consume rate still remembering earlier commits gives
            var snapshot = ClusterSnapshot(
                clusterName: "c", up: true, brokers: [], controllerID: 1, topics: [], groups: [group],
                discovery: .disabled, stageErrors: [:], partitionsWithoutWatermarks: 0, pollStartedAt: 0,
                pollDurationSeconds: 0, counters: PollCounters())
            tracker.judge(&snapshot)
            last = snapshot.groups[0]
        }
        #expect(last?.status == .stop)
        #expect(last?.catchUpSeconds == nil)
    }
}
