import Foundation
import LagwatchConfig
import LagwatchDaemon
import LagwatchKafka
import LagwatchModel
import LagwatchTestSupport
import Testing

@Suite(.serialized) struct SecretTests {
    /// A SASL password given through the config never shows in logs (at the most verbose level, with
    /// librdkafka's own debug logging on) or in any HTTP response.
    @Test func aConfiguredPasswordAppearsInNoLogAndNoResponse() throws {
        let secret = "hunter2-\(UInt32.random(in: 0...UInt32.max))"
        let world = try MockWorld(brokers: 1)
        defer { world.shutdown() }
        try world.topic("t", partitions: 1)
        let yaml = """
            clusters:
              - name: secure
                bootstrap_servers: ["\(world.bootstrap)"]
                timeouts: {metadata: 1s, offsets: 1s, watermarks: 1s}
                groups:
                  static: [{name: g, topics: [t]}]
                librdkafka:
                  security.protocol: SASL_PLAINTEXT
                  sasl.mechanisms: PLAIN
                  sasl.username: lagwatch
                  sasl.password: ${env:LAGWATCH_TEST_SECRET}
                  debug: all
            """
        var configuration = try ConfigurationLoader.parse(yaml, fileName: "t.yml", environment: ["LAGWATCH_TEST_SECRET": secret])
        #expect(configuration.clusters[0].properties.contains { $0.value == secret })
        configuration.listenAddress = "127.0.0.1:0"
        configuration.pollIntervalSeconds = 1
        let (logger, lines) = TestLogger.collecting(level: .trace)
        let daemon = try Daemon(configuration: configuration, logger: logger)
        try daemon.start()
        defer { daemon.stop() }
        #expect(try eventually(within: 15) {
            try TestHTTPClient.request(port: daemon.port, path: "/metrics").text.contains("lagwatch_polls_total{cluster_name=\"secure\"} 2")
        })
        for path in ["/metrics", "/", "/readyz", "/healthz", "/nope", "/api/v1/groups", "/api/v1/groups/g", "/groups/g"] {
            let plain = try TestHTTPClient.request(port: daemon.port, path: path)
            #expect(!plain.text.contains(secret), "\(path)")
            let zipped = try TestHTTPClient.request(port: daemon.port, path: path, headers: ["Accept-Encoding": "gzip"])
            let body = zipped.headers["content-encoding"] == "gzip" ? try TestHTTPClient.gunzip(zipped.body) : zipped.body
            #expect(!String(decoding: body, as: UTF8.self).contains(secret), "\(path) gzip")
        }
        let logged = lines.snapshot
        #expect(logged.count > 50, "librdkafka debug logging should have produced many lines")
        #expect(!logged.contains { $0.contains(secret) })
    }
}
