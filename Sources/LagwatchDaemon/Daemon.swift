import CBuildInfo
import Dispatch
public import LagwatchConfig
import LagwatchExposition
import LagwatchHTTP
import LagwatchKafka
import LagwatchThreads
import LagwatchModel
public import Logging
import Synchronization

/// The running exporter: one poll loop per cluster, the snapshot store, and the HTTP server. Created in two
/// steps so that every configuration error surfaces before the port is bound: `init` builds the Kafka clients
/// (librdkafka checks its properties there), ``start()`` binds and starts polling.
public final class Daemon: Sendable {
    /// lagwatch's version, from the VERSION file.
    public static let version = String(cString: lagwatch_build_version())
    /// The git revision the binary was built from, or `unknown`.
    public static let revision = String(cString: lagwatch_build_revision())
    /// One line for `--version`: lagwatch's version and revision, and the librdkafka version loaded at run time
    /// (which may differ from the headers it was built with).
    public static var versionLine: String {
        "lagwatch \(version) (revision \(revision)), librdkafka \(KafkaHandle.librdkafkaVersion)"
    }

    private let logger: Logger
    /// The snapshots and the rendered body.
    public let store: SnapshotStore
    /// Where the daemon is in its life; start and stop may come from different threads (tests, the signal
    /// loop), so the server is reached only under this lock.
    private let lifecycle = Mutex<Lifecycle>(.created)

    private enum Lifecycle {
        /// Built; nothing bound or polling.
        case created
        /// Serving on this server, polling.
        case started(HTTPServer)
        /// Stopped; it cannot start again.
        case stopped
    }

    /// ``start()`` was called on a daemon that was already started or stopped.
    public struct AlreadyStarted: Error, CustomStringConvertible {
        public var description: String { "the daemon was already started" }
    }
    private let notifier: SystemdNotifier
    private let watchdogPingSeconds: Double?
    private let watchdogStop = DispatchSemaphore(value: 0)
    private let makeClient: @Sendable (ClusterConfiguration) -> ClusterPoller.ClientFactory

    /// One cluster's poll loop and the settings it was built with.
    private struct Poller {
        var name: String
        var settings: PollerSettings
        var loop: PollLoop
    }

    /// The configuration in effect and its poll loops; replaced whole by ``reload(_:)``.
    private struct Running {
        var configuration: Configuration
        var pollers: [Poller]
    }

    private let running: Mutex<Running>

    /// Creates the Kafka clients for every cluster. `notifier` and `watchdogPingSeconds` come from systemd's
    /// environment (see ``SystemdNotifier``); the defaults send nothing.
    ///
    /// - Throws: ``ConfigurationError`` naming a librdkafka property it rejected.
    public init(
        configuration: Configuration,
        logger: Logger,
        notifier: SystemdNotifier = SystemdNotifier(socketPath: nil),
        watchdogPingSeconds: Double? = nil,
        makeClient: (@Sendable (ClusterConfiguration) -> ClusterPoller.ClientFactory)? = nil
    ) throws {
        self.logger = logger
        self.notifier = notifier
        self.watchdogPingSeconds = watchdogPingSeconds
        self.makeClient = makeClient ?? Self.kafkaClientFactory(logger: logger)
        store = SnapshotStore(
            clusterNames: configuration.clusters.map(\.name),
            info: ExporterInfo(version: Self.version, revision: Self.revision, librdkafkaVersion: KafkaHandle.librdkafkaVersion))
        running = Mutex(Running(configuration: configuration, pollers: []))
        try Self.checkTLS(configuration.webSecurity)
        let pollers = try configuration.clusters.map { try makePoller($0, configuration: configuration) }
        running.withLock { $0.pollers = pollers }
    }

    /// Builds a cluster's poller and its (not yet started) loop.
    private func makePoller(_ cluster: ClusterConfiguration, configuration: Configuration) throws -> Poller {
        // Checked first with a silent logger: the real client would log librdkafka's own complaint (an
        // unreadable CA file, say) before failing, so `run` would print more than `check-config` does.
        try Self.checkKafkaProperties(of: cluster)
        do {
            let poller = try ClusterPoller(
                cluster: cluster, analysis: configuration.analysis, logger: logger, makeClient: makeClient(cluster))
            let loop = PollLoop(poller: poller, store: store, intervalSeconds: configuration.pollIntervalSeconds) {
                [notifier] snapshot in notifier.notify("STATUS=" + Self.status(snapshot))
            }
            return Poller(
                name: cluster.name, settings: PollerSettings(cluster, configuration), loop: loop)
        } catch let error as KafkaError where error.code == .configuration || error.code == .clientCreation {
            throw Self.configurationError(error, cluster: cluster)
        }
    }

