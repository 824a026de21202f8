import LagwatchConfig
import LagwatchModel

/// What a configuration reload did.
public struct ReloadOutcome: Sendable, Equatable {
    /// Clusters polled from now on that were not before.
    public var added: [String] = []
    /// Clusters no longer polled; their series are gone from the next scrape.
    public var removed: [String] = []
    /// Clusters whose settings changed: polled afresh (their rates, timelines and statuses start over), their
    /// current snapshot served until the new poller's first poll replaces it.
    public var restarted: [String] = []
    /// Clusters left as they were, poller and history included.
    public var unchanged: [String] = []
    /// Settings that changed but only take effect on a restart (listen address, telemetry path, logging).
    public var needsRestart: [String] = []

    /// Creates an outcome.
    public init(
        added: [String] = [],
        removed: [String] = [],
        restarted: [String] = [],
        unchanged: [String] = [],
        needsRestart: [String] = []
    ) {
        self.added = added
        self.removed = removed
        self.restarted = restarted
        self.unchanged = unchanged
        self.needsRestart = needsRestart
    }
}

/// Everything a cluster's poller is built from: two pollers poll alike exactly when their settings are
/// equal, so a reload keeps a poller (and its history) only then. Compared by value, so a setting added to
/// ``ClusterConfiguration`` or ``AnalysisSettings`` counts without anyone listing it here. Holds secrets
/// (librdkafka properties): compared, never logged.
struct PollerSettings: Equatable {
    var cluster: ClusterConfiguration
    var analysis: AnalysisSettings
    var pollIntervalSeconds: Double

    init(_ cluster: ClusterConfiguration, _ configuration: Configuration) {
        self.cluster = cluster
        analysis = configuration.analysis
        pollIntervalSeconds = configuration.pollIntervalSeconds
    }
}

extension Configuration {
    /// Settings that differ from `other` and need a restart to change.
    func restartOnlyChanges(from other: Configuration) -> [String] {
        var changes: [String] = []
        if listenAddress != other.listenAddress { changes.append("web.listen_address") }
        if telemetryPath != other.telemetryPath { changes.append("web.telemetry_path") }
        let security = webSecurity, otherSecurity = other.webSecurity
        if security?.certificatePEM != otherSecurity?.certificatePEM || security?.keyPEM != otherSecurity?.keyPEM
            || security?.users != otherSecurity?.users
        {
            changes.append("web.config_file")
        }
        if logLevel != other.logLevel { changes.append("log.level") }
        if logFormat != other.logFormat { changes.append("log.format") }
        return changes
    }
}
