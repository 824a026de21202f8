public import LagwatchKafka
public import LagwatchModel
public import Synchronization

/// A ``ClusterClient`` whose answers a test sets, for driving discovery and failure paths without Kafka.
/// Every call is recorded in ``calls``.
public final class FakeClusterClient: ClusterClient, @unchecked Sendable {
    /// What ``metadata(timeoutMilliseconds:)`` does; may block or throw.
    public var onMetadata: @Sendable () throws -> ClusterMetadata
    /// What ``listGroups(waitMilliseconds:)`` answers.
    public var listing: Result<[GroupListing], KafkaError> = .failure(KafkaError(.unsupported, "not supported"))
    /// Descriptions by group.
    public var descriptions: [String: GroupDescription] = [:]
    /// Committed offsets by group; a group missing here fails with a timeout.
    public var committed: [String: PartitionMap<Int64?>] = [:]
    /// Watermarks by partition; partitions missing here are reported as failed for their leader.
    public var watermarks: PartitionMap<Watermarks> = [:]
    /// Record timestamps by partition and offset; an offset missing here gets no answer.
    public var records: [TopicPartition: [Int64: Double]] = [:]
    /// The offsets each ``recordTimes(at:timeoutMilliseconds:)`` call asked for, call by call.
    public let recordRounds = Mutex<[[TopicPartition: Int64]]>([])
    /// The calls made, in order (`metadata`, `list`, `describe:a,b`, `offsets:g`, `watermarks`, `records`).
    public let calls = Mutex<[String]>([])

    /// Creates a fake whose metadata is `metadata`.
    public init(metadata: ClusterMetadata) {
        onMetadata = { metadata }
    }

    public func metadata(timeoutMilliseconds: Int) throws -> ClusterMetadata {
        calls.withLock { $0.append("metadata") }
        return try onMetadata()
    }

    public func listGroups(waitMilliseconds: Int) -> Result<[GroupListing], KafkaError> {
        calls.withLock { $0.append("list") }
        return listing
    }

    public func describeGroups(_ names: [String], waitMilliseconds: Int) -> [String: Result<GroupDescription, KafkaError>] {
        calls.withLock { $0.append("describe:" + names.joined(separator: ",")) }
        var out: [String: Result<GroupDescription, KafkaError>] = [:]
        for name in names {
            out[name] = descriptions[name].map { .success($0) } ?? .failure(KafkaError(.broker, "unknown group"))
        }
        return out
    }

    public func committedOffsets(
        _ requests: [CommittedOffsetsRequest],
        maxInFlight: Int,
        waitMilliseconds: Int
    ) -> [String: Result<PartitionMap<Int64?>, KafkaError>] {
        var out: [String: Result<PartitionMap<Int64?>, KafkaError>] = [:]
        for request in requests {
            calls.withLock { $0.append("offsets:\(request.group):\(request.partitions.map { "\($0.count)" } ?? "all")") }
            guard let offsets = committed[request.group] else {
                out[request.group] = .failure(KafkaError(.timeout, "no answer"))
                continue
            }
            if let partitions = request.partitions {
                var asked: PartitionMap<Int64?> = [:]
                for key in partitions { asked[key] = offsets[key] ?? .some(nil) }
                out[request.group] = .success(asked)
            } else {
                out[request.group] = .success(offsets)
            }
        }
        return out
    }

    public func watermarks(leaders: [TopicPartition: Int32], batchSize: Int, timeoutMilliseconds: Int) -> WatermarkResult {
        calls.withLock { $0.append("watermarks") }
        var found: PartitionMap<Watermarks> = [:]
        var failedLeaders = Set<Int32>()
        for (key, leader) in leaders {
            if let marks = watermarks[key] { found[key] = marks } else { failedLeaders.insert(leader) }
        }
        return WatermarkResult(watermarks: found, errors: failedLeaders.sorted().map { "broker \($0): timed out" })
    }

    public func recordTimes(at offsets: [TopicPartition: Int64], timeoutMilliseconds: Int) -> [TopicPartition: RecordTime] {
        calls.withLock { $0.append("records") }
        recordRounds.withLock { $0.append(offsets) }
        var found: [TopicPartition: RecordTime] = [:]
        for (key, offset) in offsets {
            if let time = records[key]?[offset] { found[key] = RecordTime(offset: offset, timestamp: time, isLogAppendTime: false) }
        }
        return found
    }

    public func serveCallbacks() {}

    public var outstandingRequests: Int { 0 }
}

/// Metadata for tests: topics with `partitions` partitions each, all led by broker 1.
public func fakeMetadata(_ topics: [String: Int32]) -> ClusterMetadata {
    ClusterMetadata(
        brokers: [Broker(id: 1, host: "fake", port: 9092)], controllerID: 1,
        topics: topics.map { name, count in
            TopicMetadata(
                name: name,
                partitions: (0..<count).map { PartitionMetadata(partition: $0, leader: 1, replicas: [1], inSyncReplicas: [1]) })
        })
}
