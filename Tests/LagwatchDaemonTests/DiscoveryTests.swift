import Foundation
import LagwatchConfig
import LagwatchDaemon
import LagwatchKafka
import LagwatchWorkload
import LagwatchModel
import LagwatchTestSupport
import Testing

/// Group discovery end to end against a Kafka-protocol server that can list and describe groups
/// (librdkafka's mock cannot): noida-db always, and a real Kafka when `LAGWATCH_TEST_BOOTSTRAP` names one.
/// No group is named anywhere: every group must be found by listing, with the lag that was committed.
@Suite(.serialized) struct DiscoveryTests {
    static let realBootstrap = ProcessInfo.processInfo.environment["LAGWATCH_TEST_BOOTSTRAP"]
    /// librdkafka properties for the real cluster, `key=value` pairs separated by newlines (SASL, TLS), from
    /// `LAGWATCH_TEST_KAFKA_PROPERTIES`; a value may be `${env:NAME}` or `${file:PATH}` as in the configuration.
    static func realProperties() throws -> [(String, String)] {
        let text = ProcessInfo.processInfo.environment["LAGWATCH_TEST_KAFKA_PROPERTIES"] ?? ""
        guard text.contains("=") else { return [] }
        var yaml = "clusters:\n  - bootstrap_servers: [\"k:1\"]\n    librdkafka:\n"
        for line in text.split(separator: "\n") where line.contains("=") {
            let parts = line.split(separator: "=", maxSplits: 1)
            yaml += "      \(parts[0].trimmingCharacters(in: .whitespaces)): \"\(parts[1].trimmingCharacters(in: .whitespaces))\"\n"
        }
        return try ConfigurationLoader.parse(yaml, fileName: "LAGWATCH_TEST_KAFKA_PROPERTIES", environment: ProcessInfo.processInfo.environment)
            .clusters[0].propertyPairs
    }

    @Test func everyGroupOnNoidaIsFoundWithTheLagCommitted() throws {
        let binary = try #require(NoidaServer.binary(), "noida-db is missing: pip install noida-db")
        let server = try NoidaServer(binary: binary)
        defer { server.stop() }
        try Self.checkDiscovery(bootstrap: server.bootstrap, suffix: "", properties: [])
    }

    @Test func aSubscribedConsumerIsDescribedAsAMemberWithItsAssignment() throws {
        let binary = try #require(NoidaServer.binary(), "noida-db is missing: pip install noida-db")
        let server = try NoidaServer(binary: binary)
        defer { server.stop() }
        let logger = TestLogger.quiet()
        try MessageProducer(bootstrapServers: server.bootstrap, logger: logger).createTopic("live", partitions: 3)
        let consumer = try SubscribedConsumer(group: "live-readers", topics: ["live"], bootstrapServers: server.bootstrap, logger: logger)
        let assigned = consumer.waitForAssignment(timeoutSeconds: 20)
        try #require(assigned.count == 3, "the consumer got \(assigned) assigned")

        var cluster = ClusterConfiguration(name: "noida", bootstrapServers: [server.bootstrap])
        cluster.exportsMemberSeries = true
        let poller = try ClusterPoller(cluster: cluster, logger: logger) {
            try KafkaClusterClient(bootstrapServers: [server.bootstrap], properties: [], logger: logger)
        }
        var group: GroupLag?
        for _ in 0..<10 {
            group = poller.poll().groups.first { $0.name == "live-readers" }
            if group?.state == "Stable" { break }
            Thread.sleep(forTimeInterval: 0.5)
        }
        #expect(group?.state == "Stable")
        #expect(group?.memberCount == 1)
        #expect(group?.membersWithoutAssignment == 0)
        #expect(group?.assignedPartitionsByTopic == ["live": 3])
        #expect(group?.members?.first?.clientID == "lagwatch-member")
        #expect(group?.members?.first?.memberID.isEmpty == false)
    }

    @Test(.enabled(if: realBootstrap != nil, "set LAGWATCH_TEST_BOOTSTRAP=host:port to run against a real Kafka"))
    func everyGroupOnARealKafkaIsFoundWithTheLagCommitted() throws {
        // Unique names, so runs against a shared cluster do not see each other's topics and groups.
        try Self.checkDiscovery(
            bootstrap: Self.realBootstrap!, suffix: "-lagwatch-test-\(UInt32.random(in: 0...UInt32.max))",
            properties: try Self.realProperties())
    }

    static func checkDiscovery(bootstrap: String, suffix: String, properties: [(String, String)]) throws {
        let logger = TestLogger.quiet()
        let producer = try MessageProducer(bootstrapServers: bootstrap, properties: properties, logger: logger)
        let orders = "orders" + suffix, payments = "payments" + suffix
        try producer.createTopic(orders, partitions: 2)
        try producer.createTopic(payments, partitions: 1)
        var produced: [TopicPartition: Int64] = [:]
        for (topic, counts) in [(orders, [12, 7]), (payments, [5])] {
            for (partition, count) in counts.enumerated() {
                let key = TopicPartition(topic, Int32(partition))
                produced[key] = Int64(producer.produce(to: key, count: count))
            }
        }
        try producer.flush()
        let commits: [String: [TopicPartition: Int64]] = [
            "billing" + suffix: [TopicPartition(orders, 0): 10, TopicPartition(orders, 1): 7],
            "fraud" + suffix: [TopicPartition(payments, 0): 1],
            "reporting" + suffix: [TopicPartition(orders, 0): 0],
        ]
        for (group, offsets) in commits {
            try OffsetCommitter(group: group, bootstrapServers: bootstrap, properties: properties, logger: logger).commit(offsets)
        }

        var cluster = ClusterConfiguration(name: "discovery", bootstrapServers: [bootstrap])
        if !suffix.isEmpty {
            let own = "\(NSRegularExpression.escapedPattern(for: suffix))$"
            cluster.topics = try NameFilter(include: [own], exclude: [])
            cluster.groups = try NameFilter(include: [own], exclude: [])
        }
        let poller = try ClusterPoller(cluster: cluster, logger: logger) {
            try KafkaClusterClient(bootstrapServers: [bootstrap], properties: properties, logger: logger)
        }
        var snapshot = poller.poll()
        // Topics just created may take a poll or two to show up with their partitions.
        for _ in 0..<10 where snapshot.groups.count < 3 || snapshot.topics.count < 2 {
            Thread.sleep(forTimeInterval: 0.5)
            snapshot = poller.poll()
        }
        #expect(snapshot.discovery == .supported)
        #expect(snapshot.groups.map(\.name) == commits.keys.sorted())
        for group in snapshot.groups {
            let expected = try #require(commits[group.name])
            #expect(group.fetchError == nil)
            var seen = 0
            for topic in group.topics {
                for partition in topic.partitions {
                    let key = TopicPartition(topic.topic, partition.partition)
                    #expect(partition.committed == expected[key], "\(group.name) \(key)")
                    #expect(partition.lag == produced[key]! - expected[key]!, "\(group.name) \(key)")
                    seen += 1
                }
            }
            #expect(seen == expected.count, "\(group.name)")
            // Groups that only ever committed have no members: described as Empty, with nothing assigned.
            #expect(group.state == "Empty", "\(group.name)")
            #expect(group.members == [] && group.membersWithoutAssignment == 0, "\(group.name)")
        }
    }
}
