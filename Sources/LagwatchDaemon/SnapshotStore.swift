
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
        /// The body, all families but the snapshot age, deflated and ready to be joined with the age family.
        public let gzip: GzipPrefix
    }

    /// The clusters served, in the order their series are written.
    public let clusterNames: [String]
    private let info: ExporterInfo
    private let latest: Mutex<Rendered>
    /// Serialises rendering, so two clusters finishing together both end up in the body.
    private let renderLock = Mutex<[String: ClusterSnapshot]>([:])

    /// Creates an empty store for the clusters named, in the order their series are written.
    public init(clusterNames: [String], info: ExporterInfo) {
        self.clusterNames = clusterNames
        self.info = info
        latest = Mutex(Self.render([], info: info))
    }

    /// The latest rendered body; before the first poll completes, the families with no Kafka series.
    public var current: Rendered { latest.withLock { $0 } }

    /// Replaces a cluster's snapshot and renders the body again.
    public func publish(_ snapshot: ClusterSnapshot) {
        renderLock.withLock { byCluster in
            byCluster[snapshot.clusterName] = snapshot
            let rendered = Self.render(clusterNames.compactMap { byCluster[$0] }, info: info)
            latest.withLock { $0 = rendered }
        }
    }

    private static func render(_ snapshots: [ClusterSnapshot], info: ExporterInfo) -> Rendered {
        let builder = GzipPrefixBuilder()
        TextRenderer.render(snapshots, info: info) { builder.append($0) }
        return Rendered(snapshots: snapshots, gzip: builder.finish())
    }
}
