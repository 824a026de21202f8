import Foundation
import Synchronization
import LagwatchConfig
import LagwatchDaemon
import LagwatchKafka
import LagwatchModel
import LagwatchTestSupport
import Testing

/// The whole daemon against librdkafka's mock cluster over TCP, scraped over a real socket.
@Suite(.serialized) struct EndToEndTests {
    static func configuration(_ cluster: ClusterConfiguration, interval: Double = 1) -> Configuration {
        var configuration = Configuration()
        configuration.clusters = [cluster]
        configuration.listenAddress = "127.0.0.1:0"
        configuration.pollIntervalSeconds = interval
        return configuration
    }

    static func scrape(_ port: UInt16, gzip: Bool = false) throws -> Exposition {
        let response = try TestHTTPClient.request(
            port: port, path: "/metrics", headers: gzip ? ["Accept-Encoding": "gzip"] : [:])
        guard response.status == 200 else { throw TestFailure("/metrics answered \(response.status)") }
        let body = gzip ? try TestHTTPClient.gunzip(response.body) : response.body
        return try Exposition(String(decoding: body, as: UTF8.self))
    }

    @Test func everyExportedOffsetAndLagEqualsWhatWasSetUp() throws {
        let world = try MockWorld(brokers: 3)
        defer { world.shutdown() }
        try world.topic("orders", partitions: 4)
        try world.topic("payments", partitions: 2)
        try world.topic("audit", partitions: 1)
        for partition in Int32(0)..<4 { try world.produce("orders", partition, count: 20 + 7 * Int(partition)) }
        try world.produce("payments", 0, count: 11)
        try world.produce("payments", 1, count: 3)
        try world.produce("audit", 0, count: 5)
        try world.commit("billing", [TopicPartition("orders", 0): 20, TopicPartition("orders", 1): 10, TopicPartition("orders", 3): 1])
        try world.commit("shipping", [TopicPartition("payments", 0): 4, TopicPartition("payments", 1): 3, TopicPartition("orders", 2): 30])

        var cluster = ClusterConfiguration(name: "mock", bootstrapServers: [world.bootstrap])
        cluster.staticGroups = [
            StaticGroup(name: "billing", topics: ["orders"]),
            StaticGroup(name: "shipping", topics: ["payments", "orders"]),
            StaticGroup(name: "never-committed", topics: ["audit"]),
        ]
        let daemon = try Daemon(configuration: Self.configuration(cluster), logger: TestLogger.quiet())
        try daemon.start()
        defer { daemon.stop() }
        // (Not ready before the first poll: ReadinessTests, which holds that poll; here it may already be done.)
        #expect(try eventually(within: 15) { try TestHTTPClient.request(port: daemon.port, path: "/readyz").status == 200 })

        let metrics = try Self.scrape(daemon.port)
        let c = ["cluster_name": "mock"]
        #expect(metrics.value("lagwatch_up", c) == 1)
        #expect(metrics.value("kafka_brokers", c) == 3)
        #expect(metrics.samples("kafka_broker_info").count == 3)
        #expect(metrics.value("kafka_topic_partitions", ["topic": "orders"]) == 4)
        for (key, count) in world.produced {
            let labels = ["topic": key.topic, "partition": "\(key.partition)", "cluster_name": "mock"]
            #expect(metrics.value("kafka_topic_partition_current_offset", labels) == Double(count), "\(key)")
            #expect(metrics.value("kafka_topic_partition_oldest_offset", labels) == 0, "\(key)")
        }
        #expect(metrics.samples("kafka_topic_partition_current_offset").count == 7)
        for (group, offsets) in world.committed {
            for (key, committed) in offsets {
                let labels = ["consumergroup": group, "topic": key.topic, "partition": "\(key.partition)"]
                let high = world.produced[key] ?? 0
                #expect(metrics.value("kafka_consumergroup_current_offset", labels) == Double(committed), "\(group) \(key)")
                #expect(metrics.value("kafka_consumergroup_lag", labels) == Double(max(0, high - committed)), "\(group) \(key)")
            }
        }
        #expect(metrics.samples("kafka_consumergroup_current_offset").count == 6)
        #expect(metrics.value("kafka_consumergroup_lag_sum", ["consumergroup": "billing", "topic": "orders"]) == Double(0 + 17 + 40))
        #expect(metrics.value("kafka_consumergroup_current_offset_sum", ["consumergroup": "shipping", "topic": "payments"]) == 7)
        #expect(metrics.value("lagwatch_consumergroup_partitions_without_commit", ["consumergroup": "billing"]) == 1)
        #expect(metrics.value("lagwatch_consumergroup_partitions_without_commit", ["consumergroup": "never-committed"]) == 1)
        #expect(metrics.samples("kafka_consumergroup_lag", ["consumergroup": "never-committed"]).isEmpty)
        #expect(metrics.value("lagwatch_group_discovery_supported", c) == 0)
        #expect(metrics.value("lagwatch_poll_stage_success", ["stage": "committed_offsets"]) == 1)
        #expect(metrics.value("lagwatch_poll_stage_success", ["stage": "watermarks"]) == 1)
        #expect((metrics.value("lagwatch_snapshot_age_seconds", c) ?? -1) >= 0)

        // gzip carries the same Kafka series (the data does not change between the two scrapes; lagwatch's own
        // poll counters may).
        let zipped = try Self.scrape(daemon.port, gzip: true)
        let kafkaSeries = { (e: Exposition) in Set(e.samples.filter { $0.name.hasPrefix("kafka_") }) }
        #expect(kafkaSeries(zipped) == kafkaSeries(metrics))
        #expect(kafkaSeries(zipped).count > 20)
    }

