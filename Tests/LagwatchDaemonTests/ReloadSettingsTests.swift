import LagwatchConfig
import LagwatchDaemon
import LagwatchModel
import LagwatchTestSupport
import Testing

/// A reload replaces a cluster's poller exactly when a setting that shapes it changed. Every stored setting
/// of ``ClusterConfiguration`` and ``Configuration`` must have a mutation here: the lists are checked against
/// the types' own fields (by reflection), so a new setting fails this test until it is classified, and then
/// the reload must treat it as classified.
@Suite struct ReloadSettingsTests {
    typealias ClusterMutation = @Sendable (inout ClusterConfiguration) throws -> Void
    typealias ConfigurationMutation = @Sendable (inout Configuration) throws -> Void

    /// Changes to a cluster's own settings: each must give that cluster a fresh poller. (`name` is the
    /// cluster's identity, tested apart: a renamed cluster is another cluster.)
    static let clusterMutations: [String: ClusterMutation] = [
        "bootstrapServers": { $0.bootstrapServers.append("other:9092") },
        "topics": { $0.topics = try NameFilter(include: ["^orders"], exclude: []) },
        "groups": { $0.groups = try NameFilter(include: [], exclude: ["^console-"]) },
        "staticGroups": { $0.staticGroups.append(StaticGroup(name: "billing", topics: nil)) },
        "discoverGroups": { $0.discoverGroups.toggle() },
        "describeGroups": { $0.describeGroups.toggle() },
        "exportsMemberSeries": { $0.exportsMemberSeries.toggle() },
        "groupPartitionSeries": { $0.groupPartitionSeries.toggle() },
        "metricFamilies": { $0.metricFamilies = try NameFilter(include: [], exclude: ["^kafka_topic_partition_"]) },
        "properties": { $0.properties.append(KafkaProperty("client.id", "lagwatch-2")) },
        "metadataTimeoutMilliseconds": { $0.metadataTimeoutMilliseconds += 1 },
        "offsetsWaitMilliseconds": { $0.offsetsWaitMilliseconds += 1 },
        "watermarksTimeoutMilliseconds": { $0.watermarksTimeoutMilliseconds += 1 },
        "watermarkBatchSize": { $0.watermarkBatchSize += 1 },
        "maxInFlightRequests": { $0.maxInFlightRequests += 1 },
        "clientRecreatePolls": { $0.clientRecreatePolls += 1 },
    ]

    /// Changes to the shared poll settings: every cluster gets a fresh poller. (`analysisStorage` is the
    /// stored ``AnalysisSettings``, each of whose fields is changed by ``analysisMutations``.)
    static let pollMutations: [String: ConfigurationMutation] = [
        "pollIntervalSeconds": { $0.pollIntervalSeconds += 1 },
        "configuredRateWindowSeconds": { $0.configuredRateWindowSeconds = 600 },
    ]

    /// Changes to each analysis setting, made through ``Configuration/analysis``: every cluster gets a
    /// fresh poller.
    static let analysisMutations: [String: @Sendable (inout AnalysisSettings) throws -> Void] = [
        "rateWindowSeconds": { $0.rateWindowSeconds += 60 },
        "timelinePoints": { $0.timelinePoints += 1 },
        "statusWindowPolls": { $0.statusWindowPolls += 1 },
        "statusMinLag": { $0.statusMinLag += 1 },
        "exportsPartitionStatus": { $0.exportsPartitionStatus.toggle() },
        "exact.groups": { $0.exact.groups = try NameFilter(include: ["^billing$"], exclude: []) },
        "exact.maxPartitions": { $0.exact.maxPartitions += 1 },
        "exact.timeoutMilliseconds": { $0.exact.timeoutMilliseconds += 1 },
        "hangingTransactionSeconds": { $0.hangingTransactionSeconds += 60 },
        "inactiveAfterSeconds": { $0.inactiveAfterSeconds += 60 },
    ]

