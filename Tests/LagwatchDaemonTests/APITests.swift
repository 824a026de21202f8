import Foundation
import LagwatchConfig
import LagwatchDaemon
import LagwatchKafka
import LagwatchModel
import LagwatchTestSupport
import Testing

/// The JSON API over a real socket, against the daemon polling librdkafka's mock cluster.
@Suite(.serialized) struct APITests {
    static func json(_ port: UInt16, _ path: String) throws -> (status: Int, contentType: String?, object: [String: Any]) {
        let response = try TestHTTPClient.request(port: port, path: path)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        return (response.status, response.headers["content-type"], object)
    }

    @Test func theAPIAndMetricsServeTheSameSnapshot() throws {
        let world = try MockWorld(brokers: 2)
        defer { world.shutdown() }
        try world.topic("orders", partitions: 3)
        for partition in Int32(0)..<3 { try world.produce("orders", partition, count: 40 + 10 * Int(partition)) }
        let odd = "team/a b"  // a group name that must be percent-encoded in a path
        try world.commit(odd, [TopicPartition("orders", 0): 35, TopicPartition("orders", 1): 50, TopicPartition("orders", 2): 1])
        try world.commit("billing", [TopicPartition("orders", 0): 40])

        var cluster = ClusterConfiguration(name: "mock", bootstrapServers: [world.bootstrap])
        cluster.staticGroups = [StaticGroup(name: odd, topics: ["orders"]), StaticGroup(name: "billing", topics: ["orders"])]
        // One poll only in this test (the next is a minute away), so every answer comes from the same snapshot.
        let daemon = try Daemon(configuration: EndToEndTests.configuration(cluster, interval: 60), logger: TestLogger.quiet())
        try daemon.start()
        defer { daemon.stop() }
        #expect(try eventually(within: 15) { try TestHTTPClient.request(port: daemon.port, path: "/readyz").status == 200 })
        let metrics = try EndToEndTests.scrape(daemon.port)
        let pollEnd = try #require(metrics.value("lagwatch_last_poll_timestamp_seconds", ["cluster_name": "mock"]))

        let list = try Self.json(daemon.port, "/api/v1/groups")
        #expect(list.status == 200 && list.contentType == "application/json")
        let groups = try #require(list.object["groups"] as? [[String: Any]])
        #expect(Set(groups.compactMap { $0["group"] as? String }) == [odd, "billing"])
        // Truth from the setup: 40 − 35, 50 − 50 and 60 − 1.
        #expect(groups.first { $0["group"] as? String == odd }?["lag"] as? Int == 64)
        for group in groups {
            let name = try #require(group["group"] as? String)
            // The same poll: the two encoders may round the last digit differently.
            #expect(abs((group["polled_at"] as? Double ?? 0) - pollEnd) < 1e-3)
            #expect(group["lag"] as? Double == metrics.value("kafka_consumergroup_lag_sum", ["consumergroup": name]))
            let worst = metrics.samples("kafka_consumergroup_status", ["consumergroup": name]).first { $0.value == "1" }
            #expect(group["status"] as? String == worst?.labels["status"])
        }

        let detail = try Self.json(daemon.port, "/api/v1/groups/team%2Fa%20b")
        #expect(detail.status == 200)
        #expect(detail.object["group"] as? String == odd)
        let clusters = try #require(detail.object["clusters"] as? [[String: Any]])
        let partitions = try #require((clusters.first?["topics"] as? [[String: Any]])?.first?["partitions"] as? [[String: Any]])
        #expect(partitions.count == 3)
        for partition in partitions {
            let number = try #require(partition["partition"] as? Int)
            let labels = ["consumergroup": odd, "partition": "\(number)"]
            #expect(partition["lag"] != nil && partition["committed"] != nil)
            #expect(partition["lag"] as? Double == metrics.value("kafka_consumergroup_lag", labels))
            #expect(partition["committed"] as? Double == metrics.value("kafka_consumergroup_current_offset", labels))
            #expect(
                partition["high_watermark"] as? Double
                    == metrics.value("kafka_topic_partition_current_offset", ["topic": "orders", "partition": "\(number)"]))
            // Truth from the setup, not from the code: 40 + 10p produced.
            #expect(partition["high_watermark"] as? Int == 40 + 10 * number)
        }

        // The status page and the group's page show the same figures.
        let overview = try TestHTTPClient.request(port: daemon.port, path: "/")
        #expect(overview.status == 200 && overview.headers["content-type"] == "text/html; charset=utf-8")
        let rows = try ParsedPage(overview.text).elements.filter { $0.name == "tr" && $0.path.contains("tbody") }
        let oddRow = try #require(rows.first { $0.text.contains(odd) })
        let oddStatus = metrics.samples("kafka_consumergroup_status", ["consumergroup": odd]).first { $0.value == "1" }
        #expect(oddRow.text.hasPrefix(oddStatus?.labels["status"] ?? "?") && oddRow.text.contains("64"))
        let groupPage = try TestHTTPClient.request(port: daemon.port, path: "/groups/team%2Fa%20b")
        #expect(groupPage.status == 200)
        let cells = try ParsedPage(groupPage.text).elements.filter { $0.name == "td" }.map(\.text)
        for lag in ["5", "0", "59"] { #expect(cells.contains(lag), "lag \(lag) on the group's page") }
        #expect(try TestHTTPClient.request(port: daemon.port, path: "/groups/nobody").status == 404)

        let missing = try Self.json(daemon.port, "/api/v1/groups/nobody")
        #expect(missing.status == 404 && missing.contentType == "application/json")
        #expect((missing.object["error"] as? String)?.contains("'nobody'") == true)
        #expect(try Self.json(daemon.port, "/api/v1/groups/").status == 404)
        // A name that is markup comes back as the same string, with no '<' a browser could read as a tag.
        let hostile = try TestHTTPClient.request(port: daemon.port, path: "/api/v1/groups/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        #expect(hostile.status == 404 && !hostile.text.contains("<"))
        #expect(hostile.headers["x-content-type-options"] == "nosniff")
        let echoed = try #require(try JSONSerialization.jsonObject(with: Data(hostile.body)) as? [String: Any])
        #expect((echoed["error"] as? String)?.contains("'<script>alert(1)</script>'") == true)
        #expect(try TestHTTPClient.request(port: daemon.port, method: "POST", path: "/api/v1/groups").status == 405)
    }
}
