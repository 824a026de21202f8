import LagwatchConfig
import LagwatchDaemon
import LagwatchExposition
import LagwatchKafka
import LagwatchModel
import LagwatchTestSupport
import LagwatchWorkload
import Testing

/// Transactions and offsets past the log end against noida-db, which, like Kafka and unlike librdkafka's
/// mock, writes transaction markers and holds the last stable offset (LSO) at an open transaction. The
/// poller's clock is injected, so a transaction hangs when the test says 15 minutes have passed.
@Suite(.serialized) struct TransactionTests {
    private func poller(_ bootstrap: String, clock: ManualClock, groups: [StaticGroup]) throws -> ClusterPoller {
        var cluster = ClusterConfiguration(name: "noida", bootstrapServers: [bootstrap])
        cluster.staticGroups = groups
        cluster.clientRecreatePolls = 0
        var analysis = AnalysisSettings()
        analysis.rateWindowSeconds = 1_800  // so that polls 15 minutes apart make a rate
        analysis.statusWindowPolls = 3
        return try ClusterPoller(cluster: cluster, analysis: analysis, logger: TestLogger.quiet(), now: { clock.now }) {
            try KafkaClusterClient(bootstrapServers: [bootstrap], properties: [], logger: TestLogger.quiet())
        }
    }

    @Test func anOpenTransactionHoldsTheLastStableOffsetAndHangsWhileLagCountsFromTheHighWatermark() throws {
        let binary = try #require(NoidaServer.binary(), "noida-db is missing: pip install noida-db")
        let server = try NoidaServer(binary: binary)
        defer { server.stop() }
        let logger = TestLogger.quiet()
        let plain = try MessageProducer(bootstrapServers: server.bootstrap, logger: logger)
        try plain.createTopic("payments", partitions: 2)
        let p0 = TopicPartition("payments", 0)
        let p1 = TopicPartition("payments", 1)
        // Three committed transactions of 5 messages on each partition: 3 × (5 + a commit marker) = 18.
        let transactional = try TransactionalProducer(
            bootstrapServers: server.bootstrap, transactionalID: "payments-writer", logger: logger)
        for _ in 0..<3 {
            try transactional.begin()
            for key in [p0, p1] { #expect(transactional.produce(to: key, count: 5) == 5) }
            try transactional.commit()
        }
        // A read_committed consumer that read everything, markers included.
        try OffsetCommitter(group: "ledger", bootstrapServers: server.bootstrap, logger: logger).commit([p0: 18, p1: 18])
        // Then a transaction of 3 messages on partition 0 that is never committed nor aborted.
        try transactional.begin()
        transactional.produce(to: p0, count: 3)
        try transactional.flush()

        let clock = ManualClock(1_000_000)
        let poller = try poller(server.bootstrap, clock: clock, groups: [StaticGroup(name: "ledger", topics: ["payments"])])
        let first = try exposition(poller.poll())
        let at = { (partition: String) in ["topic": "payments", "partition": partition] }
        #expect(first.value("kafka_topic_partition_current_offset", at("0")) == 21)
        #expect(first.value("kafka_topic_partition_last_stable_offset", at("0")) == 18)
        #expect(first.value("kafka_topic_partition_open_transaction_seconds", at("0")) == 0)
        #expect(first.value("kafka_topic_partition_hanging_transaction", at("0")) == 0)
        // Partition 1 has no open transaction: its LSO is its high watermark, and the group is 0 behind.
        #expect(first.value("kafka_topic_partition_current_offset", at("1")) == 18)
        #expect(first.value("kafka_topic_partition_last_stable_offset", at("1")) == 18)
        #expect(first.samples("kafka_topic_partition_hanging_transaction", at("1")).isEmpty)
        #expect(first.value("kafka_consumergroup_lag", ["consumergroup": "ledger", "partition": "1"]) == 0)

        // 100 plain messages land behind the open transaction, and 15 minutes pass on the poller's clock.
        plain.produce(to: p0, count: 100)
        try plain.flush()
        clock.set(1_000_900)
        let snapshot = poller.poll()
        #expect(snapshot.stageErrors.isEmpty, "\(snapshot.stageErrors)")
        let later = try exposition(snapshot)
        #expect(later.value("kafka_topic_partition_current_offset", at("0")) == 121)
        #expect(later.value("kafka_topic_partition_last_stable_offset", at("0")) == 18)
        #expect(later.value("kafka_topic_partition_produce_rate_messages_per_second", at("0")) == 100 / 900.0)
        #expect(later.value("kafka_topic_partition_open_transaction_seconds", at("0")) == 900)
        #expect(later.value("kafka_topic_partition_hanging_transaction", at("0")) == 1)
        // The group waits at the LSO and cannot read on: its lag counts the 103 offsets it cannot reach.
        #expect(later.value("kafka_consumergroup_lag", ["consumergroup": "ledger", "partition": "0"]) == 103)
        // It does not move, and its lag does not fall: by the third poll of the window it is STOP (no members).
        clock.set(1_000_915)
        let stopped = try #require(poller.poll().groups.first)
        #expect(stopped.status == .stop)
        #expect(stopped.topics.first?.partitions.map(\.status) == [.stop, .ok])
    }

    @Test func aTopicRecreatedUnderAGroupLeavesItPastTheLogEnd() throws {
        let binary = try #require(NoidaServer.binary(), "noida-db is missing: pip install noida-db")
        let server = try NoidaServer(binary: binary)
        defer { server.stop() }
        let logger = TestLogger.quiet()
        let producer = try MessageProducer(bootstrapServers: server.bootstrap, logger: logger)
        try producer.createTopic("orders", partitions: 1)
        let key = TopicPartition("orders", 0)
        producer.produce(to: key, count: 50)
        try producer.flush()
        try OffsetCommitter(group: "shipping", bootstrapServers: server.bootstrap, logger: logger).commit([key: 50])
        // Deleted and created again under the same name: the new log starts at 0.
        try producer.deleteTopic("orders")
        try producer.createTopic("orders", partitions: 1)
        producer.produce(to: key, count: 5)
        try producer.flush()

        let poller = try poller(server.bootstrap, clock: ManualClock(0), groups: [StaticGroup(name: "shipping", topics: ["orders"])])
        let snapshot = poller.poll()
        let group = try #require(snapshot.groups.first)
        #expect(snapshot.topics.first?.partitions.first?.watermarks?.high == 5)
        #expect(group.topics.first?.partitions.first?.committed == 50)
        #expect(group.totalLag == 0)
        #expect(group.partitionsPastLogEnd == 1)
        #expect(group.status == .err)
        let metrics = try exposition(snapshot)
        #expect(metrics.value("lagwatch_consumergroup_partitions_past_log_end", ["consumergroup": "shipping"]) == 1)
    }
}
