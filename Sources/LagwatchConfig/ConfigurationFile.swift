import LagwatchModel

extension ConfigurationLoader {
    static let topLevelKeys = ["poll_interval", "rates", "time_lag", "status", "transactions", "web", "log", "clusters"]
    static let clusterKeys = [
        "name", "bootstrap_servers", "topics", "groups", "librdkafka", "timeouts", "max_in_flight_requests",
        "client_recreate_polls", "watermark_batch_size", "granularity", "metrics",
    ]

    /// Parses and validates a YAML configuration. Unknown keys and bad values throw, naming file, line and key.
    /// `${env:NAME}` and `${file:PATH}` in librdkafka values are replaced by the variable or the file's
    /// contents, so secrets need not be written in the file.
    public static func parse(
        _ text: String,
        fileName: String,
        environment: [String: String] = [:]
    ) throws -> Configuration {
        let top = try YAMLMapping.document(text, fileName: fileName)
        try top.rejectUnknownKeys(topLevelKeys)
        var configuration = Configuration()
        if let interval = try top.seconds("poll_interval", range: 1...3600) {
            configuration.pollIntervalSeconds = interval
        }
        if let rates = try top.mapping("rates") { try parseRates(rates, into: &configuration) }
        if let timeLag = try top.mapping("time_lag") { try parseTimeLag(timeLag, into: &configuration.analysis) }
        if let status = try top.mapping("status") { try parseStatus(status, into: &configuration.analysis) }
        if let transactions = try top.mapping("transactions") {
            try transactions.rejectUnknownKeys(["hanging_after"])
            if let seconds = try transactions.seconds("hanging_after", range: 10...604_800) {
                configuration.analysis.hangingTransactionSeconds = seconds
            }
        }
        if let web = try top.mapping("web") { try parseWeb(web, into: &configuration) }
        if let log = try top.mapping("log") { try parseLog(log, into: &configuration) }
        for (index, node) in (try top.sequence("clusters") ?? []).enumerated() {
            let cluster = try YAMLMapping(node, fileName: fileName, path: "clusters[\(index)]")
            let parsed = try parseCluster(cluster, index: index, environment: environment)
            if configuration.clusters.contains(where: { $0.name == parsed.name }) {
                throw cluster.error(at: "name", "a second cluster named '\(parsed.name)'; names must be unique")
            }
            configuration.clusters.append(parsed)
        }
        return configuration
    }

    private static func parseRates(_ rates: YAMLMapping, into configuration: inout Configuration) throws {
        try rates.rejectUnknownKeys(["window"])
        if let window = try rates.seconds("window", range: rateWindowRange) {
            configuration.configuredRateWindowSeconds = window
        }
        if let problem = rateWindowProblem(configuration) { throw rates.error(at: "window", problem) }
    }

    private static func parseTimeLag(_ timeLag: YAMLMapping, into analysis: inout AnalysisSettings) throws {
        try timeLag.rejectUnknownKeys(["history_points", "exact_groups", "exact_max_partitions", "exact_timeout"])
        if let points = try timeLag.int("history_points", range: 3...4096) {
            analysis.timelinePoints = points
        }
        if let patterns = try timeLag.strings("exact_groups"), !patterns.isEmpty {
            do {
                analysis.exact.groups = try NameFilter(include: patterns, exclude: [])
            } catch let error as NameFilter.InvalidPattern {
                throw timeLag.error(at: "exact_groups", error.description)
            }
        }
        if let limit = try timeLag.int("exact_max_partitions", range: 1...100_000) {
            analysis.exact.maxPartitions = limit
        }
        if let timeout = try timeLag.seconds("exact_timeout", range: 0.1...60) {
            analysis.exact.timeoutMilliseconds = Int(timeout * 1000)
        }
    }

    private static func parseStatus(_ status: YAMLMapping, into analysis: inout AnalysisSettings) throws {
        try status.rejectUnknownKeys(["window_polls", "min_lag", "partition_series", "inactive_after"])
        if let polls = try status.int("window_polls", range: 3...1000) { analysis.statusWindowPolls = polls }
        if let lag = try status.int("min_lag", range: 0...1_000_000_000) { analysis.statusMinLag = Int64(lag) }
        if let series = try status.bool("partition_series") { analysis.exportsPartitionStatus = series }
        if let seconds = try status.seconds("inactive_after", range: 60...31_536_000) { analysis.inactiveAfterSeconds = seconds }
    }

