import Foundation
import LagwatchTestSupport
import Testing

/// Configurations that cannot run are refused by `check-config` and by `run` alike, with exit 2 and the
/// same message: both go through one validation path, librdkafka's own checks included.
@Suite(.serialized) struct RefusedConfigurationTests {
    static let cluster = "clusters:\n  - name: prod\n    bootstrap_servers: [\"127.0.0.1:1\"]\n"

    /// (file text, what the message must contain).
    static let cases: [(String, String)] = [
        ("clusters: []\n", "no cluster configured"),
        ("poll_interval: 15s\n", "no cluster configured"),
        (cluster + "    librdkafka:\n      foo.bar.baz: \"1\"\n", "cluster 'prod': librdkafka property 'foo.bar.baz'"),
        (cluster + "    librdkafka:\n      sasl.passwrd: hunter2\n", "cluster 'prod': librdkafka property 'sasl.passwrd'"),
        (cluster + "    librdkafka:\n      security.protocol: SASL_SSLX\n", "cluster 'prod': librdkafka property 'security.protocol'"),
        (cluster + "    librdkafka:\n      statistics.interval.ms: \"-5\"\n", "cluster 'prod': librdkafka property 'statistics.interval.ms'"),
        (cluster + "    librdkafka:\n      security.protocol: SASL_PLAINTEXT\n      sasl.mechanism: BOGUS\n",
         "cluster 'prod': cannot create Kafka client"),
        (cluster + "    librdkafka:\n      security.protocol: SSL\n      ssl.ca.location: /nonexistent/ca.pem\n",
         "cluster 'prod': cannot create Kafka client"),
    ]

    /// Runs the binary with `arguments` to its end; returns its exit status and standard error.
    static func run(_ arguments: [String]) throws -> (Int32, String) {
        let (process, errors) = try OperationsTests.launch(arguments)
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test(arguments: cases.indices)
    func refusedByCheckConfigAndRunWithTheSameMessage(index: Int) throws {
        let (text, expected) = Self.cases[index]
        let file = NSTemporaryDirectory() + "lagwatch-refused-\(getpid())-\(index).yml"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let (checkStatus, checkErrors) = try Self.run(["check-config", file])
        let (runStatus, runErrors) = try Self.run(["run", "--config.file", file, "--web.listen-address", "127.0.0.1:0"])
        #expect(checkStatus == 2, "check-config: \(checkErrors)")
        #expect(runStatus == 2, "run: \(runErrors)")
        #expect(checkErrors.contains(expected), "check-config said: \(checkErrors)")
        #expect(runErrors == checkErrors, "run and check-config disagree")
        #expect(!checkErrors.contains("hunter2"), "a value is never echoed")
    }

    @Test func aClusterGivenOnTheCommandLineCompletesAFileWithoutOne() throws {
        let file = NSTemporaryDirectory() + "lagwatch-flags-\(getpid()).yml"
        try "poll_interval: 15s\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let port = try freeLoopbackPort()
        let (process, _) = try OperationsTests.launch([
            "run", "--config.file", file, "--kafka.server", "127.0.0.1:1", "--web.listen-address", "127.0.0.1:\(port)",
        ])
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        #expect(eventually(within: 10) { (try? TestHTTPClient.request(port: port, path: "/healthz").status) == 200 })
    }
}
