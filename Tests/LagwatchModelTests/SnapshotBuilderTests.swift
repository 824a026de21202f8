import LagwatchModel
import Testing

/// Builds observations by hand: one topic `t` with partitions 0..<n led by broker 1.
private func observation(
    partitions: Int32 = 3,
    watermarks: [Int32: (Int64, Int64)],
    groups: [GroupObservation],
    metadata: Bool = true
) -> ClusterObservation {
    let topic = TopicMetadata(
        name: "t",
        partitions: (0..<partitions).map { PartitionMetadata(partition: $0, leader: 1, replicas: [1, 2], inSyncReplicas: [1, 2]) })
    var marks: PartitionMap<Watermarks> = [:]
    for (partition, pair) in watermarks { marks[TopicPartition("t", partition)] = Watermarks(low: pair.0, high: pair.1) }
    return ClusterObservation(
        clusterName: "c",
        metadata: metadata ? ClusterMetadata(brokers: [Broker(id: 1, host: "h", port: 9092)], controllerID: 1, topics: [topic]) : nil,
        watermarks: marks, groups: groups, discovery: .disabled, stageErrors: [:], startedAt: 100, durationSeconds: 2)
}

private func group(_ name: String, _ committed: [Int32: Int64?], state: String? = nil, members: Int? = nil) -> GroupObservation {
    var offsets: PartitionMap<Int64?> = [:]
    for (partition, offset) in committed { offsets[TopicPartition("t", partition)] = offset }
    return GroupObservation(name: name, state: state, memberCount: members, committed: offsets)
}

@Suite struct SnapshotBuilderTests {
    @Test func lagIsHighWatermarkMinusCommittedOffset() throws {
        let snapshot = firstSnapshot(observation(watermarks: [0: (0, 100), 1: (0, 50), 2: (10, 10)], groups: [group("g", [0: 40, 1: 50, 2: 10])]))
        let topic = try #require(snapshot.groups.first?.topics.first)
        #expect(topic.partitions.map(\.lag) == [60, 0, 0])
        #expect(topic.lagSum == 60)
        #expect(topic.committedSum == 100)
    }

    @Test func lagIsClampedAtZeroWhenCommittedIsAheadOfTheHighWatermark() throws {
        let snapshot = firstSnapshot(observation(watermarks: [0: (0, 100)], groups: [group("g", [0: 130])]))
        #expect(snapshot.groups[0].topics[0].partitions[0].lag == 0)
    }

    @Test func partitionsWithoutCommitGetNoSeriesAndAreCounted() throws {
        let snapshot = firstSnapshot(observation(watermarks: [0: (0, 100), 1: (0, 100), 2: (0, 100)], groups: [group("g", [0: 90, 1: nil, 2: nil])]))
        let g = snapshot.groups[0]
        #expect(g.partitionsWithoutCommit == 2)
        #expect(g.topics[0].partitions.map(\.partition) == [0])
    }

    @Test func committedBelowLogStartIsCountedAndStillLagged() throws {
        let snapshot = firstSnapshot(observation(watermarks: [0: (500, 800), 1: (0, 10)], groups: [group("g", [0: 200, 1: 10])]))
        let g = snapshot.groups[0]
        #expect(g.partitionsBehindLogStart == 1)
        #expect(g.topics[0].partitions[0].lag == 600)
        #expect(g.topics[0].partitions[0].behindLogStart)
        #expect(!g.topics[0].partitions[1].behindLogStart)
    }

    @Test func unknownWatermarksDropTheLagAndWithholdTheSum() throws {
        let snapshot = firstSnapshot(observation(watermarks: [0: (0, 100)], groups: [group("g", [0: 90, 1: 5])]))
        let topic = snapshot.groups[0].topics[0]
        #expect(topic.partitions.map(\.lag) == [10, nil])
        #expect(topic.lagSum == nil)
        #expect(topic.committedSum == 95)
        #expect(snapshot.partitionsWithoutWatermarks == 2)
    }

