import Foundation
import LagwatchConfig
import LagwatchDaemon
import LagwatchExposition
import LagwatchHTTP
import LagwatchKafka
import LagwatchModel
import LagwatchTestSupport
import Testing

/// During an outage `/metrics` stays honest (no series of the cluster), while the pages and the API show
/// the last state that was seen, marked stale with its time, instead of an empty list.
@Suite(.serialized) struct OutageViewTests {
    @Test func aClusterThatStopsAnsweringIsShownAsLastSeenOnThePagesButNotInMetrics() throws {
        let world = try MockWorld(brokers: 1)
        defer { world.shutdown() }
        try world.topic("t", partitions: 1)
        try world.produce("t", 0, count: 9)
        try world.commit("billing", [TopicPartition("t", 0): 4])
        var cluster = ClusterConfiguration(name: "prod", bootstrapServers: [world.bootstrap])
        cluster.staticGroups = [StaticGroup(name: "billing", topics: ["t"])]
        cluster.discoverGroups = false
        cluster.metadataTimeoutMilliseconds = 1000
        let clock = ManualClock(1_700_000_000)
        let bootstrap = world.bootstrap
        let poller = try ClusterPoller(cluster: cluster, logger: TestLogger.quiet(), now: { clock.now }) {
            try KafkaClusterClient(bootstrapServers: [bootstrap], properties: [], logger: TestLogger.quiet())
        }
        let store = SnapshotStore(clusterNames: ["prod"], info: ExporterInfo(version: "t", librdkafkaVersion: "t"))
        let routes = Routes(store: store, telemetryPath: "/metrics", pollIntervalSeconds: { 15 }, now: { clock.now })
        store.publish(poller.poll())
        world.cluster.setBrokerDown(1)
        clock.set(1_700_000_072)
        let down = poller.poll()
        #expect(!down.up)
        store.publish(down)

        let metrics = try Exposition(String(decoding: routes.handle(.init(method: "GET", path: "/metrics", acceptsGzip: false)).collectBody(), as: UTF8.self))
        #expect(metrics.value("lagwatch_up", ["cluster_name": "prod"]) == 0)
        #expect(metrics.samples("kafka_consumergroup_lag").isEmpty, "nothing stale is served as fresh")

        let list = routes.handle(.init(method: "GET", path: "/api/v1/groups", acceptsGzip: false))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(list.collectBody())) as? [String: Any])
        let groups = try #require(object["groups"] as? [[String: Any]])
        #expect(groups.count == 1)
        #expect(groups.first?["group"] as? String == "billing" && groups.first?["stale"] as? Bool == true)
        #expect(groups.first?["lag"] as? Int == 5)
        #expect(groups.first?["polled_at"] as? Double ?? 0 < 1_700_000_072)

        let page = String(decoding: routes.handle(.init(method: "GET", path: "/", acceptsGzip: false)).collectBody(), as: UTF8.self)
        #expect(page.contains("billing") && !page.contains("No consumer group yet"))
        #expect(page.contains("unreachable; last seen 22:13:20 UTC, 1 min 12 s ago"))
        let groupPage = String(decoding: routes.handle(.init(method: "GET", path: "/groups/billing", acceptsGzip: false)).collectBody(), as: UTF8.self)
        #expect(groupPage.contains("does not answer: shown as last seen, 22:13:20 UTC"))
    }
}
