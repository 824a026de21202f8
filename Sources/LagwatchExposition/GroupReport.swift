import FoundationEssentials
public import LagwatchModel

/// One group in one cluster, summed up: what `GET /api/v1/groups` lists and the status page's overview
/// shows. Built from a snapshot, so both agree with `/metrics` of the same poll.
public struct GroupSummary: Sendable, Codable, Hashable {
    public var cluster: String
    public var group: String
    /// Worst status over the partitions; `nil` when the offsets could not be fetched.
    public var status: String?
    /// State as the broker describes it, where groups can be described.
    public var state: String?
    public var members: Int?
    /// Sum of lag over all partitions; `nil` when any partition's is unknown this poll.
    public var lag: Int64?
    public var maxLagSeconds: Double?
    public var lagSecondsMethod: String?
    public var catchUpSeconds: Double?
    /// Sum of consume rates, messages per second; `nil` when any partition has none this poll.
    public var consumeRate: Double?
    public var topics: [String]
    public var partitions: Int
    /// Why the offsets could not be fetched this poll.
    public var error: String?
    /// When the poll these figures come from completed, seconds since the epoch.
    public var polledAt: Double
    /// True when the cluster does not answer now: the figures are from its last poll that reached it
    /// (``polledAt``).
    public var stale: Bool

    init(_ group: GroupLag, in snapshot: ClusterSnapshot, stale: Bool = false) {
        cluster = snapshot.clusterName
        self.group = group.name
        status = group.status?.rawValue
        state = group.state
        members = group.memberCount
        lag = group.totalLag
        consumeRate = group.totalConsumeRate
        maxLagSeconds = group.maxLagTime?.seconds
        lagSecondsMethod = group.maxLagTime?.method.rawValue
        catchUpSeconds = group.catchUpSeconds
        topics = group.topics.map(\.topic)
        partitions = group.topics.reduce(0) { $0 + $1.partitions.count }
        error = group.fetchError
        polledAt = snapshot.completedAt
        self.stale = stale
    }
}

/// One group in one cluster in full: what `GET /api/v1/groups/{group}` answers and a group's page shows.
public struct GroupDetail: Sendable, Codable, Hashable {
    public struct Partition: Sendable, Codable, Hashable {
        public var partition: Int32
        public var committed: Int64
        public var highWatermark: Int64?
        public var lowWatermark: Int64?
        /// The last stable offset, when read; below the high watermark while a transaction is open.
        public var lastStableOffset: Int64?
        /// Seconds the partition's oldest open transaction has been open, when one is.
        public var openTransactionSeconds: Double?
        /// True when that transaction hangs (see `kafka_topic_partition_hanging_transaction`).
        public var hangingTransaction: Bool?
        public var lag: Int64?
        public var lagSeconds: Double?
        public var lagSecondsMethod: String?
        public var status: String?
        public var consumeRate: Double?
        public var produceRate: Double?
        public var behindLogStart: Bool
        public var pastLogEnd: Bool
    }

    public struct Topic: Sendable, Codable, Hashable {
        public var topic: String
        public var lag: Int64?
        public var maxLagSeconds: Double?
        public var consumeRate: Double?
        public var produceRate: Double?
        public var partitions: [Partition]
    }

    public struct Member: Sendable, Codable, Hashable {
        public var memberId: String
        public var clientId: String
        public var host: String
        /// `topic/partition` each.
        public var assigned: [String]
    }

    public var summary: GroupSummary
    public var partitionsByStatus: [String: Int]
    public var partitionsWithoutCommit: Int
    public var partitionsWithoutLagSeconds: Int
    public var topics: [Topic]
    public var members: [Member]?

    init(_ group: GroupLag, in snapshot: ClusterSnapshot, stale: Bool = false) {
        summary = GroupSummary(group, in: snapshot, stale: stale)
        partitionsByStatus = Dictionary(uniqueKeysWithValues: group.partitionsByStatus.map { ($0.key.rawValue, $0.value) })
        partitionsWithoutCommit = group.partitionsWithoutCommit
        partitionsWithoutLagSeconds = group.partitionsWithoutLagTime
        var states: [TopicPartition: PartitionState] = [:]
        let read = Set(group.topics.map(\.topic))
        for topic in snapshot.topics where read.contains(topic.name) {
            for partition in topic.partitions { states[TopicPartition(topic.name, partition.metadata.partition)] = partition }
        }
        topics = group.topics.map { topic in
            let partitions = topic.partitions.map { lag in
                let state = states[TopicPartition(topic.topic, lag.partition)]
                return Partition(
                    partition: lag.partition, committed: lag.committed, highWatermark: state?.watermarks?.high,
                    lowWatermark: state?.watermarks?.low, lastStableOffset: state?.watermarks?.lastStable,
                    openTransactionSeconds: state?.openTransaction?.seconds,
                    hangingTransaction: state?.openTransaction?.hanging, lag: lag.lag, lagSeconds: lag.lagTime?.seconds,
                    lagSecondsMethod: lag.lagTime?.method.rawValue, status: lag.status?.rawValue,
                    consumeRate: lag.consumeRate, produceRate: state?.produceRate, behindLogStart: lag.behindLogStart,
                    pastLogEnd: lag.pastLogEnd)
            }
            var produce: Double? = 0
            for partition in partitions { produce = produce.flatMap { sum in partition.produceRate.map { sum + $0 } } }
            return Topic(
                topic: topic.topic, lag: topic.lagSum, maxLagSeconds: topic.maxLagTime?.seconds,
                consumeRate: topic.consumeRate, produceRate: produce, partitions: partitions)
        }
        members = group.members?.map { member in
            Member(
                memberId: member.memberID, clientId: member.clientID, host: member.host,
                assigned: member.assigned.map { "\($0.topic)/\($0.partition)" })
        }
    }
}