    /// A property librdkafka rejected, or one it could not act on (an unreadable ssl.ca.location, say), as
    /// the configuration error `run` and `check-config` both report.
    private static func configurationError(_ error: KafkaError, cluster: ClusterConfiguration) -> ConfigurationError {
        ConfigurationError(location: "cluster '\(cluster.name)'", error.message)
    }

    /// Checks what only librdkafka can check of every cluster's properties (unknown properties, values out
    /// of range, TLS files, SASL settings), as creating the cluster's client does when `run` builds its
    /// pollers: `check-config` calls this, and both report ``configurationError(_:cluster:)``, so the two
    /// can never disagree.
    ///
    /// - Throws: ``ConfigurationError`` naming the cluster and the property.
    public static func validate(_ configuration: Configuration) throws {
        try checkTLS(configuration.webSecurity)
        for cluster in configuration.clusters { try checkKafkaProperties(of: cluster) }
    }

    /// Starts an HTTPS server with the configured certificate and key on a loopback port and stops it: the
    /// only check that a key matches its certificate and is not encrypted is the one the TLS library makes.
    private static func checkTLS(_ security: WebSecurity?) throws {
        guard let security, let certificate = security.certificatePEM, let key = security.keyPEM else { return }
        do {
            let server = try HTTPServer(
                listenAddress: "127.0.0.1:0", tls: HTTPServer.TLS(certificatePEM: certificate, keyPEM: key)
            ) { _ in .text(503, "") }
            server.stop()
        } catch {
            let source = security.tlsSource
            throw ConfigurationError(
                location: "\(source?.file ?? "web configuration"): tls_server_config",
                "the key '\(source?.key ?? "key_file")' was not accepted with the certificate "
                    + "'\(source?.certificate ?? "cert_file")': it does not match it, or it is encrypted "
                    + "(lagwatch needs an unencrypted PEM key)")
        }
    }

    private static func checkKafkaProperties(of cluster: ClusterConfiguration) throws {
        do {
            try KafkaClusterClient.validate(properties: cluster.propertyPairs)
        } catch let error as KafkaError {
            throw configurationError(error, cluster: cluster)
        }
    }

    /// Applies a new configuration without a restart: clusters whose settings did not change keep their
    /// poller (and its history); new and changed ones get a fresh poller whose first poll replaces the
    /// snapshot served meanwhile; removed ones stop and their series go. Nothing is applied unless every new
    /// poller could be built. Settings that need a restart are reported, not applied.
    ///
    /// Called from one thread at a time (the signal loop), never from a poll or a request.
    ///
    /// - Returns: what changed, or the error that made the reload refused (the old configuration stays).
    public func reload(_ configuration: Configuration) -> Result<ReloadOutcome, ConfigurationError> {
        let old = running.withLock { $0 }
        var outcome = ReloadOutcome()
        outcome.needsRestart = configuration.restartOnlyChanges(from: old.configuration)
        var next: [Poller] = []
        var fresh: [Poller] = []
        do {
            for cluster in configuration.clusters {
                let settings = PollerSettings(cluster, configuration)
                if let kept = old.pollers.first(where: { $0.name == cluster.name && $0.settings == settings }) {
                    next.append(kept)
                    outcome.unchanged.append(cluster.name)
                    continue
                }
                let poller = try makePoller(cluster, configuration: configuration)
                next.append(poller)
                fresh.append(poller)
                if old.pollers.contains(where: { $0.name == cluster.name }) {
                    outcome.restarted.append(cluster.name)
                } else {
                    outcome.added.append(cluster.name)
                }
            }
        } catch let error as ConfigurationError {
            store.recordReload(succeeded: false, loadedAt: nil)
            return .failure(error)
        } catch {
            store.recordReload(succeeded: false, loadedAt: nil)
            return .failure(ConfigurationError(location: "reload", "\(error)"))
        }
        let keptLoops = Set(next.map { ObjectIdentifier($0.loop) })
        for poller in old.pollers where !keptLoops.contains(ObjectIdentifier(poller.loop)) {
            poller.loop.requestStop()
            if !configuration.clusters.contains(where: { $0.name == poller.name }) { outcome.removed.append(poller.name) }
        }
        store.setClusters(configuration.clusters.map(\.name))
        running.withLock { $0 = Running(configuration: configuration, pollers: next) }
        for poller in fresh { poller.loop.start() }
        store.recordReload(succeeded: true, loadedAt: WallClock.now())
        return .success(outcome)
    }

    /// Clients over librdkafka, with a logger that names the cluster.
    static func kafkaClientFactory(logger: Logger) -> @Sendable (ClusterConfiguration) -> ClusterPoller.ClientFactory {
        { cluster in
            var clusterLogger = logger
            clusterLogger[metadataKey: "kafka.cluster"] = "\(cluster.name)"
            let kafkaLogger = clusterLogger
            return {
                try KafkaClusterClient(
                    bootstrapServers: cluster.bootstrapServers, properties: cluster.propertyPairs, logger: kafkaLogger)
            }
        }
    }

