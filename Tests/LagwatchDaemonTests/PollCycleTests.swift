import LagwatchConfig
import Synchronization
import LagwatchDaemon
import LagwatchKafka
import LagwatchModel
import LagwatchTestSupport
import Testing

/// Discovery and request planning, driven by a fake client (librdkafka's mock cannot list groups).
@Suite struct PollCycleTests {
    private func cluster(_ configure: (inout ClusterConfiguration) -> Void = { _ in }) -> ClusterConfiguration {
        var cluster = ClusterConfiguration(name: "c", bootstrapServers: ["fake:9092"])
        configure(&cluster)
        return cluster
    }

    @Test func eachStageIsTimedByTheClockReadingsAroundIt() {
        let fake = FakeClusterClient(metadata: fakeMetadata(["orders": 1]))
        fake.listing = .success([])
        fake.watermarks = [TopicPartition("orders", 0): Watermarks(low: 0, high: 9)]
        // Start, then the end of metadata, discovery, committed offsets and watermarks, then the poll's end.
        let readings = Mutex([100.0, 101, 103, 106, 110, 111])
        let observation = PollCycle.observe(client: fake, cluster: cluster(), now: { readings.withLock { $0.removeFirst() } })
        #expect(observation.startedAt == 100 && observation.durationSeconds == 11)
        #expect(observation.stageDurations == [.metadata: 1, .groupDiscovery: 2, .committedOffsets: 3, .watermarks: 4])
        #expect(observation.committedObservedAt == 104.5)
        #expect(observation.watermarksObservedAt == 108)
        #expect(readings.withLock { $0.isEmpty })
    }

    @Test func discoveredGroupsAreDescribedAndTheirOffsetsFetched() throws {
        let fake = FakeClusterClient(metadata: fakeMetadata(["orders": 2]))
        fake.listing = .success([
            GroupListing(name: "billing", state: "Stable"),
            GroupListing(name: "idle", state: "Empty"),
        ])
        fake.descriptions = [
            "billing": GroupDescription(
                name: "billing", state: "Stable",
                members: [
                    GroupMember(
                        memberID: "c-1", clientID: "billing-app", host: "/10.0.0.1",
                        assigned: [TopicPartition("orders", 0), TopicPartition("orders", 1)]),
                    GroupMember(memberID: "c-2", clientID: "billing-app", host: "/10.0.0.2", assigned: []),
                ]),
            "idle": GroupDescription(name: "idle", state: "Empty", members: []),
        ]
        fake.committed = ["billing": [TopicPartition("orders", 0): 5], "idle": [TopicPartition("orders", 1): 1]]
        fake.watermarks = [TopicPartition("orders", 0): Watermarks(low: 0, high: 9), TopicPartition("orders", 1): Watermarks(low: 0, high: 4)]
        let observation = PollCycle.observe(client: fake, cluster: cluster(), now: { 0 })
        #expect(observation.discovery == .supported)
        // idle has no members and lags: its record is read to date it, and a record not found (the fake has
        // none) is no stage error, as it would be for the exact method.
        #expect(observation.stageErrors.isEmpty)
        #expect(Set(observation.stageDurations.keys) == Set(PollStage.allCases))
        let snapshot = firstSnapshot(observation)
        #expect(snapshot.groups.map(\.name) == ["billing", "idle"])
        #expect(snapshot.groups[0].memberCount == 2 && snapshot.groups[0].state == "Stable")
        #expect(snapshot.groups[0].membersWithoutAssignment == 1)
        #expect(snapshot.groups[0].assignedPartitionsByTopic == ["orders": 2])
        #expect(snapshot.groups[0].members?.map(\.memberID) == ["c-1", "c-2"])
        #expect(snapshot.groups[1].membersWithoutAssignment == 0)
        #expect(snapshot.groups[0].topics[0].partitions[0].lag == 4)
        #expect(snapshot.groups[1].memberCount == 0)
        #expect(snapshot.groups[1].topics[0].partitions[0].lag == 3)
        // Committed offsets come before watermarks in the same poll.
        let calls = fake.calls.withLock { $0 }
        #expect(calls == ["metadata", "list", "describe:billing,idle", "offsets:billing:all", "offsets:idle:all", "watermarks", "records"])
        #expect(fake.recordRounds.withLock { $0 } == [[TopicPartition("orders", 1): 1]], "only the memberless group's")
    }