    /// Changes that take effect only on a restart: pollers are kept, and the setting is reported by name.
    static let restartOnlyMutations: [String: (name: String, mutate: ConfigurationMutation)] = [
        "listenAddress": ("web.listen_address", { $0.listenAddress = "127.0.0.1:9400" }),
        "telemetryPath": ("web.telemetry_path", { $0.telemetryPath = "/kafka" }),
        "webSecurity": ("web.config_file", { configuration in
            var security = WebSecurity()
            security.users = ["ops": "$2y$10$" + String(repeating: "a", count: 53)]
            configuration.webSecurity = security
        }),
        "logLevel": ("log.level", { $0.logLevel = .debug }),
        "logFormat": ("log.format", { $0.logFormat = .json }),
    ]

    static func base() -> Configuration {
        var configuration = Configuration()
        var a = ClusterConfiguration(name: "a", bootstrapServers: ["a:9092"])
        a.discoverGroups = false
        var b = ClusterConfiguration(name: "b", bootstrapServers: ["b:9092"])
        b.discoverGroups = false
        configuration.clusters = [a, b]
        configuration.listenAddress = "127.0.0.1:0"
        configuration.pollIntervalSeconds = 60
        return configuration
    }

    /// Reloads `next` into a daemon built from `base()`, with fake clients.
    static func reload(_ next: Configuration) throws -> ReloadOutcome {
        let fake = FakeClusterClient(metadata: fakeMetadata(["t": 1]))
        let daemon = try Daemon(configuration: base(), logger: TestLogger.quiet(), makeClient: { _ in { fake } })
        // Started, so that every loop runs and stop() finds each one ending at once.
        try daemon.start()
        defer { daemon.stop() }
        return try daemon.reload(next).get()
    }

    static func labels(of value: Any) -> Set<String> {
        Set(Mirror(reflecting: value).children.compactMap(\.label))
    }

    @Test func everySettingIsClassified() {
        #expect(Self.labels(of: ClusterConfiguration(name: "a", bootstrapServers: [])) == Set(Self.clusterMutations.keys).union(["name"]))
        let configurationFields = Set(Self.pollMutations.keys).union(Self.restartOnlyMutations.keys)
            .union(["clusters", "analysisStorage"])
        #expect(Self.labels(of: Configuration()) == configurationFields)
        let settings = AnalysisSettings()
        let analysisFields = Self.labels(of: settings).subtracting(["exact"])
            .union(Self.labels(of: settings.exact).map { "exact." + $0 })
        #expect(analysisFields == Set(Self.analysisMutations.keys))
    }

    @Test func anIdenticalConfigurationKeepsEveryPoller() throws {
        #expect(try Self.reload(Self.base()) == ReloadOutcome(unchanged: ["a", "b"]))
    }

    @Test(arguments: clusterMutations.keys.sorted())
    func aChangedClusterSettingReplacesThatClustersPollerOnly(field: String) throws {
        var next = Self.base()
        try Self.clusterMutations[field]!(&next.clusters[1])
        #expect(next.clusters[1] != Self.base().clusters[1])
        #expect(try Self.reload(next) == ReloadOutcome(restarted: ["b"], unchanged: ["a"]))
    }

    @Test(arguments: pollMutations.keys.sorted())
    func aChangedPollSettingReplacesEveryPoller(field: String) throws {
        var next = Self.base()
        try Self.pollMutations[field]!(&next)
        #expect(try Self.reload(next) == ReloadOutcome(restarted: ["a", "b"]))
    }

    @Test(arguments: analysisMutations.keys.sorted())
    func aChangedAnalysisSettingReplacesEveryPoller(field: String) throws {
        var next = Self.base()
        try Self.analysisMutations[field]!(&next.analysis)
        #expect(next.analysis != Self.base().analysis)
        #expect(try Self.reload(next) == ReloadOutcome(restarted: ["a", "b"]))
    }

    @Test(arguments: restartOnlyMutations.keys.sorted())
    func aRestartOnlySettingKeepsThePollersAndIsReported(field: String) throws {
        var next = Self.base()
        let (name, mutate) = Self.restartOnlyMutations[field]!
        try mutate(&next)
        #expect(try Self.reload(next) == ReloadOutcome(unchanged: ["a", "b"], needsRestart: [name]))
    }

    @Test func aRenamedClusterIsAnotherCluster() throws {
        var next = Self.base()
        next.clusters[1].name = "c"
        #expect(try Self.reload(next) == ReloadOutcome(added: ["c"], removed: ["b"], unchanged: ["a"]))
    }
}