    @Test func promtoolAcceptsARealScrape() throws {
        let promtool = try #require(ProcessRunner.which("promtool"), "promtool is missing: apt-get install prometheus")
        let world = try MockWorld(brokers: 1)
        defer { world.shutdown() }
        try world.topic("t", partitions: 2)
        try world.produce("t", 0, count: 3)
        try world.commit("g", [TopicPartition("t", 0): 1])
        var cluster = ClusterConfiguration(name: "mock", bootstrapServers: [world.bootstrap])
        cluster.staticGroups = [StaticGroup(name: "g", topics: ["t"])]
        let daemon = try Daemon(configuration: Self.configuration(cluster), logger: TestLogger.quiet())
        try daemon.start()
        defer { daemon.stop() }
        #expect(try eventually(within: 15) { try Self.scrape(daemon.port).value("kafka_consumergroup_lag", ["partition": "0"]) == 2 })
        let body = try TestHTTPClient.request(port: daemon.port, path: "/metrics").body
        let result = try ProcessRunner.run(promtool, ["check", "metrics"], input: body)
        #expect(result.status == 0, "promtool: \(result.stderr) \(result.text)")
    }

    @Test func httpEndpointsAnswerAsDocumented() throws {
        let fake = FakeClusterClient(metadata: fakeMetadata(["t": 1]))
        var cluster = ClusterConfiguration(name: "fake", bootstrapServers: ["fake:1"])
        cluster.discoverGroups = false
        let daemon = try Daemon(configuration: Self.configuration(cluster), logger: TestLogger.quiet(), makeClient: { _ in { fake } })
        try daemon.start()
        defer { daemon.stop() }
        let port = daemon.port
        #expect(try TestHTTPClient.request(port: port, path: "/healthz").status == 200)
        #expect(try TestHTTPClient.request(port: port, path: "/nope").status == 404)
        let post = try TestHTTPClient.request(port: port, method: "POST", path: "/metrics")
        #expect(post.status == 405)
        #expect(post.headers["allow"] == "GET, HEAD")
        let index = try TestHTTPClient.request(port: port, path: "/")
        #expect(index.status == 200 && index.text.contains("href=\"/metrics\""))
        #expect(try TestHTTPClient.request(port: port, path: "/metrics").headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
    }