/// Builds the group reports from snapshots and writes them as JSON (snake_case keys, sorted; a value that
/// is unknown this poll leaves its key out).
public enum GroupReport {
    /// Every group of every cluster, in the snapshots' order.
    public static func summaries(_ shown: ShownClusters) -> [GroupSummary] {
        shown.snapshots.flatMap { snapshot in
            snapshot.groups.map { GroupSummary($0, in: snapshot, stale: shown.stale.contains(snapshot.clusterName)) }
        }
    }

    /// The group named `name` in each cluster that has it; empty when none has.
    public static func details(of name: String, in shown: ShownClusters) -> [GroupDetail] {
        shown.snapshots.compactMap { snapshot in
            snapshot.groups.first { $0.name == name }.map {
                GroupDetail($0, in: snapshot, stale: shown.stale.contains(snapshot.clusterName))
            }
        }
    }

    /// `{"groups":[…]}` with one group per line, so the answer reads and greps well: the groups `filter` accepts,
    /// in cluster and name order, all of them or, when the filter names a page, that page.
    public static func summariesJSON(
        _ snapshots: [ClusterSnapshot],
        lastGood: [String: ClusterSnapshot] = [:],
        filter: GroupFilter = GroupFilter()
    ) -> [UInt8] {
        let shown = ShownClusters(current: snapshots, lastGood: lastGood)
        var accepted: [(cluster: Int, group: Int)] = []
        for (clusterIndex, snapshot) in shown.snapshots.enumerated() {
            for (groupIndex, group) in snapshot.groups.enumerated() where filter.accepts(group, cluster: snapshot.clusterName) {
                accepted.append((clusterIndex, groupIndex))
            }
        }
        if let page = filter.page {
            let first = min(accepted.count, (page - 1) * GroupFilter.pageSize)
            accepted = Array(accepted[first..<min(accepted.count, first + GroupFilter.pageSize)])
        }
        let lines = accepted.map { cluster, group in
            let snapshot = shown.snapshots[cluster]
            return encode(GroupSummary(snapshot.groups[group], in: snapshot, stale: shown.stale.contains(snapshot.clusterName)))
        }
        var out = Array("{\"groups\":[".utf8)
        for (index, line) in lines.enumerated() {
            out.append(contentsOf: index == 0 ? [0x0A] : Array(",\n".utf8))
            out.append(contentsOf: line)
        }
        out.append(contentsOf: Array((lines.isEmpty ? "]}\n" : "\n]}\n").utf8))
        return out
    }

    /// `{"group":…,"clusters":[…]}`, or `nil` when no cluster has the group.
    public static func detailJSON(
        of name: String,
        in snapshots: [ClusterSnapshot],
        lastGood: [String: ClusterSnapshot] = [:]
    ) -> [UInt8]? {
        struct Answer: Encodable {
            var group: String
            var clusters: [GroupDetail]
        }
        let details = details(of: name, in: ShownClusters(current: snapshots, lastGood: lastGood))
        guard !details.isEmpty else { return nil }
        return encode(Answer(group: name, clusters: details)) + [0x0A]
    }

    /// `{"error":…}` for an error answer.
    public static func errorJSON(_ message: String) -> [UInt8] {
        encode(["error": message]) + [0x0A]
    }

    /// `<`, `>` and `&` as `\u003c`, `\u003e` and `\u0026`: the same JSON, which no HTML parser can take
    /// for markup (the characters can only occur inside strings here).
    static func htmlSafe(_ json: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(json.count)
        for byte in json {
            switch byte {
            case UInt8(ascii: "<"): out += Array("\\u003c".utf8)
            case UInt8(ascii: ">"): out += Array("\\u003e".utf8)
            case UInt8(ascii: "&"): out += Array("\\u0026".utf8)
            default: out.append(byte)
            }
        }
        return out
    }

    private static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        // Plain structs of strings and numbers, with non-finite numbers written as strings: encoding cannot
        // fail, so a failure would be a programming error.
        return htmlSafe(Array(try! encoder.encode(value)))
    }
}
