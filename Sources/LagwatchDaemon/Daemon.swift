import Dispatch
import Foundation
public import LagwatchConfig
import LagwatchExposition
import LagwatchHTTP
import LagwatchKafka
import LagwatchModel
public import Logging

/// The running exporter: one poll loop per cluster, the snapshot store, and the HTTP server. Created in two
/// steps so that every configuration error surfaces before the port is bound: `init` builds the Kafka clients
/// (librdkafka checks its properties there), ``start()`` binds and starts polling.
public final class Daemon: @unchecked Sendable {
    /// lagwatch's version.
    public static let version = "0.1.0"

    private let configuration: Configuration
    private let logger: Logger
    /// The snapshots and the rendered body.
    public let store: SnapshotStore
    private let loops: [PollLoop]
    private var server: HTTPServer?
    private let notifier: SystemdNotifier
    private let watchdogPingSeconds: Double?
    private let watchdogStop = DispatchSemaphore(value: 0)

    /// Creates the Kafka clients for every cluster. `notifier` and `watchdogPingSeconds` come from systemd's
    /// environment (see ``SystemdNotifier``); the defaults send nothing.
    ///
    /// - Throws: ``ConfigurationError`` naming a librdkafka property it rejected.
    public init(
        configuration: Configuration,
        logger: Logger,
        notifier: SystemdNotifier = SystemdNotifier(socketPath: nil),
        watchdogPingSeconds: Double? = nil,
        makeClient: ((ClusterConfiguration) -> ClusterPoller.ClientFactory)? = nil
    ) throws {
        self.configuration = configuration
        self.logger = logger
        self.notifier = notifier
        self.watchdogPingSeconds = watchdogPingSeconds
        store = SnapshotStore(
            clusterNames: configuration.clusters.map(\.name),
            info: ExporterInfo(version: Self.version, librdkafkaVersion: KafkaHandle.librdkafkaVersion))
        let factory = makeClient ?? Self.kafkaClientFactory(logger: logger)
        var loops: [PollLoop] = []
        for cluster in configuration.clusters {
            do {
                let poller = try ClusterPoller(
                    cluster: cluster, analysis: configuration.analysis, logger: logger,
                    makeClient: factory(cluster))
                loops.append(
                    PollLoop(poller: poller, store: store, intervalSeconds: configuration.pollIntervalSeconds) {
                        [notifier] snapshot in notifier.notify("STATUS=" + Self.status(snapshot))
                    })
            } catch let error as KafkaError where error.code == .configuration {
                throw ConfigurationError(location: "cluster '\(cluster.name)'", error.message)
            }
        }
        self.loops = loops
    }

    /// Clients over librdkafka, with a logger that names the cluster.
    static func kafkaClientFactory(logger: Logger) -> (ClusterConfiguration) -> ClusterPoller.ClientFactory {
        { cluster in
            var clusterLogger = logger
            clusterLogger[metadataKey: "kafka.cluster"] = "\(cluster.name)"
            let kafkaLogger = clusterLogger
            return {
                try KafkaClusterClient(
                    bootstrapServers: cluster.bootstrapServers, properties: cluster.properties, logger: kafkaLogger)
            }
        }
    }

    /// The port the HTTP server listens on (useful when the configured port was 0).
    public var port: UInt16 { server?.port ?? 0 }

    /// Binds the HTTP listener and starts polling.
    ///
    /// - Throws: ``HTTPServer/StartError`` when the address cannot be bound.
    public func start() throws {
        let routes = Routes(
            store: store, telemetryPath: configuration.telemetryPath, pollIntervalSeconds: configuration.pollIntervalSeconds)
        server = try HTTPServer(listenAddress: configuration.listenAddress) { routes.handle($0) }
        logger.info(
            "Listening",
            metadata: [
                "web.listen_address": "\(configuration.listenAddress)", "web.port": "\(port)",
                "web.telemetry_path": "\(configuration.telemetryPath)",
            ])
        for loop in loops { loop.start() }
        notifier.notify("READY=1\nSTATUS=Listening on \(configuration.listenAddress); polling \(loops.count) cluster(s)")
        if let interval = watchdogPingSeconds { startWatchdog(every: interval) }
    }

    /// The `STATUS=` line systemd shows for a completed poll.
    static func status(_ snapshot: ClusterSnapshot) -> String {
        let partitions = snapshot.topics.reduce(0) { $0 + $1.partitions.count }
        let state = snapshot.up ? "up" : "down"
        let failed = snapshot.stageErrors.keys.map(\.rawValue).sorted()
        return "cluster \(snapshot.clusterName) \(state): \(snapshot.brokers.count) brokers, \(partitions) partitions, "
            + "\(snapshot.groups.count) groups, poll \(Int(snapshot.pollDurationSeconds * 1000)) ms"
            + (failed.isEmpty ? "" : ", failed: \(failed.joined(separator: " "))")
    }

    /// Pings systemd's watchdog from a thread of its own until ``stop(timeoutSeconds:)``. It proves the process
    /// is scheduled and not deadlocked; a broker outage does not stop it (polls are bounded by their timeouts).
    private func startWatchdog(every seconds: Double) {
        let notifier = self.notifier
        let stop = watchdogStop
        let thread = Thread {
            repeat { notifier.notify("WATCHDOG=1") } while stop.wait(timeout: .now() + .milliseconds(Int(seconds * 1000))) == .timedOut
        }
        thread.name = "lagwatch-watchdog"
        thread.start()
    }

    /// Stops polling (waiting up to `timeoutSeconds` for polls in progress) and closes the HTTP server.
    public func stop(timeoutSeconds: Double = 10) {
        notifier.notify("STOPPING=1")
        watchdogStop.signal()
        for loop in loops { loop.requestStop() }
        let deadline = DispatchTime.now() + .milliseconds(Int(timeoutSeconds * 1000))
        if loops.contains(where: { !$0.waitUntilStopped(deadline: deadline) }) {
            logger.warning("A poll did not end in time; stopping anyway")
        }
        server?.stop()
        server = nil
    }
}
