import Foundation
import LagwatchConfig
import LagwatchDaemon
import LagwatchKafka
import LagwatchModel
import LagwatchTestSupport
import LagwatchWorkload
import Testing

/// The trial's broker blip: with the broker gone for 72 s, every consumer-group series left `/metrics` and
/// the firing critical alerts resolved, to fire again ~6 minutes later after a fresh `for:`. Here noida-db is
/// frozen (SIGSTOP) under a real Prometheus running the shipped rules, with every `for:` read in seconds
/// instead of minutes and `keep_firing_for:` in three times as many seconds (the same rules otherwise): the
/// STOP alert stays firing through the outage and after it, with the same start, and the cluster-unreachable
/// alert fires during it.
@Suite(.serialized) struct OutageAlertTests {
    /// The shipped rules with minutes as seconds and hours as minutes in `for:` and `keep_firing_for:`.
    static func scaledRules() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("alerts/lagwatch-rules.yml"), encoding: .utf8)
        let scaled = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let trimmed = line.drop { $0 == " " }
            guard trimmed.hasPrefix("for: ") || trimmed.hasPrefix("keep_firing_for: "), line.last == "m" || line.last == "h"
            else { return String(line) }
            // keep_firing_for gets three times the scaled value: the outage below lasts about 10 s of real time
            // on a loaded machine, and the point is that the alert outlives it.
            if trimmed.hasPrefix("keep_firing_for: "), line.last == "m", let minutes = Int(trimmed.dropFirst(17).dropLast()) {
                return String(line.prefix { $0 == " " }) + "keep_firing_for: \(3 * minutes)s"
            }
            return String(line.dropLast()) + (line.last == "m" ? "s" : "m")
        }.joined(separator: "\n")
        let path = NSTemporaryDirectory() + "lagwatch-scaled-rules-\(getpid()).yml"
        try scaled.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func alert(_ prometheus: PrometheusServer, _ name: String, group: String? = nil) throws -> [String: Any]? {
        try prometheus.alerts().first { alert in
            let labels = alert["labels"] as? [String: String] ?? [:]
            return labels["alertname"] == name && (group == nil || labels["consumergroup"] == group)
        }
    }

    @Test func aFiringConsumerAlertHoldsThroughABrokerOutage() throws {
        let noidaBinary = try #require(NoidaServer.binary(), "noida-db is missing: pip install noida-db")
        let prometheusBinary = try #require(PrometheusServer.binary(), "prometheus is missing: apt-get install prometheus")
        let noida = try NoidaServer(binary: noidaBinary)
        defer { noida.stop() }
        let logger = TestLogger.quiet()
        let producer = try MessageProducer(bootstrapServers: noida.bootstrap, logger: logger)
        try producer.createTopic("events", partitions: 1)
        producer.produce(to: TopicPartition("events", 0), count: 20)
        try producer.flush()
        // "stopper" is a consumer that read 5 of 20 messages and stopped: STOP after three polls.
        try OffsetCommitter(group: "stopper", bootstrapServers: noida.bootstrap, logger: logger).commit([TopicPartition("events", 0): 5])

        var cluster = ClusterConfiguration(name: "noida", bootstrapServers: [noida.bootstrap])
        cluster.clientRecreatePolls = 0
        cluster.metadataTimeoutMilliseconds = 1000
        var configuration = EndToEndTests.configuration(cluster, interval: 1)
        configuration.analysis.statusWindowPolls = 3
        let daemon = try Daemon(configuration: configuration, logger: logger)
        try daemon.start()
        defer { daemon.stop() }
        let rules = try Self.scaledRules()
        defer { try? FileManager.default.removeItem(atPath: rules) }
        let prometheus = try PrometheusServer(binary: prometheusBinary, target: "127.0.0.1:\(daemon.port)", ruleFiles: [rules])
        defer { prometheus.stop() }

        #expect(try eventually(within: 60) { try alert(prometheus, "KafkaConsumerStopped", group: "stopper")?["state"] as? String == "firing" })
        let activeAt = try #require(try alert(prometheus, "KafkaConsumerStopped", group: "stopper")?["activeAt"] as? String)

        // The broker freezes: lagwatch says so, the group's series leave /metrics, the alert stays firing.
        noida.pause()
        #expect(try eventually(within: 30) { try prometheus.query("lagwatch_up == 0").count == 1 })
        #expect(try eventually(within: 10) { try prometheus.query("kafka_consumergroup_status{consumergroup=\"stopper\"}").isEmpty })
        var states: [String] = []
        for _ in 0..<6 {
            states.append(try alert(prometheus, "KafkaConsumerStopped", group: "stopper")?["state"] as? String ?? "gone")
            Thread.sleep(forTimeInterval: 1)
        }
        #expect(states.allSatisfy { $0 == "firing" }, "during the outage: \(states)")
        #expect(try eventually(within: 15) { try alert(prometheus, "LagwatchClusterUnreachable")?["state"] as? String == "firing" })

        // Back: the same alert, still firing, with the start it had (no fresh `for:`).
        noida.resume()
        #expect(try eventually(within: 30) { try prometheus.query("lagwatch_up == 1").count == 1 })
        #expect(try eventually(within: 10) { !(try prometheus.query("kafka_consumergroup_status{consumergroup=\"stopper\",status=\"STOP\"} == 1").isEmpty) })
        let after = try #require(try alert(prometheus, "KafkaConsumerStopped", group: "stopper"))
        #expect(after["state"] as? String == "firing")
        #expect(after["activeAt"] as? String == activeAt)
    }
}
