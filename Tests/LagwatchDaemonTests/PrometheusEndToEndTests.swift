import Foundation
import LagwatchConfig
import LagwatchDaemon
import LagwatchKafka
import LagwatchThreads
import LagwatchWorkload
import LagwatchModel
import LagwatchTestSupport
import Synchronization
import Testing

/// lagwatch polling noida-db (which, unlike librdkafka's mock, describes groups), scraped by a real
/// Prometheus with the shipped rules loaded: every dashboard panel's query returns data, a consumer that
/// stops trips its alert, and a healthy one trips none.
@Suite(.serialized) struct PrometheusEndToEndTests {
    /// Once per granularity: the dashboards and alerts must work when a cluster is exported per topic only.
    @Test(arguments: [GroupSeriesGranularity.partition, .topic])
    func everyPanelHasDataAndAStoppedConsumerTripsItsAlert(granularity: GroupSeriesGranularity) throws {
        let noidaBinary = try #require(NoidaServer.binary(), "noida-db is missing: pip install noida-db")
        let prometheusBinary = try #require(PrometheusServer.binary(), "prometheus is missing: apt-get install prometheus")
        let noida = try NoidaServer(binary: noidaBinary)
        defer { noida.stop() }
        let logger = TestLogger.quiet()
        let producer = try MessageProducer(bootstrapServers: noida.bootstrap, logger: logger)
        try producer.createTopic("events", partitions: 2)
        let keys = [TopicPartition("events", 0), TopicPartition("events", 1)]
        // "stopper" read five messages long ago and stopped; "healthy" commits everything after each burst.
        try OffsetCommitter(group: "stopper", bootstrapServers: noida.bootstrap, logger: logger).commit([keys[0]: 0, keys[1]: 0])
        let healthy = try OffsetCommitter(group: "healthy", bootstrapServers: noida.bootstrap, logger: logger)
        let stopping = Mutex(false)
        let done = DispatchSemaphore(value: 0)
        let failure = Mutex<String?>(nil)
        // The clients move to the workload's thread, their only user from here on.
        OSThread.detach(name: "test-workload") {
            var produced: Int64 = 0
            while !stopping.withLock({ $0 }) {
                do {
                    for key in keys { producer.produce(to: key, count: 30) }
                    try producer.flush()
                    produced += 30
                    try healthy.commit([keys[0]: produced, keys[1]: produced])
                } catch {
                    failure.withLock { $0 = "\(error)" }
                }
                Thread.sleep(forTimeInterval: 1.5)
            }
            done.signal()
        }
        defer {
            stopping.withLock { $0 = true }
            done.wait()
        }

        var cluster = ClusterConfiguration(name: "noida", bootstrapServers: [noida.bootstrap])
        cluster.clientRecreatePolls = 0
        cluster.groupPartitionSeries = granularity == .partition
        var configuration = EndToEndTests.configuration(cluster, interval: 1)
        configuration.analysis.statusWindowPolls = 3
        configuration.configuredRateWindowSeconds = 6
        let daemon = try Daemon(configuration: configuration, logger: logger)
        try daemon.start()
        defer { daemon.stop() }

        let rules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("alerts/lagwatch-rules.yml").path
        let prometheus = try PrometheusServer(binary: prometheusBinary, target: "127.0.0.1:\(daemon.port)", ruleFiles: [rules])
        defer { prometheus.stop() }

        // Rates need two polls and Prometheus's rate() two scrapes; lag seconds need a timeline.
        #expect(eventually(within: 40) {
            (try? prometheus.query("kafka_consumergroup_topic_consume_rate_messages_per_second{consumergroup=\"healthy\"}"))?.isEmpty == false
                && (try? prometheus.query("kafka_consumergroup_max_lag_seconds{consumergroup=\"healthy\"}"))?.isEmpty == false
        })
        Thread.sleep(forTimeInterval: 3)

        let values = ["cluster": "noida", "consumergroup": "healthy", "topic": "events"]
        var empty: [String] = []
        var queried = 0
        for dashboard in try ShippedDashboard.all() {
            for panel in dashboard.panels {
                for expression in panel.expressions {
                    let promql = ShippedDashboard.substitute(expression, values, interval: "10s")
                    queried += 1
                    do {
                        if try prometheus.query(promql).isEmpty { empty.append("\(dashboard.file): \(panel.title): \(promql)") }
                    } catch {
                        Issue.record("\(dashboard.file): \(panel.title): \(error)")
                    }
                }
            }
        }
        #expect(queried > 35)
        let perPartition = try prometheus.query("kafka_consumergroup_lag{consumergroup=\"healthy\"}")
        #expect(perPartition.isEmpty == (granularity == .topic), "per-partition group series only at partition granularity")
        #expect(empty.isEmpty, "panels without data:\n\(empty.joined(separator: "\n"))")

        // The stopped consumer's alert is pending (its `for` is 5 minutes) or firing; the healthy one has none.
        #expect(try eventually(within: 20) {
            try prometheus.alerts().contains { alert in
                let labels = alert["labels"] as? [String: String] ?? [:]
                return labels["alertname"] == "KafkaConsumerStopped" && labels["consumergroup"] == "stopper"
            }
        })
        // The group dashboard's status tile reads the status as its place from best to worst, which its value
        // mappings turn back into the name: STOP for the stopper, OK for the healthy one.
        let dashboard = try #require(try ShippedDashboard.all().first { $0.file == "lagwatch-consumer-group.json" })
        let tile = try #require(dashboard.panels.first { $0.title == "Status" }?.expressions.first)
        func code(_ group: String) throws -> String? {
            let promql = ShippedDashboard.substitute(tile, ["cluster": "noida", "consumergroup": group], interval: "10s")
            return (try prometheus.query(promql).first?["value"] as? [Any])?.last as? String
        }
        #expect(try code("stopper") == "\(ConsumerStatus.allCases.firstIndex(of: .stop)!)")
        #expect(try code("healthy") == "\(ConsumerStatus.allCases.firstIndex(of: .ok)!)")
        let healthyAlerts = try prometheus.alerts().filter { ($0["labels"] as? [String: String])?["consumergroup"] == "healthy" }
        #expect(healthyAlerts.isEmpty, "\(healthyAlerts)")
        #expect(failure.withLock { $0 } == nil)
    }
}
