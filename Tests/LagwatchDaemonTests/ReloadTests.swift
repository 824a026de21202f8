import Foundation
import LagwatchConfig
import LagwatchDaemon
import LagwatchKafka
import LagwatchModel
import LagwatchTestSupport
import Testing

/// Configuration reload: in process through ``Daemon/reload(_:)``, and through SIGHUP to the real binary.
@Suite(.serialized) struct ReloadTests {
    static func metrics(_ port: UInt16) throws -> Exposition {
        try Exposition(TestHTTPClient.request(port: port, path: "/metrics").text)
    }

    @Test func aValidReloadKeepsUnchangedPollersAndAnInvalidOneIsRefused() throws {
        let world = try MockWorld(brokers: 1)
        defer { world.shutdown() }
        try world.topic("t", partitions: 1)
        try world.produce("t", 0, count: 10)
        try world.commit("g", [TopicPartition("t", 0): 4])
        var one = ClusterConfiguration(name: "one", bootstrapServers: [world.bootstrap])
        one.staticGroups = [StaticGroup(name: "g", topics: ["t"])]
        var configuration = EndToEndTests.configuration(one, interval: 1)
        let daemon = try Daemon(configuration: configuration, logger: TestLogger.quiet())
        try daemon.start()
        defer { daemon.stop() }
        #expect(try eventually(within: 10) { (try Self.metrics(daemon.port).value("lagwatch_polls_total", ["cluster_name": "one"]) ?? 0) >= 2 })
        #expect(try Self.metrics(daemon.port).value("lagwatch_config_last_reload_successful") == 1)

        // Add a cluster; "one" is unchanged and keeps its poller, so its poll count goes on.
        var two = ClusterConfiguration(name: "two", bootstrapServers: [world.bootstrap])
        two.staticGroups = [StaticGroup(name: "g", topics: ["t"])]
        configuration.clusters = [one, two]
        let before = try #require(try Self.metrics(daemon.port).value("lagwatch_polls_total", ["cluster_name": "one"]))
        let added = try daemon.reload(configuration).get()
        #expect(added == ReloadOutcome(added: ["two"], unchanged: ["one"]))
        #expect(try eventually(within: 10) {
            let metrics = try Self.metrics(daemon.port)
            return metrics.value("kafka_consumergroup_lag", ["cluster_name": "two", "consumergroup": "g"]) == 6
        })
        // A fresh poller would publish polls_total = 1 within a second; the kept one only counts on.
        var seen: [Double] = []
        for _ in 0..<6 {
            seen.append(try Self.metrics(daemon.port).value("lagwatch_polls_total", ["cluster_name": "one"]) ?? 0)
            Thread.sleep(forTimeInterval: 0.5)
        }
        #expect(seen.allSatisfy { $0 >= before } && seen.last! > before, "\(seen) after \(before)")
        #expect(try Self.metrics(daemon.port).value("lagwatch_config_reloads_total", ["result": "success"]) == 1)

        // A property librdkafka rejects: refused, counted, and both clusters still served.
        var broken = two
        broken.properties = [KafkaProperty("no.such.property", "x")]
        configuration.clusters = [one, broken]
        guard case .failure(let error) = daemon.reload(configuration) else {
            Issue.record("a rejected librdkafka property must refuse the reload")
            return
        }
        #expect("\(error)".contains("cluster 'two'") && "\(error)".contains("no.such.property"))
        let refused = try Self.metrics(daemon.port)
        #expect(refused.value("lagwatch_config_last_reload_successful") == 0)
        #expect(refused.value("lagwatch_config_reloads_total", ["result": "failure"]) == 1)
        #expect(refused.value("lagwatch_up", ["cluster_name": "two"]) == 1)

        // Remove "two" and change "one"'s poll settings: two's series go, one is polled afresh.
        one.metadataTimeoutMilliseconds = 3000
        configuration.clusters = [one]
        let changed = try daemon.reload(configuration).get()
        #expect(changed == ReloadOutcome(removed: ["two"], restarted: ["one"]))
        let final = try Self.metrics(daemon.port)
        #expect(final.samples("lagwatch_up", ["cluster_name": "two"]).isEmpty)
        #expect(final.value("lagwatch_up", ["cluster_name": "one"]) == 1, "one's snapshot is served until its new poller polls")
        #expect(final.value("lagwatch_config_last_reload_successful") == 1)
    }

    @Test func sighupReloadsTheFileAndABrokenFileIsRefusedWhileTheDaemonRuns() throws {
        let world = try MockWorld(brokers: 1)
        defer { world.shutdown() }
        try world.topic("t", partitions: 1)
        try world.produce("t", 0, count: 10)
        try world.commit("first", [TopicPartition("t", 0): 3])
        try world.commit("second", [TopicPartition("t", 0): 8])
        let file = NSTemporaryDirectory() + "lagwatch-reload-\(getpid()).yml"
        defer { try? FileManager.default.removeItem(atPath: file) }
        func write(groups: [String]) throws {
            let yaml = """
                poll_interval: 1s
                clusters:
                  - name: mock
                    bootstrap_servers: ["\(world.bootstrap)"]
                    groups:
                      static: [\(groups.map { "{name: \($0), topics: [t]}" }.joined(separator: ", "))]
                """
            try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        }
        try write(groups: ["first"])
        let port = try freeLoopbackPort()
        let (process, errors) = try OperationsTests.launch(["run", "--config.file", file, "--web.listen-address", "127.0.0.1:\(port)"])
        defer {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
        #expect(eventually(within: 15) { (try? Self.metrics(port))?.value("kafka_consumergroup_lag", ["consumergroup": "first"]) == 7 })

        try write(groups: ["first", "second"])
        kill(process.processIdentifier, SIGHUP)
        #expect(eventually(within: 10) { (try? Self.metrics(port))?.value("kafka_consumergroup_lag", ["consumergroup": "second"]) == 2 })
        #expect(try Self.metrics(port).value("lagwatch_config_reloads_total", ["result": "success"]) == 1)

        try "poll_interval: 1s\nclusterz: []\n".write(toFile: file, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        #expect(eventually(within: 10) { (try? Self.metrics(port))?.value("lagwatch_config_last_reload_successful") == 0 })
        #expect(process.isRunning)
        // The old configuration goes on: both groups are still polled.
        #expect(eventually(within: 5) { (try? Self.metrics(port))?.value("kafka_consumergroup_lag", ["consumergroup": "second"]) == 2 })

        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("Configuration reloaded"), "\(log)")
        #expect(log.contains("Configuration reload refused") && log.contains("\(file):2: clusterz: unknown key"), "\(log)")
    }
}
