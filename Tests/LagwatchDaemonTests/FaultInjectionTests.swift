import Foundation
import LagwatchConfig
import LagwatchDaemon
import LagwatchKafka
import LagwatchModel
import LagwatchTestSupport
import Testing

/// Broker faults injected into librdkafka's mock cluster. librdkafka 2.0.2 has calls that segfault, abort or
/// block on such faults (shared notes); these tests run the real client through them. A crash or abort fails
/// the whole test process, so passing means the process stayed up; each poll must also end in bounded time,
/// drop or mark the affected series, and the next polls must recover the exact values.
@Suite(.serialized) struct FaultInjectionTests {
    /// A world with topic `t` (6 partitions, leaders spread over 3 brokers) and group `g` committed on all.
    final class Setup {
        let world: MockWorld
        let poller: ClusterPoller
        let store: SnapshotStore
        let routes: Routes

        init(coordinator: Int32 = 2, metadataTimeoutMilliseconds: Int = 2000) throws {
            world = try MockWorld(brokers: 3)
            try world.topic("t", partitions: 6)
            for partition in Int32(0)..<6 {
                world.cluster.setPartitionLeader(TopicPartition("t", partition), broker: partition % 3 + 1)
                try world.produce("t", partition, count: 10 + Int(partition))
            }
            world.cluster.setGroupCoordinator("g", broker: coordinator)
            var offsets: [TopicPartition: Int64] = [:]
            for partition in Int32(0)..<6 { offsets[TopicPartition("t", partition)] = Int64(partition) }
            try world.commit("g", offsets)
            var cluster = ClusterConfiguration(name: "mock", bootstrapServers: [world.bootstrap])
            cluster.staticGroups = [StaticGroup(name: "g", topics: ["t"])]
            cluster.discoverGroups = false
            cluster.metadataTimeoutMilliseconds = metadataTimeoutMilliseconds
            cluster.offsetsWaitMilliseconds = 1000
            cluster.watermarksTimeoutMilliseconds = 1000
            let bootstrap = world.bootstrap
            let properties = cluster.propertyPairs
            poller = try ClusterPoller(cluster: cluster, logger: TestLogger.quiet()) {
                try KafkaClusterClient(bootstrapServers: [bootstrap], properties: properties, logger: TestLogger.quiet())
            }
            store = SnapshotStore(clusterNames: ["mock"], info: .init(version: "t", librdkafkaVersion: "t"))
            routes = Routes(store: store, telemetryPath: "/metrics", pollIntervalSeconds: { 1 })
        }

        /// Polls once and publishes. (How long a poll takes under each fault is the benchmark's business; here
        /// it only has to return.)
        @discardableResult
        func poll() -> ClusterSnapshot {
            let snapshot = poller.poll()
            store.publish(snapshot)
            return snapshot
        }

        /// What /metrics serves right now, through the real route handler.
        func metrics() throws -> Exposition {
            let response = routes.handle(.init(method: "GET", path: "/metrics", acceptsGzip: false))
            #expect(response.status == 200)
            return try Exposition(String(decoding: response.collectBody(), as: UTF8.self))
        }

        /// True when every partition's lag and watermark is exactly what was set up.
        func isExact(_ snapshot: ClusterSnapshot) -> Bool {
            guard snapshot.up, let group = snapshot.groups.first, group.fetchError == nil,
                let topic = group.topics.first, topic.partitions.count == 6
            else { return false }
            return topic.partitions.allSatisfy { lag in
                lag.lag == world.produced[TopicPartition("t", lag.partition)]! - Int64(lag.partition)
            } && snapshot.partitionsWithoutWatermarks == 0
        }

        /// Polls until a poll is exact, up to `attempts` polls.
        func recovers(attempts: Int = 10) -> Bool {
            for _ in 0..<attempts {
                if isExact(poll()) { return true }
                Thread.sleep(forTimeInterval: 0.5)
            }
            return false
        }

        deinit { world.shutdown() }
    }

    @Test func theGroupCoordinatorDownLongerThanTheWaitThenBack() throws {
        let setup = try Setup(coordinator: 2)
        #expect(setup.isExact(setup.poll()))
        setup.world.cluster.setBrokerDown(2)
        // Down for several polls, each waiting 1 s for committed offsets: longer than the wait, shorter than
        // librdkafka's own 60 s admin timeout, so no request times out inside librdkafka.
        var sawFailure = false
        for _ in 0..<3 {
            let snapshot = setup.poll()
            if snapshot.groups.first?.fetchError != nil {
                sawFailure = true
                let metrics = try setup.metrics()
                #expect(metrics.samples("kafka_consumergroup_lag").isEmpty)
                #expect(metrics.value("lagwatch_consumergroup_offsets_fetch_success", ["consumergroup": "g"]) == 0)
                #expect(metrics.value("lagwatch_poll_stage_success", ["stage": "committed_offsets"]) == 0)
            }
        }
        #expect(sawFailure, "the coordinator was down, yet every fetch succeeded")
        setup.world.cluster.setBrokerUp(2)
        #expect(setup.recovers(attempts: 20))
        let metrics = try setup.metrics()
        #expect(metrics.value("lagwatch_consumergroup_offsets_fetch_success", ["consumergroup": "g"]) == 1)
        #expect(metrics.value("kafka_consumergroup_lag", ["partition": "5"]) == 10)
    }