    @Test func groupsWithoutMembersAreDatedOnceAtTheirOldestUnconsumedRecord() throws {
        let fake = FakeClusterClient(metadata: fakeMetadata(["orders": 2]))
        let p = (0..<Int32(2)).map { TopicPartition("orders", $0) }
        fake.listing = .success([GroupListing(name: "gone", state: "Empty"), GroupListing(name: "live", state: "Stable")])
        fake.descriptions = [
            "gone": GroupDescription(name: "gone", state: "Empty", members: []),
            "live": GroupDescription(
                name: "live", state: "Stable",
                members: [GroupMember(memberID: "m", clientID: "c", host: "/h", assigned: p)]),
        ]
        // gone: p0 lags from offset 10; on p1 retention deleted its offset 2 (the log starts at 7), so the
        // oldest unconsumed record still there, at 7, dates it. live has members: never read.
        fake.committed = ["gone": [p[0]: 10, p[1]: 2], "live": [p[0]: 20, p[1]: 20]]
        fake.watermarks = [p[0]: Watermarks(low: 0, high: 50), p[1]: Watermarks(low: 7, high: 50)]
        fake.records = [p[0]: [10: 1_000.0], p[1]: [7: 400.0]]
        let first = PollCycle.observe(client: fake, cluster: cluster(), now: { 100_000 })
        #expect(fake.recordRounds.withLock { $0 } == [[p[0]: 10, p[1]: 7]])
        #expect(first.recordTimes[p[1]]?[7]?.timestamp == 400)
        // The next poll reuses what the last one read: a stopped group's offsets do not move.
        let second = PollCycle.observe(client: fake, cluster: cluster(), known: first.recordTimes, now: { 100_015 })
        #expect(fake.recordRounds.withLock { $0 }.count == 1, "nothing read again")
        #expect(second.recordTimes == first.recordTimes)
        #expect(second.stageDurations[.recordTimestamps] == nil, "no read, no stage")
    }

    @Test func exactRecordsAreReadForTheChosenGroupsMostLaggingFirstWithinTheLimit() throws {
        let fake = FakeClusterClient(metadata: fakeMetadata(["orders": 4]))
        let p = (0..<Int32(4)).map { TopicPartition("orders", $0) }
        fake.watermarks = PartitionMap(p.map { ($0, Watermarks(low: 0, high: 1000)) })
        // a lags 900, 500, 0 and 100; b shares a's offset on p1 and sits at 300 on p0; c is not chosen.
        fake.committed = [
            "a": [p[0]: 100, p[1]: 500, p[2]: 1000, p[3]: 900],
            "b": [p[0]: 300, p[1]: 500],
            "c": [p[3]: 0],
        ]
        fake.records = [p[0]: [100: 50.0, 300: 70.0], p[1]: [500: 60.0]]
        var exact = ExactLagSettings()
        exact.groups = try NameFilter(include: ["^[ab]$"], exclude: [])
        exact.maxPartitions = 3
        let observation = PollCycle.observe(
            client: fake,
            cluster: cluster { $0.staticGroups = ["a", "b", "c"].map { StaticGroup(name: $0, topics: ["orders"]) } },
            exact: exact, now: { 100 })
        // The three most lagging distinct offsets: p0@100 (900), p0@300 (700), p1@500 (500); p3@900 (100) is
        // past the limit, p2 has no lag, c is not chosen. p0 needs two rounds, one offset per round.
        let rounds = fake.recordRounds.withLock { $0 }
        #expect(rounds == [[p[0]: 100, p[1]: 500], [p[0]: 300]])
        #expect(observation.recordTimes[p[0]]?[300]?.timestamp == 70)
        #expect(observation.stageErrors[.recordTimestamps] == nil)
        #expect(observation.stageDurations[.recordTimestamps] != nil)
        // The snapshot dates a's and b's p0 exactly, each at its own offset, and b's p1 too (shared read).
        let snapshot = firstSnapshot(observation)
        let a = snapshot.groups[0].topics[0].partitions, b = snapshot.groups[1].topics[0].partitions
        #expect(a[0].lagTime == LagTime(seconds: 100 - 50, method: .exact))
        #expect(b[0].lagTime == LagTime(seconds: 100 - 70, method: .exact))
        #expect(b[1].lagTime == LagTime(seconds: 100 - 60, method: .exact))
        #expect(a[3].lagTime?.method != .exact, "past the limit: no record read")
    }

