
public import LagwatchExposition
public import LagwatchHTTP
public import LagwatchModel
import Synchronization

/// The latest snapshot of every cluster, and the `/metrics` body rendered from them.
///
/// A poll calls ``publish(_:)`` once it completes; HTTP handlers call ``current`` and never wait for a
/// poll: the rendered body is swapped in whole under a lock held only for the swap.
public final class SnapshotStore: Sendable {
    /// What a scrape serves: the body rendered and compressed at poll time, and the snapshots it came from.
    /// Only the deflated body is kept (about 3% of the text at 150k series); plain-text scrapes are
    /// decompressed as they are sent, since Prometheus asks for gzip and the text would be the largest
    /// thing in memory.
    public struct Rendered: Sendable {
        /// Latest snapshot per cluster, in configuration order (clusters not yet polled are missing).
        public let snapshots: [ClusterSnapshot]
        /// The last snapshot of each cluster that reached it: what the pages and the API show, marked stale,
        /// while the cluster does not answer (never `/metrics`). It shares its storage with ``snapshots``
        /// while the cluster answers.
        public let lastGood: [String: ClusterSnapshot]
        /// The body, all families but the snapshot age, deflated and ready to be joined with the age family.
        public let gzip: GzipPrefix
    }

    /// What is rendered from: the clusters served in order, their latest snapshots, and the process facts.
    private struct State {
        var clusterNames: [String]
        var snapshots: [String: ClusterSnapshot] = [:]
        var options: [String: SeriesOptions] = [:]
        var lastGood: [String: ClusterSnapshot] = [:]
        var info: ExporterInfo
    }

    private let latest: Mutex<Rendered>
    /// Serialises rendering, so two clusters finishing together (or a reload) all end up in the body.
    private let state: Mutex<State>

    /// Creates an empty store for the clusters named, in the order their series are written.
    public init(clusterNames: [String], info: ExporterInfo) {
        state = Mutex(State(clusterNames: clusterNames, info: info))
        latest = Mutex(Self.render([], options: [:], lastGood: [:], info: info))
    }

    /// The clusters served, in the order their series are written.
    public var clusterNames: [String] { state.withLock { $0.clusterNames } }

    /// The latest rendered body; before the first poll completes, the families with no Kafka series.
    public var current: Rendered { latest.withLock { $0 } }

    /// Replaces a cluster's snapshot, rendered with `options`, and renders the body again. A snapshot of a
    /// cluster no longer served (a poll that ended after a reload removed its cluster) is dropped.
    public func publish(_ snapshot: ClusterSnapshot, options: SeriesOptions = SeriesOptions()) {
        update { state in
            guard state.clusterNames.contains(snapshot.clusterName) else { return }
            state.snapshots[snapshot.clusterName] = snapshot
            state.options[snapshot.clusterName] = options
            if snapshot.up { state.lastGood[snapshot.clusterName] = snapshot }
        }
    }

    /// Serves `names` from now on: removed clusters' series go, others keep their snapshot until replaced.
    public func setClusters(_ names: [String]) {
        update { state in
            state.clusterNames = names
            state.snapshots = state.snapshots.filter { names.contains($0.key) }
            state.options = state.options.filter { names.contains($0.key) }
            state.lastGood = state.lastGood.filter { names.contains($0.key) }
        }
    }

    /// Counts a configuration reload; `loadedAt` is when the configuration now in effect was loaded.
    public func recordReload(succeeded: Bool, loadedAt: Double?) {
        update { state in
            if succeeded { state.info.reloadSuccesses += 1 } else { state.info.reloadFailures += 1 }
            state.info.lastReloadSucceeded = succeeded
            if let loadedAt { state.info.configurationLoadedAt = loadedAt }
        }
    }

    /// Sets when the configuration in effect was loaded (at start).
    public func setConfigurationLoaded(at time: Double) {
        update { $0.info.configurationLoadedAt = time }
    }

    private func update(_ change: (inout State) -> Void) {
        state.withLock { state in
            change(&state)
            let rendered = Self.render(
                state.clusterNames.compactMap { state.snapshots[$0] }, options: state.options, lastGood: state.lastGood,
                info: state.info)
            latest.withLock { $0 = rendered }
        }
    }

    private static func render(
        _ snapshots: [ClusterSnapshot],
        options: [String: SeriesOptions],
        lastGood: [String: ClusterSnapshot],
        info: ExporterInfo
    ) -> Rendered {
        let builder = GzipPrefixBuilder(level: 1)
        TextRenderer.render(snapshots, options: options, info: info) { builder.append($0) }
        return Rendered(snapshots: snapshots, lastGood: lastGood, gzip: builder.finish())
    }
}
