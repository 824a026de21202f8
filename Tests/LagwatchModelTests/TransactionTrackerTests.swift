import LagwatchModel
import Testing

/// Topic t, one partition, watermarks as given (`lastStable` nil: not read this poll), polled at `time`.
private func poll(
    at time: Double,
    high: Int64,
    lastStable: Int64?,
    committed: Int64? = nil,
    topics: [String] = ["t"]
) -> ClusterObservation {
    let key = TopicPartition("t", 0)
    var observation = ClusterObservation(
        clusterName: "c",
        metadata: ClusterMetadata(
            brokers: [], controllerID: 1,
            topics: topics.map {
                TopicMetadata(name: $0, partitions: [PartitionMetadata(partition: 0, leader: 1, replicas: [1], inSyncReplicas: [1])])
            }),
        watermarks: topics.contains("t") ? [key: Watermarks(low: 0, high: high, lastStable: lastStable)] : [:],
        groups: committed.map { [GroupObservation(name: "g", committed: [key: $0])] } ?? [],
        discovery: .disabled, stageErrors: [:], startedAt: time, durationSeconds: 0)
    observation.observedAt[.watermarks] = time
    return observation
}

private func history(hangingAfter seconds: Double = 900) -> ClusterHistory {
    var settings = AnalysisSettings()
    settings.hangingTransactionSeconds = seconds
    settings.statusWindowPolls = 3
    return ClusterHistory(settings: settings)
}

private extension ClusterSnapshot {
    var partition: PartitionState? { topics.first { $0.name == "t" }?.partitions.first }
}

@Suite struct TransactionTrackerTests {
    @Test func anOpenTransactionAgesWhileTheLastStableOffsetStandsStillAndHangsAtTheThreshold() {
        var history = history(hangingAfter: 900)
        #expect(history.advance(poll(at: 0, high: 30, lastStable: 30)).partition?.openTransaction == nil)
        // A transaction opens at 30: the high watermark moves on, the LSO stays.
        let opened = history.advance(poll(at: 15, high: 33, lastStable: 30)).partition?.openTransaction
        #expect(opened == OpenTransaction(lastStable: 30, seconds: 0, hanging: false))
        #expect(history.advance(poll(at: 914, high: 133, lastStable: 30)).partition?.openTransaction?.hanging == false)
        let hanging = history.advance(poll(at: 915, high: 133, lastStable: 30)).partition?.openTransaction
        #expect(hanging == OpenTransaction(lastStable: 30, seconds: 900, hanging: true))
        // Aborted at last: the LSO catches up with the high watermark.
        #expect(history.advance(poll(at: 930, high: 134, lastStable: 134)).partition?.openTransaction == nil)
    }

    @Test func aNewOldestTransactionRestartsTheAge() {
        var history = history()
        _ = history.advance(poll(at: 0, high: 40, lastStable: 30))
        #expect(history.advance(poll(at: 600, high: 60, lastStable: 30)).partition?.openTransaction?.seconds == 600)
        // The transaction at 30 ended; another, begun at 45, is now the oldest.
        #expect(history.advance(poll(at: 615, high: 70, lastStable: 45)).partition?.openTransaction?.seconds == 0)
    }

    @Test func anUnreadLastStableOffsetReportsNothingButKeepsTheAge() {
        var history = history()
        _ = history.advance(poll(at: 0, high: 40, lastStable: 30))
        let unread = history.advance(poll(at: 15, high: 41, lastStable: nil)).partition
        #expect(unread?.openTransaction == nil && unread?.watermarks?.high == 41)
        #expect(history.advance(poll(at: 30, high: 42, lastStable: 30)).partition?.openTransaction?.seconds == 30)
    }

    @Test func aPartitionThatLeavesTheMetadataIsForgotten() {
        var history = history()
        _ = history.advance(poll(at: 0, high: 40, lastStable: 30))
        _ = history.advance(poll(at: 15, high: 0, lastStable: nil, topics: ["other"]))
        // Back (recreated, say) with a transaction open at the same offset: a new one, aged from now.
        #expect(history.advance(poll(at: 30, high: 40, lastStable: 30)).partition?.openTransaction?.seconds == 0)
    }

    @Test func aReadCommittedGroupBlockedAtAHangingTransactionIsStoppedNotOK() {
        // The group read everything it could: up to the LSO, 30. Lag counts from the high watermark.
        var history = history(hangingAfter: 20)
        var group: GroupLag?
        for (index, high) in [33, 60, 90, 133].enumerated() {
            group = history.advance(poll(at: Double(index) * 15, high: Int64(high), lastStable: 30, committed: 30)).groups.first
        }
        #expect(group?.totalLag == 103)
        #expect(group?.status == .stop, "lag above 0 and an offset that does not move, for the whole window")
    }
}

@Suite struct PastLogEndTests {
    @Test func aCommittedOffsetPastTheHighWatermarkIsCountedAndERRWithLagZero() throws {
        // The topic was recreated: the group committed 500 on the old one, the new one holds 20 messages.
        var history = ClusterHistory()
        let group = try #require(history.advance(poll(at: 0, high: 20, lastStable: 20, committed: 500)).groups.first)
        #expect(group.totalLag == 0)
        #expect(group.partitionsPastLogEnd == 1 && group.partitionsBehindLogStart == 0)
        #expect(group.topics.first?.partitions.first?.pastLogEnd == true)
        #expect(group.status == .err)
        // Exactly at the end is caught up, not past it.
        var other = ClusterHistory()
        let caughtUp = try #require(other.advance(poll(at: 0, high: 20, lastStable: 20, committed: 20)).groups.first)
        #expect(caughtUp.partitionsPastLogEnd == 0 && caughtUp.status == .ok)
    }
}
