import Foundation
import LagwatchConfig
import LagwatchDaemon
import LagwatchKafka
import LagwatchModel
import LagwatchTestSupport
import Testing

/// Consumer status judged by the whole daemon on a mock cluster, from offsets committed over real polls.
@Suite(.serialized) struct StatusEndToEndTests {
    @Test func aConsumerThatStopsTurnsStopAndOneThatRewindsTurnsRewind() throws {
        let world = try MockWorld(brokers: 1)
        defer { world.shutdown() }
        try world.topic("events", partitions: 1)
        try world.produce("events", 0, count: 100)
        let events = TopicPartition("events", 0)
        try world.commit("stopper", [events: 10])
        try world.commit("rewinder", [events: 80])
        try world.commit("healthy", [events: 100])

        var cluster = ClusterConfiguration(name: "mock", bootstrapServers: [world.bootstrap])
        cluster.staticGroups = ["stopper", "rewinder", "healthy"].map { StaticGroup(name: $0, topics: ["events"]) }
        var configuration = EndToEndTests.configuration(cluster, interval: 1)
        configuration.analysis.statusWindowPolls = 3
        configuration.analysis.exportsPartitionStatus = true
        let daemon = try Daemon(configuration: configuration, logger: TestLogger.quiet())
        try daemon.start()
        defer { daemon.stop() }
        func status(_ group: String) throws -> String? {
            let samples = try EndToEndTests.scrape(daemon.port).samples("kafka_consumergroup_status", ["consumergroup": group])
            return samples.first { $0.value == "1" }?.labels["status"]
        }
        #expect(try eventually(within: 10) { try status("stopper") == "OK" })

        // Both consumers move for two polls; then one stops and the other steps back.
        Thread.sleep(forTimeInterval: 1.5)
        try world.commit("stopper", [events: 20])
        try world.commit("rewinder", [events: 90])
        Thread.sleep(forTimeInterval: 1.5)
        try world.commit("stopper", [events: 30])
        #expect(try status("stopper") == "OK", "still moving within the window")
        try world.commit("rewinder", [events: 40])

        #expect(try eventually(within: 8) { try status("rewinder") == "REWIND" })
        #expect(try eventually(within: 8) { try status("stopper") == "STOP" })
        let metrics = try EndToEndTests.scrape(daemon.port)
        #expect(metrics.value("kafka_consumergroup_status", ["consumergroup": "healthy", "status": "OK"]) == 1)
        #expect(metrics.value("kafka_consumergroup_status_partitions", ["consumergroup": "stopper", "status": "STOP"]) == 1)
        #expect(metrics.value("kafka_consumergroup_partition_status", ["consumergroup": "stopper", "partition": "0", "status": "STOP"]) == 1)
        #expect(metrics.value("kafka_consumergroup_catchup_eta_seconds", ["consumergroup": "healthy"]) == 0)
        #expect(metrics.samples("kafka_consumergroup_catchup_eta_seconds", ["consumergroup": "stopper"]).isEmpty)
        #expect(metrics.value("lagwatch_status_window_polls", ["cluster_name": "mock"]) == 3)

        // The rewinder moves on and leaves REWIND once the step back is out of the window.
        try world.commit("rewinder", [events: 50])
        #expect(try eventually(within: 8) { try status("rewinder") == "OK" })
    }
}
