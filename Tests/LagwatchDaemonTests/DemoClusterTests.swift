import LagwatchConfig
import LagwatchDaemon
import LagwatchKafka
import LagwatchModel
import LagwatchTestSupport
import Testing

/// The embedded demo (the README's first command) in this process: its cluster, topics and groups are what
/// a first-time user is shown, so they must be there, with lag, from the first poll.
@Suite(.serialized) struct DemoClusterTests {
    @Test func theDemoGroupsHaveTheLagTheyAreMadeWith() throws {
        let demo = try DemoCluster(logger: TestLogger.quiet())
        try demo.start()
        defer { demo.stop() }
        let configuration = demo.configuration
        #expect(configuration.name == "demo" && !configuration.discoverGroups)
        #expect(configuration.staticGroups.map(\.name).sorted() == ["analytics", "audit-archiver", "fraud-detector", "orders-service"])
        let bootstrap = configuration.bootstrapServers
        let poller = try ClusterPoller(cluster: configuration, logger: TestLogger.quiet()) {
            try KafkaClusterClient(bootstrapServers: bootstrap, properties: [], logger: TestLogger.quiet())
        }
        let snapshot = poller.poll()
        #expect(snapshot.up && snapshot.brokers.count == 3)
        #expect(snapshot.topics.map(\.name) == ["audit-log", "clickstream", "orders", "payments"])
        #expect(snapshot.topics.map { $0.partitions.count } == [2, 12, 6, 3])
        let groups = Dictionary(uniqueKeysWithValues: snapshot.groups.map { ($0.name, $0) })
        // orders-service stays 5 messages behind on every partition of both its topics (more if a round of
        // messages landed after the last commit).
        let orders = try #require(groups["orders-service"])
        #expect(orders.topics.map(\.topic) == ["orders", "payments"])
        #expect(orders.topics.flatMap(\.partitions).allSatisfy { ($0.lag ?? 0) >= 5 })
        // fraud-detector commits payments 0 and 1 only (50 behind, or at 0 while fewer were written): the
        // partition it never commits is counted, not exported.
        let fraud = try #require(groups["fraud-detector"])
        #expect(fraud.topics.first?.partitions.map(\.partition) == [0, 1])
        #expect(fraud.partitionsWithoutCommit == 1)
        #expect(fraud.topics.first?.partitions.allSatisfy { $0.committed == 0 || ($0.lag ?? 0) >= 50 } == true)
        // Every demo group has committed something in the first round.
        #expect(snapshot.groups.allSatisfy { $0.fetchError == nil && !$0.topics.isEmpty })
    }
}
