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

extension ClusterConfiguration {
    /// Everything that shapes how the cluster is polled, as text: two configurations poll alike when their
    /// fingerprints are equal. Holds secrets (librdkafka properties); it is compared, never logged.
    var fingerprint: String {
        let groups = staticGroups.map { "\($0.name):\($0.topics?.joined(separator: ",") ?? "*")" }
        let fields: [String] = [
            name, bootstrapServers.joined(separator: ","),
            topics.includePatterns.joined(separator: "\u{1}"), topics.excludePatterns.joined(separator: "\u{1}"),
            self.groups.includePatterns.joined(separator: "\u{1}"), self.groups.excludePatterns.joined(separator: "\u{1}"),
            groups.joined(separator: ";"), "\(discoverGroups)", "\(describeGroups)", "\(exportsMemberSeries)",
            properties.map { "\($0.0)=\($0.1)" }.joined(separator: "\u{1}"),
            "\(metadataTimeoutMilliseconds)", "\(offsetsWaitMilliseconds)", "\(watermarksTimeoutMilliseconds)",
            "\(watermarkBatchSize)", "\(maxInFlightRequests)", "\(clientRecreatePolls)",
        ]
        return fields.joined(separator: "\u{0}")
    }
}

extension Configuration {
    /// The settings every poller shares, as text (see ``ClusterConfiguration/fingerprint``).
    var pollingFingerprint: String {
        let analysis = self.analysis
        let fields: [String] = [
            "\(pollIntervalSeconds)", "\(analysis.rateWindowSeconds)", "\(analysis.timelinePoints)",
            "\(analysis.statusWindowPolls)", "\(analysis.statusMinLag)", "\(analysis.exportsPartitionStatus)",
            analysis.exact.groups?.includePatterns.joined(separator: "\u{1}") ?? "-",
            "\(analysis.exact.maxPartitions)", "\(analysis.exact.timeoutMilliseconds)",
        ]
        return fields.joined(separator: "\u{0}")
    }

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
