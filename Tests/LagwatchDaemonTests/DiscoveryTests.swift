import Foundation
import LagwatchConfig
import LagwatchDaemon
import LagwatchKafka
import LagwatchModel
import LagwatchTestSupport
import Testing

/// Group discovery end to end against noida-db, a Kafka-protocol server that can list and describe groups
/// (librdkafka's mock cannot). No group is named anywhere: every group must be found by listing.
@Suite(.serialized) struct DiscoveryTests {
    @Test func everyGroupIsFoundAndItsLagEqualsWhatWasCommitted() throws {
        let binary = try #require(NoidaServer.binary(), "noida-db is missing: pip install noida-db")
        let server = try NoidaServer(binary: binary)
        defer { server.stop() }
        let logger = TestLogger.quiet()
        let producer = try MessageProducer(bootstrapServers: server.bootstrap, logger: logger)
        try producer.createTopic("orders", partitions: 2)
        try producer.createTopic("payments", partitions: 1)
        var produced: [TopicPartition: Int64] = [:]
        for (topic, counts) in [("orders", [12, 7]), ("payments", [5])] {
            for (partition, count) in counts.enumerated() {
                let key = TopicPartition(topic, Int32(partition))
                produced[key] = Int64(producer.produce(to: key, count: count))
            }
        }
        try producer.flush()
        let commits: [String: [TopicPartition: Int64]] = [
            "billing": [TopicPartition("orders", 0): 10, TopicPartition("orders", 1): 7],
            "fraud": [TopicPartition("payments", 0): 1],
            "reporting": [TopicPartition("orders", 0): 0],
        ]
        for (group, offsets) in commits {
            try OffsetCommitter(group: group, bootstrapServers: server.bootstrap, logger: logger).commit(offsets)
        }

        let cluster = ClusterConfiguration(name: "noida", bootstrapServers: [server.bootstrap])
        let poller = try ClusterPoller(cluster: cluster, logger: logger) {
            try KafkaClusterClient(bootstrapServers: [server.bootstrap], properties: [], logger: logger)
        }
        var snapshot = poller.poll()
        // Topics created by producing may take a poll to show up with their partitions.
        for _ in 0..<5 where snapshot.groups.count < 3 || snapshot.topics.count < 2 {
            Thread.sleep(forTimeInterval: 0.5)
            snapshot = poller.poll()
        }
        #expect(snapshot.discovery == .supported)
        #expect(snapshot.groups.map(\.name) == ["billing", "fraud", "reporting"])
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
        }
    }
}