    @Test func unsupportedListingKeepsConfiguredGroupsAndIsNotAStageError() throws {
        let fake = FakeClusterClient(metadata: fakeMetadata(["orders": 3]))
        fake.listing = .failure(KafkaError(.unsupported, "Required feature not supported by broker"))
        fake.committed = ["billing": [TopicPartition("orders", 0): 2]]
        fake.watermarks = [TopicPartition("orders", 0): Watermarks(low: 0, high: 2), TopicPartition("orders", 1): Watermarks(low: 0, high: 2), TopicPartition("orders", 2): Watermarks(low: 0, high: 2)]
        let observation = PollCycle.observe(
            client: fake, cluster: cluster { $0.staticGroups = [StaticGroup(name: "billing", topics: ["orders", "missing"])] }, now: { 0 })
        guard case .unsupported = observation.discovery else {
            Issue.record("discovery should be unsupported, is \(observation.discovery)")
            return
        }
        #expect(observation.stageErrors.isEmpty)
        let snapshot = firstSnapshot(observation)
        #expect(snapshot.groups.map(\.name) == ["billing"])
        #expect(snapshot.groups[0].partitionsWithoutCommit == 2)
        #expect(fake.calls.withLock { $0 }.contains("offsets:billing:3"))
    }

    @Test func aFailedListingIsAStageErrorAndConfiguredGroupsStillReport() {
        let fake = FakeClusterClient(metadata: fakeMetadata(["t": 1]))
        fake.listing = .failure(KafkaError(.timeout, "list groups: no answer within 5000 ms"))
        fake.committed = ["g": [TopicPartition("t", 0): 1]]
        fake.watermarks = [TopicPartition("t", 0): Watermarks(low: 0, high: 1)]
        let observation = PollCycle.observe(
            client: fake, cluster: cluster { $0.staticGroups = [StaticGroup(name: "g", topics: nil)] }, now: { 0 })
        #expect(observation.stageErrors[.groupDiscovery] != nil)
        #expect(observation.groups.map(\.name) == ["g"])
    }

    @Test func theGroupFilterAppliesToDiscoveredGroupsOnly() throws {
        let fake = FakeClusterClient(metadata: fakeMetadata(["t": 1]))
        fake.listing = .success([GroupListing(name: "keep", state: "Stable"), GroupListing(name: "console-consumer-1", state: "Empty")])
        fake.committed = ["keep": [:], "console-consumer-1": [:], "pinned-console-x": [:]]
        let observation = PollCycle.observe(
            client: fake,
            cluster: cluster {
                $0.groups = try! NameFilter(include: [], exclude: ["console"])
                $0.describeGroups = false
                $0.staticGroups = [StaticGroup(name: "pinned-console-x", topics: nil)]
            }, now: { 0 })
        #expect(observation.groups.map(\.name).sorted() == ["keep", "pinned-console-x"])
    }

    @Test func aGroupWhoseFetchFailsIsReportedWithoutSeries() {
        let fake = FakeClusterClient(metadata: fakeMetadata(["t": 1]))
        fake.watermarks = [TopicPartition("t", 0): Watermarks(low: 0, high: 1)]
        let observation = PollCycle.observe(
            client: fake, cluster: cluster { $0.discoverGroups = false; $0.staticGroups = [StaticGroup(name: "slow", topics: ["t"])] },
            now: { 0 })
        #expect(observation.stageErrors[.committedOffsets]?.contains("1 of 1 groups failed") == true)
        let snapshot = firstSnapshot(observation)
        #expect(snapshot.groups[0].fetchError != nil && snapshot.groups[0].topics.isEmpty)
    }

    @Test func aConfiguredGroupWhoseTopicsAreAllMissingAsksNothing() {
        let fake = FakeClusterClient(metadata: fakeMetadata(["t": 1]))
        fake.watermarks = [TopicPartition("t", 0): Watermarks(low: 0, high: 1)]
        let observation = PollCycle.observe(
            client: fake, cluster: cluster { $0.discoverGroups = false; $0.staticGroups = [StaticGroup(name: "g", topics: ["gone"])] },
            now: { 0 })
        #expect(!fake.calls.withLock { $0 }.contains { $0.hasPrefix("offsets:") })
        #expect(observation.groups.first?.fetchError == nil)
    }

