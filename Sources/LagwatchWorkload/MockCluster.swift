internal import CRdKafka
import LagwatchKafka
public import LagwatchModel
public import Logging

/// librdkafka's in-process mock Kafka cluster: real brokers speaking the Kafka protocol on loopback TCP
/// ports, used by `lagwatch demo`, the benchmark and the tests. (This module, LagwatchWorkload, holds the
/// Kafka traffic lagwatch makes for itself rather than observes; no poll uses it, but the binary links it
/// for `lagwatch demo` and `lagwatch bench`.)
///
/// Owns the `rd_kafka_mock_cluster_t` and the client handle it was created from; the mock is destroyed in
/// `deinit` before that handle. Destroy every client that talks to the mock before the mock itself.
///
/// `@unchecked Sendable`: the mock's functions post operations to its own thread, so calls may come from any
/// thread; this class holds nothing mutable.
public final class MockCluster: @unchecked Sendable {
    /// Kafka API keys used with ``pushRequestErrors(apiKey:_:)``.
    public enum APIKey: Int16, Sendable {
        /// ListOffsets (watermarks).
        case listOffsets = 2
        /// Metadata.
        case metadata = 3
        /// OffsetFetch (committed offsets).
        case offsetFetch = 9
        /// FindCoordinator.
        case findCoordinator = 10
    }

    /// Kafka error codes used with ``pushRequestErrors(apiKey:_:)``.
    public enum BrokerError: Int32, Sendable {
        /// NOT_COORDINATOR (16).
        case notCoordinator = 16
        /// COORDINATOR_NOT_AVAILABLE (15).
        case coordinatorNotAvailable = 15
        /// NOT_LEADER_OR_FOLLOWER (6).
        case notLeader = 6
        /// REQUEST_TIMED_OUT (7).
        case requestTimedOut = 7
    }

    private let parent: KafkaHandle
    private let cluster: OpaquePointer
    /// Broker ids, 1 through the broker count.
    public let brokerIDs: [Int32]

    /// Starts a mock cluster with `brokers` brokers.
    public init(brokers: Int, logger: Logger) throws {
        parent = try KafkaHandle(role: .producer, properties: [("client.id", "lagwatch-mock")], logger: logger)
        guard let cluster = rd_kafka_mock_cluster_new(parent.pointer, Int32(brokers)) else {
            throw KafkaError(.clientCreation, "cannot start a mock cluster with \(brokers) brokers")
        }
        self.cluster = cluster
        brokerIDs = (1...Int32(brokers)).map { $0 }
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
    }

    /// The brokers' `host:port` list, for `bootstrap.servers`.
    public var bootstrapServers: String {
        String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    /// Creates a topic.
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws {
        let err = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "create topic '\(name)'") }
    }

    /// Makes `broker` the coordinator of consumer group `group`.
    public func setGroupCoordinator(_ group: String, broker: Int32) {
        _ = rd_kafka_mock_coordinator_set(cluster, "group", group, broker)
    }

    /// Makes a partition's leader `broker`.
    public func setPartitionLeader(_ key: TopicPartition, broker: Int32) {
        _ = rd_kafka_mock_partition_set_leader(cluster, key.topic, key.partition, broker)
    }

    /// Takes a broker down: its connections are closed and new ones refused.
    public func setBrokerDown(_ broker: Int32) {
        _ = rd_kafka_mock_broker_set_down(cluster, broker)
    }

    /// Brings a broker back up.
    public func setBrokerUp(_ broker: Int32) {
        _ = rd_kafka_mock_broker_set_up(cluster, broker)
    }

    /// Delays every response of a broker by `milliseconds`.
    public func setBrokerRoundTrip(_ broker: Int32, milliseconds: Int) {
        _ = rd_kafka_mock_broker_set_rtt(cluster, broker, Int32(milliseconds))
    }

    /// Makes the next requests of kind `apiKey`, to any broker, fail with `errors`, one per request.
    public func pushRequestErrors(apiKey: APIKey, _ errors: [BrokerError]) {
        let codes = errors.map { rd_kafka_resp_err_t(rawValue: $0.rawValue) }
        codes.withUnsafeBufferPointer { buffer in
            rd_kafka_mock_push_request_errors_array(cluster, apiKey.rawValue, buffer.count, buffer.baseAddress)
        }
    }
}
