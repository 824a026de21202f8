import ArgumentParser
import CGlibcExtras
import Glibc
import LagwatchConfig
import LagwatchDaemon
import Logging

/// Exit codes, as documented in the README.
enum ExitStatus {
    /// Bad flags or configuration.
    static let badConfiguration: Int32 = 2
    /// A failure at run time, such as the listen address being in use.
    static let runtimeFailure: Int32 = 1
}

/// Flags shared by `lagwatch` (run) and `lagwatch demo`.
struct ServeOptions: ParsableArguments {
    @Option(name: .customLong("config.file"), help: "YAML configuration file.")
    var configFile: String?

    @Option(name: .customLong("kafka.server"), help: "Kafka bootstrap broker HOST:PORT; repeatable.")
    var kafkaServers: [String] = []

    @Option(name: .customLong("cluster.name"), help: "cluster_name label of the --kafka.server cluster (default: default).")
    var clusterName: String?

    @Option(name: .customLong("group"), help: "Consumer group to watch even where groups cannot be listed: NAME or NAME:TOPIC,TOPIC; repeatable.")
    var groups: [String] = []

    @Option(name: .customLong("web.listen-address"), help: "Address to serve HTTP on (default: :9308).")
    var listenAddress: String?

    @Option(name: .customLong("web.telemetry-path"), help: "Path of the metrics endpoint (default: /metrics).")
    var telemetryPath: String?

    @Option(
        name: .customLong("web.config.file"),
        help: "TLS and basic-auth settings in the Prometheus exporter-toolkit format (cert_file, key_file, bcrypt users).")
    var webConfigFile: String?

    @Option(name: .customLong("poll.interval"), help: "Time between polls, such as 15s (default: 15s).")
    var pollInterval: String?

    @Option(
        name: .customLong("rates.window"),
        help: "Window produce and consume rates are averaged over, at least two poll intervals (default: 5m).")
    var rateWindow: String?

    @Option(name: .customLong("log.level"), help: "debug, info, warning or error (default: info).")
    var logLevel: String?

    @Option(name: .customLong("log.format"), help: "text, logfmt or json (default: text).")
    var logFormat: String?

    var settings: CommandLineSettings {
        var settings = CommandLineSettings()
        settings.configFile = configFile
        settings.kafkaServers = kafkaServers
        settings.clusterName = clusterName
        settings.groups = groups
        settings.listenAddress = listenAddress
        settings.telemetryPath = telemetryPath
        settings.webConfigFile = webConfigFile
        settings.pollInterval = pollInterval
        settings.rateWindow = rateWindow
        settings.logLevel = logLevel
        settings.logFormat = logFormat
        return settings
    }
}

@main
struct Lagwatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lagwatch",
        abstract: "Kafka consumer lag exporter for Prometheus.",
        discussion: """
            Exit codes: 0 stopped by SIGTERM or SIGINT; 1 runtime failure (such as the listen address in use); \
            2 bad flags or configuration.
            """,
        version: Daemon.versionLine,
        subcommands: [Run.self, Demo.self, CheckConfig.self, Bench.self],
        defaultSubcommand: Run.self
    )

    /// Parses the command line; any parse error exits with status 2 after a one-line explanation.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as ConfigurationError {
            fail(error.description, status: ExitStatus.badConfiguration)
        } catch {
            let code = exitCode(for: error)
            if code == .success, isRootHelpRequest(Array(CommandLine.arguments.dropFirst())) {
                print(rootHelp())
                Glibc.exit(0)
            }
            if code == .success {
                // --help and --version.
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            fail(fullMessage(for: error), status: ExitStatus.badConfiguration)
        }
    }

    /// `lagwatch --help`, `-h` or `help` alone: the help of the root command names only the subcommands, so
    /// the flags of the default `run` follow it, as an exporter's `--help` is expected to show its flags.
    static func isRootHelpRequest(_ arguments: [String]) -> Bool {
        arguments == ["--help"] || arguments == ["-h"] || arguments == ["help"]
    }

    /// The root command's help followed by the options of `run`.
    static func rootHelp() -> String {
        let runHelp = Run.helpMessage().split(separator: "\n", omittingEmptySubsequences: false)
        let options = runHelp.drop { $0 != "OPTIONS:" }.dropFirst()
        return helpMessage() + "\n\nOPTIONS OF `lagwatch run` (the default subcommand):\n" + options.joined(separator: "\n")
    }

    static func fail(_ message: String, status: Int32) -> Never {
        var text = "lagwatch: " + message + "\n"
        text.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
        Glibc.exit(status)
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Poll the configured clusters and serve /metrics (the default). With no cluster given, runs the demo.")

    @OptionGroup var options: ServeOptions

    func run() throws {
        let settings = options.settings
        let configuration = try ConfigurationLoader.load(settings, environment: environment())
        // SIGHUP reads the same flags and file again (and the environment, for ${env:} references).
        try serve(configuration, demoWhenEmpty: true) { try ConfigurationLoader.load(settings, environment: environment()) }
    }
}

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start an embedded mock Kafka cluster with moving consumer lag, and export it.")

    @OptionGroup var options: ServeOptions

    func run() throws {
        var settings = options.settings
        guard settings.kafkaServers.isEmpty, settings.configFile == nil else {
            throw ConfigurationError(location: "demo", "takes no --kafka.server or --config.file; use 'lagwatch run'")
        }
        settings.groups = []
        let configuration = try ConfigurationLoader.load(settings, environment: environment())
        try serve(configuration, demoWhenEmpty: true)
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Validate a configuration file and exit: 0 when valid, 2 when not.")

    @Argument(help: "The YAML configuration file.")
    var file: String

    func run() throws {
        var settings = CommandLineSettings()
        settings.configFile = file
        let configuration = try ConfigurationLoader.load(settings, environment: environment())
        try Daemon.validate(configuration)
        print("\(file): valid, \(configuration.clusters.count) cluster(s): \(configuration.clusters.map(\.name).joined(separator: ", "))")
    }
}

