/// A partition's open transaction, as its last stable offset (LSO) shows it.
public struct OpenTransaction: Sendable, Hashable {
    /// The last stable offset: the first offset of the oldest transaction still open.
    public let lastStable: Int64
    /// How long the LSO has stood at that offset below the high watermark, in seconds: how long, at least,
    /// the oldest open transaction has been open (lagwatch sees it from its first poll that did).
    public let seconds: Double
    /// True once ``seconds`` reaches the hanging threshold: no healthy transaction is open that long, and
    /// every read_committed consumer of the partition is blocked at the LSO until it is aborted.
    public let hanging: Bool

    /// Creates an open transaction.
    public init(lastStable: Int64, seconds: Double, hanging: Bool) {
        self.lastStable = lastStable
        self.seconds = seconds
        self.hanging = hanging
    }
}

/// Follows each partition's last stable offset from poll to poll, to tell a transaction that is merely open
/// from one that hangs (the incident KIP-664 was written for: a producer that died mid-transaction, whose
/// open transaction holds the LSO, and with it every read_committed consumer, until someone aborts it).
///
/// The rules (also in the README):
/// - a partition has an open transaction while its LSO is below its high watermark;
/// - its age is the time since the LSO took its current offset (a new oldest transaction restarts it);
/// - it hangs once that age reaches `hangingSeconds`;
/// - a partition whose LSO was not read this poll keeps its history but reports nothing; one missing from
///   a successful poll's metadata is forgotten.
///
/// Pure: times come from the observation. Memory: only partitions with an open transaction are kept.
public struct TransactionTracker: Sendable {
    /// Seconds after which an open transaction counts as hanging.
    public let hangingSeconds: Double
    private var since: [TopicPartition: (lastStable: Int64, time: Double)] = [:]

    /// Creates a tracker that calls a transaction hanging after `hangingSeconds`.
    public init(hangingSeconds: Double) {
        self.hangingSeconds = hangingSeconds
    }

    /// Partitions tracked, for memory accounting.
    public var trackedPartitions: Int { since.count }

    /// Takes this poll's watermarks and returns the open transactions as of this poll.
    public mutating func record(_ observation: ClusterObservation) -> [TopicPartition: OpenTransaction] {
        let now = observation.watermarksObservedAt
        var open: [TopicPartition: OpenTransaction] = [:]
        for (key, marks) in observation.watermarks {
            guard let lastStable = marks.lastStable else { continue }
            guard lastStable < marks.high else {
                since[key] = nil
                continue
            }
            if since[key]?.lastStable != lastStable { since[key] = (lastStable, now) }
            let seconds = max(0, now - since[key]!.time)
            open[key] = OpenTransaction(lastStable: lastStable, seconds: seconds, hanging: seconds >= hangingSeconds)
        }
        if let metadata = observation.metadata, !since.isEmpty {
            let known = metadata.partitionKeys
            since = since.filter { known.contains($0.key) }
        }
        return open
    }
}
