import LagwatchModel

/// What the command line said; `nil` or empty means "not given".
public struct CommandLineSettings: Sendable {
    /// `--config.file`.
    public var configFile: String?
    /// `--kafka.server`, repeatable.
    public var kafkaServers: [String] = []
    /// `--cluster.name`: the `cluster_name` of the cluster given with `--kafka.server`.
    public var clusterName: String?
    /// `--group`, repeatable: `NAME` or `NAME:TOPIC,TOPIC`.
    public var groups: [String] = []
    /// `--web.listen-address`.
    public var listenAddress: String?
    /// `--web.telemetry-path`.
    public var telemetryPath: String?
    /// `--web.config.file`.
    public var webConfigFile: String?
    /// `--poll.interval`.
    public var pollInterval: String?
    /// `--rates.window`.
    public var rateWindow: String?
    /// `--log.level`.
    public var logLevel: String?
    /// `--log.format`.
    public var logFormat: String?

    /// Creates empty settings.
    public init() {}
}

/// Builds a validated ``Configuration`` from an optional YAML file and the command line. Flags override
/// the file's settings; a cluster given with `--kafka.server` is added to the file's clusters.
public enum ConfigurationLoader {
    /// Loads and validates.
    ///
    /// - Throws: ``ConfigurationError`` naming the flag, or the file, line and key, that is wrong.
    public static func load(
        _ flags: CommandLineSettings,
        environment: [String: String]
    ) throws -> Configuration {
        var configuration = Configuration()
        if let file = flags.configFile {
            let text: String
            do {
                text = try TextFile.read(file)
            } catch {
                throw ConfigurationError(location: "--config.file", "cannot read '\(file)': \(error)")
            }
            configuration = try parse(text, fileName: file, environment: environment)
        }
        try apply(flags, to: &configuration)
        // The demo runs only when nothing at all was given: a file with no cluster is a mistake, not a demo.
        if let file = flags.configFile, configuration.clusters.isEmpty {
            throw ConfigurationError(
                location: file,
                "no cluster configured: list at least one under 'clusters' (the demo runs only when neither "
                    + "--config.file nor --kafka.server is given)")
        }
        return configuration
    }

    // MARK: - Flags

    static func apply(_ flags: CommandLineSettings, to configuration: inout Configuration) throws {
        if let address = flags.listenAddress {
            try validateListenAddress(address, location: "--web.listen-address")
            configuration.listenAddress = address
        }
        if let path = flags.telemetryPath {
            try validateTelemetryPath(path, location: "--web.telemetry-path")
            configuration.telemetryPath = path
        }
        if let file = flags.webConfigFile {
            configuration.webSecurity = try WebSecurity.load(path: file)
        }
        if let interval = flags.pollInterval {
            guard let seconds = DurationParser.seconds(interval), (1...3600).contains(seconds) else {
                throw ConfigurationError(
                    location: "--poll.interval", "must be a duration from 1s to 1h such as 15s, not '\(interval)'")
            }
            configuration.pollIntervalSeconds = seconds
        }
        if let window = flags.rateWindow {
            guard let seconds = DurationParser.seconds(window), rateWindowRange.contains(seconds) else {
                throw ConfigurationError(
                    location: "--rates.window", "must be a duration from 2s to 24h such as 5m, not '\(window)'")
            }
            configuration.configuredRateWindowSeconds = seconds
        }
        if flags.rateWindow != nil || flags.pollInterval != nil, let problem = rateWindowProblem(configuration) {
            throw ConfigurationError(location: flags.rateWindow != nil ? "--rates.window" : "--poll.interval", problem)
        }
        if let level = flags.logLevel {
            configuration.logLevel = try choice(level, location: "--log.level")
        }
        if let format = flags.logFormat {
            configuration.logFormat = try choice(format, location: "--log.format")
        }
        if flags.kafkaServers.isEmpty {
            if !flags.groups.isEmpty {
                throw ConfigurationError(location: "--group", "needs a cluster: give --kafka.server too")
            }
            if flags.clusterName != nil {
                throw ConfigurationError(location: "--cluster.name", "needs a cluster: give --kafka.server too")
            }
            return
        }
        for server in flags.kafkaServers {
            try validateServer(server, location: "--kafka.server")
        }
        let name = flags.clusterName ?? "default"
        try validateClusterName(name, location: "--cluster.name")
        if configuration.clusters.contains(where: { $0.name == name }) {
            throw ConfigurationError(
                location: "--cluster.name",
                "the config file already has a cluster named '\(name)'; give the flag cluster another name")
        }
        var cluster = ClusterConfiguration(name: name, bootstrapServers: flags.kafkaServers)
        cluster.staticGroups = try flags.groups.map { try parseGroupFlag($0) }
        configuration.clusters.append(cluster)
    }

    /// Parses `NAME` or `NAME:TOPIC,TOPIC`.
    static func parseGroupFlag(_ value: String) throws -> StaticGroup {
        let parts = value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0])
        guard !name.isEmpty else {
            throw ConfigurationError(location: "--group", "'\(value)' has no group name; use NAME or NAME:TOPIC,TOPIC")
        }
        guard parts.count == 2 else { return StaticGroup(name: name, topics: nil) }
        let topics = parts[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !topics.isEmpty, !topics.contains(where: \.isEmpty) else {
            throw ConfigurationError(location: "--group", "'\(value)' has an empty topic name; use NAME:TOPIC,TOPIC")
        }
        return StaticGroup(name: name, topics: topics)
    }

    // MARK: - Validation shared by flags and file

    static let rateWindowRange: ClosedRange<Double> = 2...86_400

    /// Why the rate window does not fit the poll interval, if it does not: a window must hold at least
    /// three polls, or most rates would span a single interval or be missing.
    static func rateWindowProblem(_ configuration: Configuration) -> String? {
        let window = configuration.rateWindowSeconds
        let interval = configuration.pollIntervalSeconds
        guard window < 2 * interval else { return nil }
        return "the rate window (\(DurationParser.format(window))) must be at least twice the poll interval "
            + "(\(DurationParser.format(interval)))"
    }

    /// One of an enum's raw values, or an error listing them.
    static func choice<T: CaseIterable & RawRepresentable<String>>(_ text: String, location: String) throws -> T {
        guard let parsed = T(rawValue: text) else {
            throw ConfigurationError(
                location: location,
                "must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'")
        }
        return parsed
    }

    static func validateServer(_ server: String, location: String) throws {
        guard let colon = server.lastIndex(of: ":"), colon != server.startIndex,
            let port = Int(server[server.index(after: colon)...]), (1...65535).contains(port)
        else {
            throw ConfigurationError(location: location, "'\(server)' is not HOST:PORT")
        }
    }

    static func validateListenAddress(_ address: String, location: String) throws {
        guard let colon = address.lastIndex(of: ":"),
            let port = Int(address[address.index(after: colon)...]), (0...65535).contains(port)
        else {
            throw ConfigurationError(location: location, "'\(address)' is not [HOST]:PORT, such as :9308")
        }
    }

    static func validateTelemetryPath(_ path: String, location: String) throws {
        guard path.hasPrefix("/"), path.count > 1, !path.contains(where: { $0 == " " || $0 == "?" }),
            !["/healthz", "/readyz"].contains(path)
        else {
            throw ConfigurationError(
                location: location, "'\(path)' must be a path starting with / other than / , /healthz and /readyz")
        }
    }

    static func validateClusterName(_ name: String, location: String) throws {
        guard !name.isEmpty, !name.contains(where: { $0.isNewline }) else {
            throw ConfigurationError(location: location, "a cluster name must be a non-empty single line")
        }
    }
}
