import LagwatchConfig
import LagwatchDaemon
import LagwatchExposition
import LagwatchKafka
import LagwatchModel
import LagwatchTestSupport
import Testing

/// Rates and lag in seconds from a real poller talking to a real Kafka protocol peer (librdkafka's mock),
/// with the poller's clock injected: the test decides when each poll happens, so the truth is exact and
/// nothing waits on the wall clock.
@Suite(.serialized) struct RateTests {
    /// A poller of `cluster` on `world` whose clock reads `clock`.
    private func poller(
        _ cluster: ClusterConfiguration,
        _ world: MockWorld,
        analysis: AnalysisSettings,
        clock: ManualClock
    ) throws -> ClusterPoller {
        try ClusterPoller(
            cluster: cluster, analysis: analysis, logger: TestLogger.quiet(), now: { clock.now }
        ) {
            try KafkaClusterClient(bootstrapServers: [world.bootstrap], properties: [], logger: TestLogger.quiet())
        }
    }

    @Test func exportedRatesAndLagSecondsFollowTheWorkload() throws {
        let world = try MockWorld(brokers: 1)
        defer { world.shutdown() }
        try world.topic("stream", partitions: 2)
        let partitions = [TopicPartition("stream", 0), TopicPartition("stream", 1)]
        var cluster = ClusterConfiguration(name: "mock", bootstrapServers: [world.bootstrap])
        cluster.staticGroups = [StaticGroup(name: "reader", topics: ["stream"])]
        cluster.discoverGroups = false
        var analysis = AnalysisSettings()
        analysis.rateWindowSeconds = 35
        let clock = ManualClock(1_000)
        let poller = try poller(cluster, world, analysis: analysis, clock: clock)

        // Between polls 10 s apart on the poller's clock, each partition gets 2,500 messages and the group
        // commits 1,500 further: 250 messages/s produced and 150 consumed per partition.
        var snapshot = poller.poll()
        for step in 1...4 {
            for key in partitions { try world.produce(key.topic, key.partition, count: 2_500) }
            try world.commit("reader", Dictionary(uniqueKeysWithValues: partitions.map { ($0, Int64(1_500 * step)) }))
            clock.set(1_000 + Double(10 * step))
            snapshot = poller.poll()
        }
        #expect(snapshot.stageErrors.isEmpty)
        let metrics = try exposition(snapshot)
        #expect(metrics.value("lagwatch_rate_window_seconds", ["cluster_name": "mock"]) == 35)
        // The window reaches back to the poll 30 s ago (the one 40 s ago is outside it).
        #expect(metrics.value("kafka_topic_produce_rate_messages_per_second", ["topic": "stream"]) == 500)
        #expect(metrics.value("kafka_consumergroup_topic_consume_rate_messages_per_second", ["consumergroup": "reader"]) == 300)
        for partition in ["0", "1"] {
            #expect(metrics.value("kafka_topic_partition_produce_rate_messages_per_second", ["partition": partition]) == 250)
            #expect(
                metrics.value(
                    "kafka_consumergroup_consume_rate_messages_per_second",
                    ["consumergroup": "reader", "partition": partition]) == 150)
            // Committed 6,000 of 10,000: the next message to read, offset 6,000, was written between the polls
            // at 1,020 s (watermark 5,000) and 1,030 s (watermark 7,500). The watermark passed it
            // (reached 6,001) at 1,020 + 10 × 1,001 / 2,500 s, interpolating linearly.
            let labels = ["consumergroup": "reader", "partition": partition]
            #expect(metrics.value("kafka_consumergroup_lag", labels) == 4_000)
            let exported = metrics.samples("kafka_consumergroup_lag_seconds", labels)
            #expect(exported.map { $0.labels["method"] } == ["interpolation"])
            let seconds = try #require(exported.first.flatMap { Double($0.value) })
            #expect(abs(seconds - (1_040 - (1_020 + 10 * 1_001 / 2_500.0))) < 1e-9)
            #expect((10...20).contains(seconds), "written between 20 and 10 s before the last poll")
        }
        // Catch-up: 4,000 messages per partition closing at 150 − 250 < 0 messages/s never do.
        #expect(metrics.samples("kafka_consumergroup_catch_up_seconds").isEmpty)
    }

    @Test func exactLagSecondsComeFromTheRecordAtTheCommittedOffset() throws {
        let world = try MockWorld(brokers: 2)
        defer { world.shutdown() }
        try world.topic("bursts", partitions: 1)
        let key = TopicPartition("bursts", 0)
        // Two bursts stamped three seconds apart, before lagwatch's first poll: its watermark history
        // cannot date them, only the records can.
        let firstBurst = 1_700_000_000.0
        try world.produce("bursts", 0, count: 50, timestamp: firstBurst)
        try world.produce("bursts", 0, count: 50, timestamp: firstBurst + 3)
        try world.commit("exact-reader", [key: 20])
        try world.commit("other-reader", [key: 70])

        var cluster = ClusterConfiguration(name: "mock", bootstrapServers: [world.bootstrap])
        cluster.staticGroups = [
            StaticGroup(name: "exact-reader", topics: ["bursts"]), StaticGroup(name: "other-reader", topics: ["bursts"]),
        ]
        cluster.discoverGroups = false
        var analysis = AnalysisSettings()
        analysis.exact.groups = try NameFilter(include: ["^exact-"], exclude: [])
        let clock = ManualClock(firstBurst + 100)
        let snapshot = try poller(cluster, world, analysis: analysis, clock: clock).poll()
        let metrics = try exposition(snapshot)

        // Offset 20 is in the first burst: exactly 100 s old on the poller's clock.
        let exact = metrics.samples("kafka_consumergroup_lag_seconds", ["consumergroup": "exact-reader"])
        #expect(exact.map { $0.labels["method"] } == ["exact"])
        #expect(exact.first.flatMap { Double($0.value) } == 100)
        // The other group is not on the exact method and its offset is older than the history: unknown.
        #expect(metrics.samples("kafka_consumergroup_lag_seconds", ["consumergroup": "other-reader"]).isEmpty)
        #expect(metrics.value("lagwatch_consumergroup_partitions_without_lag_seconds", ["consumergroup": "other-reader"]) == 1)
        #expect(metrics.value("lagwatch_poll_stage_success", ["stage": "record_timestamps"]) == 1)
        #expect(metrics.value("lagwatch_poll_stage_duration_seconds", ["stage": "record_timestamps"]) == 0)
    }
}

/// The snapshot as `/metrics` renders it, parsed.
func exposition(_ snapshot: ClusterSnapshot) throws -> Exposition {
    let info = ExporterInfo(version: "test", librdkafkaVersion: "test")
    return try Exposition(String(decoding: TextRenderer.render([snapshot], info: info), as: UTF8.self))
}
