public import LagwatchModel

/// What the status pages and the JSON API show of the clusters: each cluster's latest snapshot, except that
/// a cluster that does not answer now is shown as it was in its last poll that reached it, marked stale —
/// an on-call person needs the last known state during an outage, not an empty list. `/metrics` never
/// does this: there, nothing stale is served as fresh.
public struct ShownClusters: Sendable {
    /// The snapshots shown, in the order given.
    public let snapshots: [ClusterSnapshot]
    /// The latest snapshot of each cluster, down or not.
    public let latest: [String: ClusterSnapshot]
    /// Clusters shown from an earlier poll, by name.
    public let stale: Set<String>

    /// Shows `current`, with the `lastGood` snapshot of a cluster whose current one is down.
    public init(current: [ClusterSnapshot], lastGood: [String: ClusterSnapshot]) {
        var stale = Set<String>()
        snapshots = current.map { snapshot in
            guard !snapshot.up, let good = lastGood[snapshot.clusterName] else { return snapshot }
            stale.insert(snapshot.clusterName)
            return good
        }
        latest = Dictionary(current.map { ($0.clusterName, $0) }, uniquingKeysWith: { first, _ in first })
        self.stale = stale
    }
}