    @Test func notCoordinatorAnswers() throws {
        let setup = try Setup()
        #expect(setup.isExact(setup.poll()))
        setup.world.cluster.pushRequestErrors(apiKey: .offsetFetch, [.notCoordinator, .notCoordinator, .notCoordinator])
        setup.world.cluster.pushRequestErrors(apiKey: .findCoordinator, [.coordinatorNotAvailable])
        setup.poll()
        setup.poll()
        #expect(setup.recovers())
    }

    @Test func aPartitionLeaderDown() throws {
        let setup = try Setup(coordinator: 1)
        #expect(setup.isExact(setup.poll()))
        // Broker 3 leads partitions 2 and 5.
        setup.world.cluster.setBrokerDown(3)
        var sawPartial = false
        for _ in 0..<4 {
            let snapshot = setup.poll()
            if snapshot.partitionsWithoutWatermarks > 0 {
                sawPartial = true
                let metrics = try setup.metrics()
                // The dead leader's partitions lose their offsets and lag; the others stay exact.
                #expect(metrics.samples("kafka_topic_partition_current_offset", ["partition": "2"]).isEmpty)
                #expect(metrics.samples("kafka_consumergroup_lag", ["partition": "5"]).isEmpty)
                #expect(metrics.value("kafka_consumergroup_lag", ["partition": "1"]) == 10)
                #expect(metrics.samples("kafka_consumergroup_lag_sum").isEmpty)
                #expect(metrics.value("lagwatch_poll_stage_success", ["stage": "watermarks"]) == 0)
            }
        }
        #expect(sawPartial, "taking the leader down never hid its partitions")
        setup.world.cluster.setBrokerUp(3)
        #expect(setup.recovers(attempts: 20))
    }

    @Test func allBrokersDown() throws {
        let setup = try Setup()
        #expect(setup.isExact(setup.poll()))
        for broker in setup.world.cluster.brokerIDs { setup.world.cluster.setBrokerDown(broker) }
        var sawDown = false
        for _ in 0..<3 where !sawDown {
            let snapshot = setup.poll()
            if !snapshot.up {
                sawDown = true
                let metrics = try setup.metrics()
                #expect(metrics.value("lagwatch_up") == 0)
                #expect(metrics.samples("kafka_consumergroup_lag").isEmpty)
                #expect(metrics.samples("kafka_topic_partition_current_offset").isEmpty)
            } else {
                // A poll may still see cached metadata; then nothing it could not fetch may be shown.
                #expect(snapshot.groups.first?.topics.isEmpty ?? true || snapshot.partitionsWithoutWatermarks > 0)
            }
        }
        #expect(sawDown)
        for broker in setup.world.cluster.brokerIDs { setup.world.cluster.setBrokerUp(broker) }
        #expect(setup.recovers(attempts: 20))
    }

    @Test func aSlowBroker() throws {
        // Metadata may go to any broker, so its timeout (5 s) is above the slow broker's delay: the poll always
        // gets metadata, and only the slow leader's watermarks (1 s timeout) go missing.
        let setup = try Setup(coordinator: 1, metadataTimeoutMilliseconds: 5000)
        #expect(setup.isExact(setup.poll()))
        // Broker 2 answers after 3 s; it leads partitions 1 and 4.
        setup.world.cluster.setBrokerRoundTrip(2, milliseconds: 3000)
        let snapshot = setup.poll()
        let metrics = try setup.metrics()
        #expect(snapshot.up)
        #expect(snapshot.partitionsWithoutWatermarks == 2)
        #expect(metrics.samples("kafka_consumergroup_lag", ["partition": "4"]).isEmpty)
        #expect(metrics.samples("kafka_topic_partition_current_offset", ["partition": "1"]).isEmpty)
        #expect(metrics.value("kafka_consumergroup_lag", ["partition": "0"]) == 10)
        #expect(metrics.value("lagwatch_poll_stage_success", ["stage": "watermarks"]) == 0)
        setup.world.cluster.setBrokerRoundTrip(2, milliseconds: 0)
        #expect(setup.recovers(attempts: 20))
    }
}