    private static func parseWeb(_ web: YAMLMapping, into configuration: inout Configuration) throws {
        try web.rejectUnknownKeys(["listen_address", "telemetry_path", "config_file"])
        if let file = try web.string("config_file") {
            configuration.webSecurity = try WebSecurity.load(
                path: file, location: web.error(at: "config_file", "").location)
        }
        if let address = try web.string("listen_address") {
            try rethrow(at: web, "listen_address") { try validateListenAddress(address, location: "") }
            configuration.listenAddress = address
        }
        if let path = try web.string("telemetry_path") {
            try rethrow(at: web, "telemetry_path") { try validateTelemetryPath(path, location: "") }
            configuration.telemetryPath = path
        }
    }

    private static func parseLog(_ log: YAMLMapping, into configuration: inout Configuration) throws {
        try log.rejectUnknownKeys(["level", "format"])
        if let level = try log.string("level") {
            try rethrow(at: log, "level") { configuration.logLevel = try choice(level, location: "") }
        }
        if let format = try log.string("format") {
            try rethrow(at: log, "format") { configuration.logFormat = try choice(format, location: "") }
        }
    }

    private static func parseCluster(
        _ map: YAMLMapping,
        index: Int,
        environment: [String: String]
    ) throws -> ClusterConfiguration {
        try map.rejectUnknownKeys(clusterKeys)
        let name = try map.string("name") ?? (index == 0 ? "default" : "")
        if name.isEmpty { throw map.error(at: "name", "every cluster after the first needs a name") }
        try rethrow(at: map, "name") { try validateClusterName(name, location: "") }
        guard let servers = try map.strings("bootstrap_servers"), !servers.isEmpty else {
            throw map.error(at: "bootstrap_servers", "is required: a list of HOST:PORT")
        }
        for server in servers {
            try rethrow(at: map, "bootstrap_servers") { try validateServer(server, location: "") }
        }
        var cluster = ClusterConfiguration(name: name, bootstrapServers: servers)
        if let topics = try map.mapping("topics") {
            try topics.rejectUnknownKeys(["include", "exclude"])
            cluster.topics = try filter(topics, defaultExclude: ["^__"])
        }
        if let groups = try map.mapping("groups") { try parseGroups(groups, into: &cluster) }
        if let timeouts = try map.mapping("timeouts") {
            try timeouts.rejectUnknownKeys(["metadata", "offsets", "watermarks"])
            if let value = try timeouts.seconds("metadata", range: 0.1...300) {
                cluster.metadataTimeoutMilliseconds = Int(value * 1000)
            }
            if let value = try timeouts.seconds("offsets", range: 0.1...300) {
                cluster.offsetsWaitMilliseconds = Int(value * 1000)
            }
            if let value = try timeouts.seconds("watermarks", range: 0.1...300) {
                cluster.watermarksTimeoutMilliseconds = Int(value * 1000)
            }
        }
        cluster.maxInFlightRequests = try map.int("max_in_flight_requests", range: 1...10_000) ?? cluster.maxInFlightRequests
        cluster.watermarkBatchSize = try map.int("watermark_batch_size", range: 1...1_000_000) ?? cluster.watermarkBatchSize
        cluster.clientRecreatePolls = try map.int("client_recreate_polls", range: 0...1_000_000) ?? cluster.clientRecreatePolls
        if let text = try map.string("granularity") {
            try rethrow(at: map, "granularity") {
                let granularity: GroupSeriesGranularity = try choice(text, location: "")
                cluster.groupPartitionSeries = granularity == .partition
            }
        }
        if let metrics = try map.mapping("metrics") {
            try metrics.rejectUnknownKeys(["include", "exclude"])
            cluster.metricFamilies = try filter(metrics, defaultExclude: [])
        }
        if let properties = try map.mapping("librdkafka") {
            cluster.properties = try parseProperties(properties, environment: environment)
        }
        return cluster
    }

