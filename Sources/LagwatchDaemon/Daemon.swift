import Dispatch
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

    /// Creates the Kafka clients for every cluster.
    ///
    /// - Throws: ``ConfigurationError`` naming a librdkafka property it rejected.
    public init(
        configuration: Configuration,
        logger: Logger,
        makeClient: ((ClusterConfiguration) -> ClusterPoller.ClientFactory)? = nil
    ) throws {
        self.configuration = configuration
        self.logger = logger
        let names = configuration.clusters.map(\.name)
        store = SnapshotStore(
            clusterNames: names,
            info: ExporterInfo(version: Self.version, librdkafkaVersion: KafkaHandle.librdkafkaVersion))
        let factory = makeClient ?? Self.kafkaClientFactory(logger: logger)
        var loops: [PollLoop] = []
        for cluster in configuration.clusters {
            do {
                let poller = try ClusterPoller(cluster: cluster, logger: logger, makeClient: factory(cluster))
                loops.append(PollLoop(poller: poller, store: store, intervalSeconds: configuration.pollIntervalSeconds))
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
            store: store, telemetryPath: configuration.telemetryPath, clusterNames: configuration.clusters.map(\.name),
            pollIntervalSeconds: configuration.pollIntervalSeconds)
        server = try HTTPServer(listenAddress: configuration.listenAddress) { routes.handle($0) }
        logger.info(
            "Listening",
            metadata: [
                "web.listen_address": "\(configuration.listenAddress)", "web.port": "\(port)",
                "web.telemetry_path": "\(configuration.telemetryPath)",
            ])
        for loop in loops { loop.start() }
    }

    /// Stops polling (waiting up to `timeoutSeconds` for polls in progress) and closes the HTTP server.
    public func stop(timeoutSeconds: Double = 10) {
        for loop in loops { loop.requestStop() }
        let deadline = DispatchTime.now() + .milliseconds(Int(timeoutSeconds * 1000))
        if loops.contains(where: { !$0.waitUntilStopped(deadline: deadline) }) {
            logger.warning("A poll did not end in time; stopping anyway")
        }
        server?.stop()
        server = nil
    }
}