    @Test func aScrapeDuringASlowPollGetsThePreviousSnapshotAtOnce() throws {
        let fake = FakeClusterClient(metadata: fakeMetadata(["t": 1]))
        fake.watermarks = [TopicPartition("t", 0): Watermarks(low: 0, high: 5)]
        let gate = DispatchSemaphore(value: 0)
        let polls = Synchronization.Mutex(0)
        let released = Synchronization.Mutex(false)
        fake.onMetadata = {
            let count = polls.withLock { value in
                value += 1
                return value
            }
            // The second poll hangs until the test lets it go (or for 60 s).
            if count == 2 {
                _ = gate.wait(timeout: .now() + 60)
                released.withLock { $0 = true }
            }
            return fakeMetadata(["t": 1])
        }
        var cluster = ClusterConfiguration(name: "fake", bootstrapServers: ["fake:1"])
        cluster.discoverGroups = false
        let daemon = try Daemon(configuration: Self.configuration(cluster, interval: 1), logger: TestLogger.quiet(), makeClient: { _ in { fake } })
        try daemon.start()
        defer {
            gate.signal()
            daemon.stop()
        }
        #expect(eventually(within: 10) { polls.withLock { $0 } == 2 })
        let metrics = try Self.scrape(daemon.port)
        #expect(!released.withLock { $0 }, "the scrape was answered while the poll was still stuck")
        #expect(metrics.value("lagwatch_polls_total") == 1)
        #expect(metrics.value("kafka_topic_partition_current_offset", ["topic": "t"]) == 5)
        gate.signal()
        #expect(try eventually(within: 10) { try Self.scrape(daemon.port).value("lagwatch_polls_total") ?? 0 >= 2 })
    }

    @Test func aBrokerUnreachableAtStartIsServedAsDownAndRecovers() throws {
        let world = try MockWorld(brokers: 1)
        defer { world.shutdown() }
        try world.topic("t", partitions: 1)
        try world.produce("t", 0, count: 4)
        world.cluster.setBrokerDown(1)
        var cluster = ClusterConfiguration(name: "mock", bootstrapServers: [world.bootstrap])
        cluster.metadataTimeoutMilliseconds = 1000
        cluster.discoverGroups = false
        let daemon = try Daemon(configuration: Self.configuration(cluster), logger: TestLogger.quiet())
        try daemon.start()
        defer { daemon.stop() }
        #expect(try eventually(within: 10) { try Self.scrape(daemon.port).value("lagwatch_polls_total") ?? 0 >= 1 })
        let down = try Self.scrape(daemon.port)
        #expect(down.value("lagwatch_up", ["cluster_name": "mock"]) == 0)
        #expect(down.samples("kafka_topic_partition_current_offset").isEmpty)
        #expect(down.value("lagwatch_poll_stage_success", ["stage": "metadata"]) == 0)
        // The stages after it did not run: not a success. Discovery is off and no group is on the exact
        // method, so those two were never due and have no series.
        #expect(down.value("lagwatch_poll_stage_success", ["stage": "committed_offsets"]) == 0)
        #expect(down.value("lagwatch_poll_stage_success", ["stage": "watermarks"]) == 0)
        #expect(down.samples("lagwatch_poll_stage_success", ["stage": "group_discovery"]).isEmpty)
        #expect(down.samples("lagwatch_poll_stage_success", ["stage": "record_timestamps"]).isEmpty)
        world.cluster.setBrokerUp(1)
        #expect(try eventually(within: 20) { try Self.scrape(daemon.port).value("lagwatch_up") == 1 })
        #expect(try Self.scrape(daemon.port).value("kafka_topic_partition_current_offset", ["topic": "t"]) == 4)
    }
}