    private static func parseGroups(_ groups: YAMLMapping, into cluster: inout ClusterConfiguration) throws {
        try groups.rejectUnknownKeys(["discover", "describe", "member_series", "include", "exclude", "static"])
        cluster.discoverGroups = try groups.bool("discover") ?? cluster.discoverGroups
        cluster.describeGroups = try groups.bool("describe") ?? cluster.describeGroups
        cluster.exportsMemberSeries = try groups.bool("member_series") ?? cluster.exportsMemberSeries
        cluster.groups = try filter(groups, defaultExclude: [])
        for (position, node) in (try groups.sequence("static") ?? []).enumerated() {
            let entry = try YAMLMapping(node, fileName: groups.fileName, path: "\(groups.keyPath("static"))[\(position)]")
            try entry.rejectUnknownKeys(["name", "topics"])
            guard let groupName = try entry.string("name"), !groupName.isEmpty else {
                throw entry.error(at: "name", "is required")
            }
            cluster.staticGroups.append(StaticGroup(name: groupName, topics: try entry.strings("topics")))
        }
    }

    /// librdkafka properties lagwatch sets itself, with why a configuration may not.
    static let reservedProperties = [
        "bootstrap.servers": "use the cluster's bootstrap_servers key instead",
        "group.id": "is set by lagwatch, which never joins a group",
        "isolation.level": "is set by lagwatch, which reads both: high watermarks (read_uncommitted) and last stable offsets (read_committed)",
    ]

    /// The `librdkafka` section's properties, in order, with `${env:…}` and `${file:…}` resolved.
    private static func parseProperties(_ properties: YAMLMapping, environment: [String: String]) throws -> [KafkaProperty] {
        var parsed: [KafkaProperty] = []
        for (key, keyNode, value) in properties.entries {
            guard case .scalar(let text, _) = value else {
                throw YAMLMapping.error(properties.fileName, keyNode, properties.keyPath(key), "must be a single value")
            }
            if let reason = reservedProperties[key] {
                throw YAMLMapping.error(properties.fileName, keyNode, properties.keyPath(key), reason)
            }
            let resolved = try resolveReference(text, environment: environment) { message in
                YAMLMapping.error(properties.fileName, keyNode, properties.keyPath(key), message)
            }
            parsed.append(KafkaProperty(key, resolved))
        }
        return parsed
    }

    private static func filter(_ map: YAMLMapping, defaultExclude: [String]) throws -> NameFilter {
        let include = try map.strings("include") ?? []
        let exclude = try map.strings("exclude") ?? defaultExclude
        do {
            return try NameFilter(include: include, exclude: exclude)
        } catch let error as NameFilter.InvalidPattern {
            let key = include.contains(error.pattern) ? "include" : "exclude"
            throw map.error(at: key, error.description)
        }
    }

    /// Replaces a whole value of the form `${env:NAME}` or `${file:PATH}`; other values pass unchanged.
    /// Errors never include the secret itself.
    static func resolveReference(
        _ value: String,
        environment: [String: String],
        error: (String) -> ConfigurationError
    ) throws -> String {
        guard value.hasPrefix("${") else { return value }
        // "${env:HOME" is a typo, not a value that happens to start with "${".
        guard value.hasSuffix("}") else { throw error("'${' is not closed: write ${env:NAME} or ${file:PATH}") }
        let inner = value.dropFirst(2).dropLast()
        if inner.hasPrefix("env:") {
            let name = String(inner.dropFirst(4))
            guard let resolved = environment[name] else {
                throw error("environment variable \(name) is not set")
            }
            return resolved
        }
        if inner.hasPrefix("file:") {
            let path = String(inner.dropFirst(5))
            let contents: String
            do {
                contents = try TextFile.read(path)
            } catch let problem {
                throw error("cannot read file '\(path)': \(problem)")
            }
            // A secret file usually ends with a newline that is not part of the secret.
            return String(contents.drop { $0 == "\n" }.reversed().drop { $0 == "\n" }.reversed())
        }
        throw error("'${…}' must be ${env:NAME} or ${file:PATH}")
    }

    private static func rethrow(at map: YAMLMapping, _ key: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ConfigurationError {
            throw map.error(at: key, error.message)
        }
    }
}
