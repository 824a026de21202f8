import LagwatchConfig
import LagwatchDaemon
import LagwatchExposition
import LagwatchKafka
import LagwatchModel
import LagwatchTestSupport
import Testing

/// The trial's `--group=typo-grop`: a configured group with no committed offset anywhere was exported as OK
/// with lag 0 and 0 partitions, forever, and nothing was logged. Against librdkafka's mock cluster.
@Suite(.serialized) struct NotFoundGroupTests {
    @Test func aConfiguredGroupWithNoOffsetsIsNotFoundLoggedOnceAndCounted() throws {
        let world = try MockWorld(brokers: 1)
        defer { world.shutdown() }
        try world.topic("orders", partitions: 2)
        try world.produce("orders", 0, count: 5)
        try world.commit("billing", [TopicPartition("orders", 0): 5])
        var cluster = ClusterConfiguration(name: "prod", bootstrapServers: [world.bootstrap])
        cluster.discoverGroups = false
        // As `--group=billing:orders` and `--group=typo-grop` (all its topics) would configure them.
        cluster.staticGroups = [StaticGroup(name: "billing", topics: ["orders"]), StaticGroup(name: "typo-grop", topics: nil)]
        let (logger, lines) = TestLogger.collecting(level: .info)
        let bootstrap = world.bootstrap
        let poller = try ClusterPoller(cluster: cluster, logger: logger) {
            try KafkaClusterClient(bootstrapServers: [bootstrap], properties: [], logger: TestLogger.quiet())
        }
        var snapshot = poller.poll()
        for _ in 0..<2 { snapshot = poller.poll() }
        let byName = Dictionary(uniqueKeysWithValues: snapshot.groups.map { ($0.name, $0) })
        #expect(byName["typo-grop"]?.status == .notFound)
        #expect(byName["billing"]?.status == .ok)
        let warnings = lines.snapshot.filter { $0.contains("typo-grop") }
        #expect(warnings.count == 1, "logged once over three polls: \(warnings)")
        #expect(warnings.first?.hasPrefix("warning Configured consumer group has no committed offset") == true)
        let metrics = try Exposition(String(decoding: TextRenderer.render([snapshot], info: ExporterInfo(version: "t", librdkafkaVersion: "t")), as: UTF8.self))
        #expect(metrics.value("lagwatch_consumergroups_not_found", ["cluster_name": "prod"]) == 1)
        #expect(metrics.value("kafka_consumergroup_status", ["consumergroup": "typo-grop", "status": "NOTFOUND"]) == 1)
        #expect(metrics.value("kafka_consumergroup_status", ["consumergroup": "typo-grop", "status": "OK"]) == 0)
        // A group configured on a topic, with no commit on any of its partitions, is NOTFOUND too; once it
        // commits, it is judged like any group, and that is logged.
        cluster.staticGroups = [StaticGroup(name: "billing", topics: ["orders"]), StaticGroup(name: "late", topics: ["orders"])]
        let second = try ClusterPoller(cluster: cluster, logger: logger) {
            try KafkaClusterClient(bootstrapServers: [bootstrap], properties: [], logger: TestLogger.quiet())
        }
        #expect(second.poll().groups.first { $0.name == "late" }?.status == .notFound)
        try world.commit("late", [TopicPartition("orders", 1): 0])
        #expect(second.poll().groups.first { $0.name == "late" }?.status == .ok)
        #expect(lines.snapshot.contains { $0.hasPrefix("info Consumer group has committed offsets now") && $0.contains("late") })
    }
}