func environment() -> [String: String] {
    var result: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
        let text = String(cString: entry)
        if let equals = text.firstIndex(of: "=") {
            result[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        pointer += 1
    }
    return result
}

/// Runs the exporter until SIGTERM or SIGINT; SIGHUP reloads the configuration with `reload` (the demo has
/// nothing to reload).
func serve(
    _ configuration: Configuration,
    demoWhenEmpty: Bool,
    reload: (() throws -> Configuration)? = nil
) throws {
    // Two malloc arenas instead of glibc's default of eight per core: librdkafka, libmicrohttpd and the poll
    // loops run many threads, and each arena keeps its own freed memory. Measured with `lagwatch bench`.
    _ = mallopt(M_ARENA_MAX, 2)
    // A fixed 64 KiB mmap threshold: glibc otherwise raises it after each large free, so the next poll's
    // large temporary buffers land in the heap and stay resident. Peak RSS at 10k partitions: 48–50 MB
    // before, 47 MB with it (`lagwatch bench`).
    _ = mallopt(M_MMAP_THRESHOLD, 64 * 1024)
    // Block the stop signals before any thread starts, so every thread inherits the mask and only
    // sigwait below receives them.
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGTERM)
    sigaddset(&signals, SIGINT)
    sigaddset(&signals, SIGHUP)
    pthread_sigmask(SIG_BLOCK, &signals, nil)

    LogOutput.bootstrap(format: configuration.logFormat, level: configuration.logLevel)
    let logger = Logger(label: "lagwatch")
    var configuration = configuration
    var demo: DemoCluster?
    if configuration.clusters.isEmpty {
        logger.notice("No --kafka.server or config file given: running the embedded demo cluster")
        let cluster = try DemoCluster(logger: quietKafkaLogger(logger))
        try cluster.start()
        configuration.clusters = [cluster.configuration]
        if configuration.pollIntervalSeconds == Configuration().pollIntervalSeconds {
            configuration.pollIntervalSeconds = 5
        }
        demo = cluster
    }
    let environment = environment()
    let daemon = try Daemon(
        configuration: configuration, logger: logger, notifier: .fromEnvironment(environment),
        watchdogPingSeconds: SystemdNotifier.watchdogPingInterval(environment))
    do {
        try daemon.start()
    } catch {
        Lagwatch.fail("\(error)", status: ExitStatus.runtimeFailure)
    }
    var received: Int32 = 0
    while sigwait(&signals, &received) == 0, received == SIGHUP {
        guard let reload, demo == nil else {
            logger.warning("SIGHUP received: the demo has no configuration to reload")
            continue
        }
        reloadConfiguration(daemon: daemon, load: reload, notifier: .fromEnvironment(environment), logger: logger)
    }
    logger.info("Stopping", metadata: ["signal": "\(received == SIGTERM ? "SIGTERM" : "SIGINT")"])
    // A poll blocked on an unreachable broker can take its full timeout; nothing it holds needs flushing, so
    // the process waits for it only briefly before exiting.
    daemon.stop(timeoutSeconds: 2)
    demo?.stop()
    exit(0)
}

/// Loads the configuration again and applies it, telling systemd (`RELOADING=1`, then `READY=1`) and the
/// log what happened. A configuration that does not load or build is refused: the old one stays, the error
/// is logged and counted in `lagwatch_config_reloads_total{result="failure"}`.
func reloadConfiguration(daemon: Daemon, load: () throws -> Configuration, notifier: SystemdNotifier, logger: Logger) {
    notifier.notify("RELOADING=1")
    defer { notifier.notify("READY=1") }
    let result: Result<ReloadOutcome, ConfigurationError>
    do {
        result = daemon.reload(try load())
    } catch let error as ConfigurationError {
        daemon.store.recordReload(succeeded: false, loadedAt: nil)
        result = .failure(error)
    } catch {
        daemon.store.recordReload(succeeded: false, loadedAt: nil)
        result = .failure(ConfigurationError(location: "reload", "\(error)"))
    }
    switch result {
    case .success(let outcome):
        logger.info(
            "Configuration reloaded",
            metadata: [
                "reload.added": "\(outcome.added.joined(separator: ","))",
                "reload.removed": "\(outcome.removed.joined(separator: ","))",
                "reload.restarted": "\(outcome.restarted.joined(separator: ","))",
                "reload.unchanged": "\(outcome.unchanged.joined(separator: ","))",
            ])
        if !outcome.needsRestart.isEmpty {
            logger.warning(
                "Some changed settings take effect only after a restart",
                metadata: ["reload.needs_restart": "\(outcome.needsRestart.joined(separator: ","))"])
        }
    case .failure(let error):
        logger.error("Configuration reload refused; the previous configuration stays in effect", metadata: ["error": "\(error)"])
    }
}

/// The demo's own clients log at warning and above only; their connection churn is not news.
func quietKafkaLogger(_ logger: Logger) -> Logger {
    var quiet = logger
    quiet.logLevel = .error
    return quiet
}
