public import LagwatchModel

/// The Kafka requests one poll makes, as Swift values. ``KafkaClusterClient`` sends them through
/// librdkafka; tests substitute fakes to drive discovery and failure paths without a broker.
///
/// Every method blocks its caller for at most the time it is given, and reports failures as values or
/// throws; none may crash or hang the process on a broker fault.
///
/// Not `Sendable`: a client belongs to one ``ClusterPoller`` and is called from its thread only. (A
/// factory makes it there; a fake that a test also touches declares `Sendable` itself.)
public protocol ClusterClient {
    /// Brokers, controller, topics and partitions.
    func metadata(timeoutMilliseconds: Int) throws -> ClusterMetadata
    /// Lists consumer groups (Admin API).
    func listGroups(waitMilliseconds: Int) -> Result<[GroupListing], KafkaError>
    /// Describes consumer groups (Admin API). Only called where listing worked.
    func describeGroups(_ names: [String], waitMilliseconds: Int) -> [String: Result<GroupDescription, KafkaError>]
    /// Committed offsets of many groups, with up to `maxInFlight` requests outstanding.
    func committedOffsets(
        _ requests: [CommittedOffsetsRequest],
        maxInFlight: Int,
        waitMilliseconds: Int
    ) -> [String: Result<PartitionMap<Int64?>, KafkaError>]
    /// Low and high watermarks, in batches of at most `batchSize` partitions per leader broker. `leaders` maps
    /// each partition to its leader.
    func watermarks(leaders: [TopicPartition: Int32], batchSize: Int, timeoutMilliseconds: Int) -> WatermarkResult
    /// Serves librdkafka's queued callbacks; called once per poll.
    func serveCallbacks()
    /// Requests sent and not yet answered. A client is replaced only when this is 0, since destroying a
    /// librdkafka client with admin requests in flight is where its 2.0.2 admin bugs live.
    var outstandingRequests: Int { get }
    /// The first record at or after each partition's offset, for the exact lag-in-seconds method; partitions
    /// with no record within `timeoutMilliseconds` are missing.
    func recordTimes(at offsets: [TopicPartition: Int64], timeoutMilliseconds: Int) -> [TopicPartition: RecordTime]
    /// Waits up to `waitMilliseconds` for outstanding requests to be answered (and throws the answers away),
    /// before the client is released.
    func settleOutstanding(waitMilliseconds: Int)
}

extension ClusterClient {
    /// A client that cannot read records dates nothing exactly; lag in seconds falls back to interpolation.
    public func recordTimes(at offsets: [TopicPartition: Int64], timeoutMilliseconds: Int) -> [TopicPartition: RecordTime] {
        [:]
    }

    /// A client without outstanding requests has nothing to wait for.
    public func settleOutstanding(waitMilliseconds: Int) {}
}

/// Watermarks of the partitions whose leader answered, and a message per leader that did not.
public struct WatermarkResult: Sendable {
    /// Watermarks by partition.
    public var watermarks: PartitionMap<Watermarks>
    /// One message per failed leader batch, naming the broker.
    public var errors: [String]

    /// Creates a result.
    public init(watermarks: PartitionMap<Watermarks>, errors: [String]) {
        self.watermarks = watermarks
        self.errors = errors
    }
}