    /// The port the HTTP server listens on (useful when the configured port was 0).
    public var port: UInt16 {
        lifecycle.withLock {
            if case .started(let server) = $0 { server.port } else { 0 }
        }
    }

    /// Requests whose answer an HTTP worker is building or will build (pages, JSON, password checks).
    public var waitingHTTPAnswers: Int {
        lifecycle.withLock {
            if case .started(let server) = $0 { server.waitingAnswers } else { 0 }
        }
    }

    /// Binds the HTTP listener and starts polling.
    ///
    /// - Throws: ``HTTPServer/StartError`` when the address cannot be bound; ``AlreadyStarted`` when called a
    ///   second time, or after ``stop(timeoutSeconds:)`` (nothing is bound or started then).
    public func start() throws {
        guard lifecycle.withLock({ if case .created = $0 { true } else { false } }) else { throw AlreadyStarted() }
        let (configuration, pollers) = running.withLock { ($0.configuration, $0.pollers) }
        let routes = Routes(
            store: store, telemetryPath: configuration.telemetryPath,
            pollIntervalSeconds: { [weak self] in
                self?.running.withLock { $0.configuration.pollIntervalSeconds } ?? configuration.pollIntervalSeconds
            })
        let security = configuration.webSecurity
        let authenticator = security.flatMap { $0.users.isEmpty ? nil : BasicAuthenticator(users: $0.users) }
        let tls = security.flatMap { security in
            security.certificatePEM.map { HTTPServer.TLS(certificatePEM: $0, keyPEM: security.keyPEM ?? "") }
        }
        let server = try HTTPServer(listenAddress: configuration.listenAddress, tls: tls) { request in
            // /healthz stays open so that a load balancer or systemd can probe without credentials.
            guard let authenticator, request.path != "/healthz" else { return routes.answer(request) }
            switch authenticator.firstLook(authorization: request.authorization, client: request.clientAddress) {
            case .decided(.accepted): return routes.answer(request)
            case .decided(let refusal): return .now(Self.refusal(refusal))
            case .needsHash(let pending):
                // bcrypt takes tens of milliseconds or more: on a worker, never on the thread serving scrapes.
                return .later {
                    let verdict = authenticator.verify(pending)
                    return verdict == .accepted ? routes.handle(request) : Self.refusal(verdict)
                }
            }
        }
        let claimed = lifecycle.withLock { state -> Bool in
            guard case .created = state else { return false }
            state = .started(server)
            return true
        }
        guard claimed else {
            server.stop()
            throw AlreadyStarted()
        }
        logger.info(
            "Listening",
            metadata: [
                "web.listen_address": "\(configuration.listenAddress)", "web.port": "\(port)",
                "web.telemetry_path": "\(configuration.telemetryPath)",
                "web.tls": "\(tls != nil)", "web.basic_auth": "\(authenticator != nil)",
            ])
        store.setConfigurationLoaded(at: WallClock.now())
        for poller in pollers { poller.loop.start() }
        notifier.notify("READY=1\nSTATUS=Listening on \(configuration.listenAddress); polling \(pollers.count) cluster(s)")
        if let interval = watchdogPingSeconds { startWatchdog(every: interval) }
    }

    /// The answer to credentials that were not accepted.
    static func refusal(_ verdict: BasicAuthenticator.Verdict) -> HTTPResponse {
        guard verdict == .throttled else {
            return .text(401, "401 unauthorized\n", headers: [("WWW-Authenticate", "Basic realm=\"lagwatch\"")])
        }
        let seconds = Int(BasicAuthenticator.failureWindowSeconds)
        return .text(
            429, "429 too many failed logins from this address; try again in \(seconds) s\n",
            headers: [("Retry-After", "\(seconds)")])
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
        OSThread.detach(name: "lagwatch-watchdog") {
            repeat { notifier.notify("WATCHDOG=1") } while stop.wait(timeout: .now() + .milliseconds(Int(seconds * 1000))) == .timedOut
        }
    }

    /// Stops polling (waiting up to `timeoutSeconds` for polls in progress) and closes the HTTP server.
    public func stop(timeoutSeconds: Double = 10) {
        notifier.notify("STOPPING=1")
        watchdogStop.signal()
        let loops = running.withLock { $0.pollers.map(\.loop) }
        for loop in loops { loop.requestStop() }
        let deadline = DispatchTime.now() + .milliseconds(Int(timeoutSeconds * 1000))
        if loops.contains(where: { !$0.waitUntilStopped(deadline: deadline) }) {
            logger.warning("A poll did not end in time; stopping anyway")
        }
        let server = lifecycle.withLock { state -> HTTPServer? in
            defer { state = .stopped }
            if case .started(let server) = state { return server }
            return nil
        }
        server?.stop()
    }
}