    @Test func topicFilterDropsTopicsBeforeAnyOtherRequest() {
        let fake = FakeClusterClient(metadata: fakeMetadata(["__consumer_offsets": 50, "orders": 1]))
        fake.watermarks = [TopicPartition("orders", 0): Watermarks(low: 0, high: 1)]
        let observation = PollCycle.observe(client: fake, cluster: cluster { $0.discoverGroups = false }, now: { 0 })
        #expect(observation.metadata?.topics.map(\.name) == ["orders"])
        #expect(observation.stageErrors.isEmpty)
    }
}

@Suite struct ClusterPollerTests {
    @Test func theClientIsReplacedEveryNPollsToBoundItsMetadataCache() throws {
        let created = Mutex(0)
        var cluster = ClusterConfiguration(name: "c", bootstrapServers: ["fake:1"])
        cluster.clientRecreatePolls = 2
        cluster.discoverGroups = false
        let poller = try ClusterPoller(cluster: cluster, logger: TestLogger.quiet()) {
            created.withLock { $0 += 1 }
            return FakeClusterClient(metadata: fakeMetadata(["t": 1]))
        }
        for _ in 0..<5 { _ = poller.poll() }
        // Created at start, then before polls 3 and 5.
        #expect(created.withLock { $0 } == 3)
    }

    @Test func aClientThatCannotBeReplacedIsADownPollAndIsTriedAgain() throws {
        let attempts = Mutex(0)
        var cluster = ClusterConfiguration(name: "c", bootstrapServers: ["fake:1"])
        cluster.clientRecreatePolls = 1
        cluster.discoverGroups = false
        let (logger, lines) = TestLogger.collecting(level: .info)
        let poller = try ClusterPoller(cluster: cluster, logger: logger) {
            let attempt = attempts.withLock { value in
                value += 1
                return value
            }
            // The first replacement (the second client) fails, as a rejected property or TLS file would.
            if attempt == 2 { throw KafkaError(.clientCreation, "ssl.ca.location: no such file") }
            return FakeClusterClient(metadata: fakeMetadata(["t": 1]))
        }
        #expect(poller.poll().up)
        let failed = poller.poll()
        #expect(!failed.up)
        #expect(failed.stageErrors == [.metadata: "no Kafka client"])
        #expect(failed.counters.polls == 2 && failed.counters.errors[.metadata] == 1)
        #expect(lines.snapshot.contains { $0.contains("Cannot create a Kafka client") })
        #expect(poller.poll().up, "the next poll creates a client again")
        #expect(attempts.withLock { $0 } == 3)
    }

    @Test func countersAndStageLogsFollowFailuresAndRecovery() throws {
        let fake = FakeClusterClient(metadata: fakeMetadata(["t": 1]))
        let failing = Mutex(true)
        fake.onMetadata = {
            if failing.withLock({ $0 }) { throw KafkaError(.timeout, "metadata request: Local: Timed out") }
            return fakeMetadata(["t": 1])
        }
        fake.watermarks = [TopicPartition("t", 0): Watermarks(low: 0, high: 1)]
        var cluster = ClusterConfiguration(name: "c", bootstrapServers: ["fake:1"])
        cluster.discoverGroups = false
        let (logger, lines) = TestLogger.collecting(level: .info)
        let poller = try ClusterPoller(cluster: cluster, logger: logger) { fake }
        _ = poller.poll()
        _ = poller.poll()
        failing.withLock { $0 = false }
        let snapshot = poller.poll()
        #expect(snapshot.up)
        #expect(snapshot.counters.polls == 3)
        #expect(snapshot.counters.errors[.metadata] == 2)
        #expect(snapshot.counters.lastSuccessAt != nil)
        let logged = lines.snapshot
        // Logged once when it failed (not on every failing poll), once when it recovered; with the cluster named.
        #expect(logged.filter { $0.contains("Poll stage failed") }.count == 1)
        #expect(logged.filter { $0.contains("Poll stage recovered") }.count == 1)
        #expect(logged.allSatisfy { $0.contains("kafka.cluster=c") })
    }
}

/// The snapshot a fresh history makes of `observation`: its first poll.
private func firstSnapshot(_ observation: ClusterObservation) -> ClusterSnapshot {
    var history = ClusterHistory()
    return history.advance(observation)
}
