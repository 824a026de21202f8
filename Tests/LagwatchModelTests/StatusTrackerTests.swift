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
        tracker.beginPoll()
        result.append(
            poll.map {
                tracker.judge(
                    group: "g", partition: TopicPartition("t", 0), committed: $0.committed, lag: $0.lag,
                    hasMembers: (members ?? 0) > 0, outsideLog: behindLogStartAt.contains(index))
            })
        tracker.endPoll()
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
        // INACTIVE (abandoned) ranks just above OK: worst-first lists put real problems before it.
        #expect(ConsumerStatus.allCases.sorted() == [.ok, .inactive, .notFound, .warn, .rewind, .stall, .stop, .err])
        func group(_ statuses: [ConsumerStatus?], fetchError: String? = nil) -> GroupLag {
            let partitions = statuses.enumerated().map { index, status in
                PartitionLag(partition: Int32(index), committed: 1, lag: 0, behindLogStart: false, status: status)
            }
            return GroupLag(
                name: "g", state: nil, memberCount: nil, topics: [GroupTopicLag(topic: "t", partitions: partitions)],
                partitionsWithoutCommit: 0, partitionsBehindLogStart: 0, fetchError: fetchError)
        }
        #expect(group([nil, nil, nil]).status == .ok)
        #expect(group([.warn, .stop, .warn]).status == .stop)
        #expect(group([.warn, .stop, .warn]).partitionsByStatus == [.warn: 2, .stop: 1])
        #expect(group([], fetchError: "timed out").status == nil)
    }

    // MARK: Memory

    @Test func groupPartitionsUnseenForAWindowAreForgotten() {
        var tracker = StatusTracker(window: 3)
        func poll(_ groups: [String]) {
            tracker.beginPoll()
            for group in groups {
                _ = tracker.judge(
                    group: group, partition: TopicPartition("t", 0), committed: 1, lag: 1, hasMembers: false,
                    outsideLog: false)
            }
            tracker.endPoll()
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
        var committed: PartitionMap<Int64?> = [:]
        var watermarks: PartitionMap<Watermarks> = [:]
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
        return SnapshotBuilder.lag(of: observation.groups[0], in: SnapshotBuilder.Context(observation, rates: rates))
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
        // Group g drains t/0 from 900 down to 200 left in five polls while nothing is produced, then its
        // consumer dies as producers start again: over a 60 s window its consume rate still remembers the
        // commits, but a lag that rises is not catching up (the trial's dead consumer showed OK with an ETA
        // of 532–680 s until STOP).
        var settings = AnalysisSettings()
        settings.rateWindowSeconds = 60
        settings.statusWindowPolls = 3
        var history = ClusterHistory(settings: settings)
        let topic = TopicMetadata(
            name: "t", partitions: [PartitionMetadata(partition: 0, leader: 1, replicas: [1], inSyncReplicas: [1])])
        func poll(at time: Double, committed: Int64, high: Int64 = 1000) -> GroupLag? {
            let key = TopicPartition("t", 0)
            let observation = ClusterObservation(
                clusterName: "c", metadata: ClusterMetadata(brokers: [], controllerID: 1, topics: [topic]),
                watermarks: [key: Watermarks(low: 0, high: high)],
                groups: [GroupObservation(name: "g", committed: [key: committed])], discovery: .disabled,
                stageErrors: [:], startedAt: time, durationSeconds: 0)
            return history.advance(observation).groups.first
        }
        for (index, committed) in [100, 300, 500, 700].enumerated() {
            #expect(poll(at: Double(index) * 10, committed: Int64(committed))?.catchUpSeconds == nil, "too few polls to judge")
        }
        // 700, 500, 300 → 200 left: fell in each of the last three polls, 500 in 30 s; 200 at that pace is 12 s.
        let moving = poll(at: 40, committed: 800)
        #expect(moving?.status == .ok)
        #expect(moving?.catchUpSeconds == 12)
        // The consumer dies at 800; producers write 100 a poll: no ETA from then on, before STOP comes.
        for (index, high) in [1100, 1200, 1300].enumerated() {
            let group = poll(at: 50 + Double(index) * 10, committed: 800, high: Int64(high))
            #expect(group?.catchUpSeconds == nil, "lag \(high - 800), rising or above its level: not catching up")
            if index == 2 { #expect(group?.status == .stop) }
        }
    }
}
