import Foundation
import LagwatchConfig
import LagwatchDaemon
import LagwatchKafka
import LagwatchModel
import LagwatchTestSupport
import Testing

/// The `lagwatch` binary as an operator runs it: signals, exit codes, a port already taken, and one cluster
/// out of several unreachable.
@Suite(.serialized) struct OperationsTests {
    /// The executable `swift build --build-tests` produced next to the test bundle.
    static func binary() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent(".build/debug/lagwatch").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestFailure("\(path) is missing: run `swift build --build-tests` first (scripts/test.sh does)")
        }
        return path
    }

    static func launch(_ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary())
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return (process, errors)
    }

    /// `lagwatch bench` at a tiny shape polls its mock cluster without a stage error and exits 0. (It once
    /// dropped the mock cluster as soon as it was seeded, so every poll failed on a refused connection and
    /// the bench printed figures of nothing.)
    @Test func theBenchmarkPollsItsMockClusterAndFailsWhenAPollDoesNot() throws {
        let output = try ProcessRunner.run(try Self.binary(), [
            "bench", "--topics", "2", "--partitions", "2", "--groups", "2", "--polls", "1", "--scrapes", "3",
            "--serving-polls", "2", "--cpu-polls", "1",
        ])
        #expect(output.status == 0, "\(output.text)\(output.stderr)")
        #expect(!output.text.contains("errors"), "\(output.text)")
        // Two groups on two topics of two partitions, all committed: 8 group partitions with a lag value.
        #expect(output.text.contains("group partitions with lag: 8"), "\(output.text)")
        #expect(output.text.contains("child lagwatch memory: peak"), "\(output.text)")
        #expect(output.text.contains("child CPU per poll (user + system, "), "\(output.text)")
    }

    /// LAGWATCH_BENCH_WRAPPER runs the child under a profiler such as heaptrack: a script that starts the
    /// program in the background and waits. The memory printed must be the program's, not the script's, and
    /// ending the run must end the program too (SIGTERM to the script alone left it serving, orphaned).
    @Test func aWrappedBenchmarkChildIsMeasuredAndEndedThroughItsWrapper() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lagwatch-wrapper-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = directory.appendingPathComponent("wrap.sh").path
        let pidFile = directory.appendingPathComponent("pid").path
        try "\"$@\" >/dev/null 2>&1 &\necho $! > \(pidFile)\nwait\n".write(toFile: script, atomically: true, encoding: .utf8)
        // Under timeout: a benchmark waiting on a child its SIGTERM cannot reach would otherwise hang the suite.
        let output = try ProcessRunner.run("/usr/bin/timeout", [
            "90", "/usr/bin/env", "LAGWATCH_BENCH_WRAPPER=/bin/sh \(script)", try Self.binary(),
            "bench", "--topics", "2", "--partitions", "2", "--groups", "2", "--polls", "1", "--scrapes", "3",
            "--serving-polls", "2", "--cpu-polls", "1",
        ])
        #expect(output.status == 0, "\(output.text)\(output.stderr)")
        let line = try #require(output.text.split(separator: "\n").first { $0.hasPrefix("child lagwatch memory: peak ") })
        let peakKB = Int(line.dropFirst("child lagwatch memory: peak ".count).prefix { $0.isNumber }) ?? 0
        // A shell's peak is 1-4 MB; lagwatch's, with librdkafka and its threads, well over 8.
        #expect(peakKB > 8_000, "\(line)")
        let program = try #require(pid_t(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // Ended: gone, or a zombie its new parent has not reaped yet.
        func running() -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(program)/stat", encoding: .utf8) else { return false }
            return stat.split(separator: ")").last?.split(separator: " ").first != "Z"
        }
        #expect(eventually(within: 15) { !running() }, "the wrapped lagwatch (pid \(program)) still runs")
        if running() { kill(program, SIGKILL) }
    }

    @Test func sigtermEndsTheDaemonWithExitZeroWhileAPollWaitsOnKafka() throws {
        let port = try freeLoopbackPort()
        // An unreachable broker: the poll in progress is waiting on Kafka when the signal comes.
        let (process, _) = try Self.launch([
            "run", "--kafka.server", "127.0.0.1:1", "--web.listen-address", "127.0.0.1:\(port)", "--log.level", "error",
        ])
        #expect(eventually(within: 10) { (try? TestHTTPClient.request(port: port, path: "/healthz").status) == 200 })
        process.terminate()
        #expect(eventually(within: 15) { !process.isRunning })
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }

    @Test func aSecondInstanceOnTheSamePortFailsWithAClearMessage() throws {
        let port = try freeLoopbackPort()
        let arguments = ["run", "--kafka.server", "127.0.0.1:1", "--web.listen-address", "127.0.0.1:\(port)", "--log.level", "error"]
        let (first, _) = try Self.launch(arguments)
        defer {
            first.terminate()
            first.waitUntilExit()
        }
        #expect(eventually(within: 10) { (try? TestHTTPClient.request(port: port, path: "/healthz").status) == 200 })
        let (second, errors) = try Self.launch(arguments)
        second.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(second.terminationStatus == 1)
        #expect(message.contains("cannot listen on '127.0.0.1:\(port)': address already in use"), "\(message)")
    }

    /// The README's first command: `lagwatch` with no broker and no file runs the embedded demo cluster,
    /// whose groups have lag from the first poll on.
    @Test func withNoClusterGivenTheDemoServesLag() throws {
        let port = try freeLoopbackPort()
        for arguments in [["--web.listen-address", "127.0.0.1:\(port)"], ["demo", "--web.listen-address", "127.0.0.1:\(port)"]] {
            let (process, _) = try Self.launch(arguments + ["--log.level", "error"])
            var body = ""
            #expect(eventually(within: 30) {
                body = (try? TestHTTPClient.request(port: port, path: "/metrics").text) ?? ""
                return body.contains("kafka_consumergroup_lag{")
            }, "\(arguments)")
            #expect(body.contains("cluster_name=\"demo\""), "\(arguments)")
            #expect(body.contains("lagwatch_up{cluster_name=\"demo\"} 1"), "\(arguments)")
            process.terminate()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
    }

    @Test func versionNamesTheVersionFileAndTheLoadedLibrdkafka() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let version = try String(contentsOf: root.appendingPathComponent("VERSION"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let output = try ProcessRunner.run(try Self.binary(), ["--version"])
        #expect(output.status == 0)
        #expect(output.text.hasPrefix("lagwatch \(version) (revision "), "\(output.text)")
        // The library loaded at run time, as the process sees it, not the headers' version.
        #expect(output.text.hasSuffix("librdkafka \(KafkaHandle.librdkafkaVersion)\n"), "\(output.text)")
        #expect(Daemon.version == version)
    }

    @Test func helpShowsTheFlagsOfTheDefaultRunCommand() throws {
        for flag in ["--help", "-h", "help"] {
            let output = try ProcessRunner.run(try Self.binary(), [flag])
            #expect(output.status == 0)
            for expected in ["SUBCOMMANDS:", "check-config", "--kafka.server", "--config.file", "--web.listen-address", "--poll.interval"] {
                #expect(output.text.contains(expected), "\(flag) lacks \(expected)")
            }
        }
        // A subcommand's own help stays as the argument parser writes it.
        let demo = try ProcessRunner.run(try Self.binary(), ["demo", "--help"])
        #expect(!demo.text.contains("SUBCOMMANDS:"))
    }

    @Test func badConfigurationExitsTwoBeforeBinding() throws {
        let (process, errors) = try Self.launch(["run", "--kafka.server", "nohost", "--web.listen-address", "127.0.0.1:0"])
        process.waitUntilExit()
        #expect(process.terminationStatus == 2)
        #expect(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            == "lagwatch: --kafka.server: 'nohost' is not HOST:PORT\n")
    }

    @Test func anUnreachableClusterDoesNotStopTheOthers() throws {
        let world = try MockWorld(brokers: 1)
        defer { world.shutdown() }
        try world.topic("t", partitions: 1)
        try world.produce("t", 0, count: 9)
        try world.commit("g", [TopicPartition("t", 0): 4])
        var reachable = ClusterConfiguration(name: "reachable", bootstrapServers: [world.bootstrap])
        reachable.staticGroups = [StaticGroup(name: "g", topics: ["t"])]
        var unreachable = ClusterConfiguration(name: "unreachable", bootstrapServers: ["127.0.0.1:1"])
        unreachable.metadataTimeoutMilliseconds = 1000
        var configuration = Configuration()
        configuration.clusters = [reachable, unreachable]
        configuration.listenAddress = "127.0.0.1:0"
        configuration.pollIntervalSeconds = 1
        let daemon = try Daemon(configuration: configuration, logger: TestLogger.quiet())
        try daemon.start()
        defer { daemon.stop() }
        var metrics: Exposition?
        #expect(try eventually(within: 15) {
            metrics = try Exposition(TestHTTPClient.request(port: daemon.port, path: "/metrics").text)
            return metrics?.value("lagwatch_up", ["cluster_name": "unreachable"]) == 0
                && metrics?.value("lagwatch_up", ["cluster_name": "reachable"]) == 1
        })
        #expect(metrics?.value("kafka_consumergroup_lag", ["cluster_name": "reachable", "consumergroup": "g"]) == 5)
        #expect(metrics?.samples("kafka_brokers", ["cluster_name": "unreachable"]).isEmpty == true)
    }

    @Test func kafkaTLSAndSASLSettingsReachLibrdkafkaAndAnUnreadableCAIsAClearError() throws {
        let file = NSTemporaryDirectory() + "lagwatch-kafka-tls-\(getpid()).yml"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try """
            clusters:
              - name: secure
                bootstrap_servers: ["127.0.0.1:1"]
                librdkafka:
                  security.protocol: SASL_SSL
                  sasl.mechanism: SCRAM-SHA-512
                  sasl.username: lagwatch
                  sasl.password: ${env:LAGWATCH_TEST_KAFKA_PASSWORD}
                  ssl.ca.location: /nonexistent/kafka-ca.pem
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.binary())
        process.arguments = ["run", "--config.file", file, "--web.listen-address", "127.0.0.1:0"]
        process.environment = ["LAGWATCH_TEST_KAFKA_PASSWORD": "scram-secret-7f3a"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 2)
        #expect(message.contains("cluster 'secure'") && message.contains("ssl.ca.location"), "\(message)")
        #expect(!message.contains("scram-secret-7f3a"))
    }
}
