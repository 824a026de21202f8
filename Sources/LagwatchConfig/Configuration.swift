public import LagwatchModel

/// How finely consumer groups are exported (`granularity`).
public enum GroupSeriesGranularity: String, Sendable, CaseIterable {
    /// Per partition, per topic and per group: the default.
    case partition
    /// Per topic and per group only: no series per group partition.
    case topic
}

/// How log lines are written.
public enum LogFormat: String, Sendable, CaseIterable {
    /// Readable on a terminal.
    case text
    /// `key=value` pairs, one line per event.
    case logfmt
    /// One JSON object per line.
    case json
}

/// Log verbosity, from most to least verbose.
public enum LogLevel: String, Sendable, CaseIterable {
    case debug, info, warning, error
}

/// Everything lagwatch needs to run, validated. Built by ``ConfigurationLoader`` from a YAML file and
/// command-line flags; every field has its default stated here once.
public struct Configuration: Sendable {
    /// The clusters to poll, each under its own `cluster_name`.
    public var clusters: [ClusterConfiguration] = []
    /// `host:port` to listen on; an empty host means every address.
    public var listenAddress = ":9308"
    /// The path `/metrics` is served on.
    public var telemetryPath = "/metrics"
    /// TLS and basic authentication, from `--web.config.file` / `web.config_file`; `nil` serves plain HTTP
    /// to anyone.
    public var webSecurity: WebSecurity?
    /// Seconds between the starts of two polls.
    public var pollIntervalSeconds: Double = 15
    /// The window produce and consume rates are averaged over, in seconds, when set; at least two poll
    /// intervals. See ``rateWindowSeconds``.
    public var configuredRateWindowSeconds: Double?
    /// The rate window in effect: the configured one, else 5 minutes or four poll intervals, whichever is
    /// longer.
    public var rateWindowSeconds: Double {
        configuredRateWindowSeconds ?? max(AnalysisSettings().rateWindowSeconds, 4 * pollIntervalSeconds)
    }
    /// How the pollers make rates, lag times and statuses (the settings of the `rates`, `time_lag` and
    /// `status` sections). Its rate window follows ``rateWindowSeconds``: reading gives the window in
    /// effect, and setting another window configures it.
    public var analysis: AnalysisSettings {
        get {
            var settings = analysisStorage
            settings.rateWindowSeconds = rateWindowSeconds
            return settings
        }
        set {
            if newValue.rateWindowSeconds != rateWindowSeconds { configuredRateWindowSeconds = newValue.rateWindowSeconds }
            analysisStorage = newValue
        }
    }
    private var analysisStorage = AnalysisSettings()
    /// Log verbosity.
    public var logLevel: LogLevel = .info
    /// Log format.
    public var logFormat: LogFormat = .text

    /// Creates the default configuration (no cluster).
    public init() {}
}

/// One librdkafka configuration property, as written in the file (its value resolved from `${env:…}` or
/// `${file:…}`). The value may be a secret: never log it.
public struct KafkaProperty: Sendable, Equatable {
    public var name: String
    public var value: String

    /// Creates a property.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One Kafka cluster to poll.
public struct ClusterConfiguration: Sendable, Equatable {
    /// The `cluster_name` label value.
    public var name: String
    /// Bootstrap brokers, `host:port` each.
    public var bootstrapServers: [String]
    /// Which topics are watched. By default every topic except those starting with `__` (Kafka's internal
    /// topics such as `__consumer_offsets`).
    public var topics: NameFilter = Self.defaultTopicFilter
    /// Which discovered groups are watched (configured groups always are).
    public var groups: NameFilter = .all
    /// Groups named in configuration, watched whether or not listing works.
    public var staticGroups: [StaticGroup] = []
    /// Whether to list groups through the Admin API.
    public var discoverGroups = true
    /// Whether to describe listed groups (state and members).
    public var describeGroups = true
    /// Whether each described group's members get series of their own (labelled with member id, client id
    /// and host: one series per consumer instance, so off by default).
    public var exportsMemberSeries = false
    /// Whether consumer groups get per-partition series (`granularity: partition`, the default) or only
    /// per-topic ones (`granularity: topic`: lag sum, largest lag in seconds, rates per group and topic).
    public var groupPartitionSeries = true
    /// Which metric families are exported for this cluster (by name; `metrics: include/exclude`).
    public var metricFamilies: NameFilter = .all
    /// librdkafka properties passed through (security, timeouts), in the order given. Values may be
    /// secrets: never log them.
    public var properties: [KafkaProperty] = []
    /// ``properties`` as the (name, value) pairs the Kafka client takes.
    public var propertyPairs: [(String, String)] { properties.map { ($0.name, $0.value) } }
    /// Timeout of the metadata request, in milliseconds.
    public var metadataTimeoutMilliseconds = 10_000
    /// How long a poll waits for committed offsets (and group listing), in milliseconds.
    public var offsetsWaitMilliseconds = 5_000
    /// Timeout of each watermark request, in milliseconds.
    public var watermarksTimeoutMilliseconds = 5_000
    /// Partitions per watermark request to one leader. librdkafka 2.0.2's `rd_kafka_offsets_for_times` grows
    /// faster than linearly with the partitions in one call (`strcmp` and `rd_kafka_topic_partition_list_find`,
    /// a linear scan, lead the daemon's profile): for 10,000 partitions on 3 mock brokers the watermark stage took
    /// 0.63 s in one call per leader and 0.15 s in calls of 1,000 (`lagwatch bench`). With calls of 1,000,
    /// `strcmp` was still 17% of the daemon's CPU (perf); calls of 250 took its CPU per poll from 0.36 to
    /// 0.31 s for 90 more requests (three runs each; 100 saved no more).
    public var watermarkBatchSize = 250
    /// Committed-offset requests kept in flight at once (librdkafka 2.0.2 takes one group per request).
    public var maxInFlightRequests = 64
    /// Polls after which the librdkafka client is replaced, to bound its metadata cache (it does not shrink
    /// when topics are deleted); 0 never replaces it.
    public var clientRecreatePolls = 100

    /// The default topic filter: everything but `__`-prefixed internal topics.
    public static let defaultTopicFilter = try! NameFilter(include: [], exclude: ["^__"])

    /// Creates a cluster with defaults.
    public init(name: String, bootstrapServers: [String]) {
        self.name = name
        self.bootstrapServers = bootstrapServers
    }
}