    @Test func partitionsOfTopicsNotInMetadataVanish() throws {
        var gone = group("g", [0: 1])
        gone.committed[TopicPartition("deleted", 0)] = 7
        let snapshot = firstSnapshot(observation(watermarks: [0: (0, 5)], groups: [gone]))
        #expect(snapshot.groups[0].topics.map(\.topic) == ["t"])
    }

    @Test func groupsWithoutMembersKeepTheirLag() throws {
        let snapshot = firstSnapshot(observation(watermarks: [0: (0, 100)], groups: [group("idle", [0: 10], state: "Empty", members: 0)]))
        #expect(snapshot.groups[0].memberCount == 0)
        #expect(snapshot.groups[0].topics[0].partitions[0].lag == 90)
    }

    @Test func aFailedMetadataRequestMeansDownAndNoKafkaSeries() throws {
        let snapshot = firstSnapshot(observation(watermarks: [0: (0, 100)], groups: [group("g", [0: 1])], metadata: false))
        #expect(!snapshot.up)
        #expect(snapshot.topics.isEmpty && snapshot.groups.isEmpty && snapshot.brokers.isEmpty)
    }

    @Test func groupsAreSortedByName() {
        let snapshot = firstSnapshot(observation(watermarks: [:], groups: [group("b", [:]), group("a", [:])]))
        #expect(snapshot.groups.map(\.name) == ["a", "b"])
    }

    @Test func countersCountPollsErrorsAndLastSuccess() {
        var counters = PollCounters()
        var failing = observation(watermarks: [:], groups: [])
        failing.stageErrors = [.watermarks: "x", .committedOffsets: "y"]
        counters.record(observation(watermarks: [:], groups: []))
        counters.record(failing)
        #expect(counters.polls == 2)
        #expect(counters.errors == [.watermarks: 1, .committedOffsets: 1])
        #expect(counters.lastSuccessAt == 102)
    }
}

@Suite struct PartitionMetadataTests {
    @Test func preferredLeaderAndUnderReplication() {
        let healthy = PartitionMetadata(partition: 0, leader: 1, replicas: [1, 2, 3], inSyncReplicas: [1, 2, 3])
        let moved = PartitionMetadata(partition: 0, leader: 2, replicas: [1, 2, 3], inSyncReplicas: [2, 3])
        let offline = PartitionMetadata(partition: 0, leader: -1, replicas: [1], inSyncReplicas: [])
        #expect(healthy.leaderIsPreferred && !healthy.isUnderReplicated)
        #expect(!moved.leaderIsPreferred && moved.isUnderReplicated)
        #expect(offline.isOffline && !offline.leaderIsPreferred)
    }
}

@Suite struct NameFilterTests {
    @Test func includeAndExcludeAreUnanchoredRegexes() throws {
        let filter = try NameFilter(include: ["^orders", "payments"], exclude: ["\\.dlq$"])
        #expect(filter.accepts("orders.v1"))
        #expect(filter.accepts("eu-payments"))
        #expect(!filter.accepts("orders.v1.dlq"))
        #expect(!filter.accepts("clicks"))
        #expect(filter.accepts("orders.v1"))  // the remembered decision is the same
    }

    @Test func anEmptyIncludeKeepsEverythingNotExcluded() throws {
        let filter = try NameFilter(include: [], exclude: ["^__"])
        #expect(filter.accepts("anything"))
        #expect(!filter.accepts("__consumer_offsets"))
    }

    @Test func anInvalidPatternIsNamed() {
        #expect(throws: NameFilter.InvalidPattern.self) { try NameFilter(include: ["("], exclude: []) }
    }
}

/// The snapshot a fresh history makes of `observation`: its first poll.
private func firstSnapshot(_ observation: ClusterObservation) -> ClusterSnapshot {
    var history = ClusterHistory()
    return history.advance(observation)
}
