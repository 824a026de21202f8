internal import CRdKafka
public import LagwatchModel
public import Logging
import Synchronization

/// Owns one librdkafka client (`rd_kafka_t`): created in `init`, destroyed in `deinit`.
///
/// `@unchecked Sendable`: librdkafka documents its client handle as safe to use from several threads at
/// once (the watermark stage does), and this class adds no mutable state of its own; the callback context
/// is immutable but for its statistics text, which is under a lock.
public final class KafkaHandle: @unchecked Sendable {
    /// The kind of librdkafka client to create.
    public enum Role: Sendable {
        /// A consumer-type client. lagwatch reads through one of these: on a producer-type handle
        /// `rd_kafka_ListConsumerGroupOffsets` segfaults when the broker answers NOT_COORDINATOR
        /// (librdkafka#5040, seen here with 2.0.2), while a consumer-type handle reports it as an event error.
        case consumer
        /// A producer-type client, used only by the demo and the tests to write messages.
        case producer
    }

    /// The `rd_kafka_t *`, for the other C owners (admin client, record reader, the workload clients)
    /// to pass to librdkafka; `package`, so no C type leaves the package.
    package let pointer: OpaquePointer
    private let context: Unmanaged<CallbackContext>

    /// The librdkafka version the process is linked with, e.g. `2.0.2`.
    public static var librdkafkaVersion: String { String(cString: rd_kafka_version_str()) }

    /// Creates a client. `properties` are librdkafka configuration properties, applied in order.
    ///
    /// - Throws: ``KafkaError`` with code `.configuration` naming the property librdkafka rejected (its value
    ///   is never included, since it may be a secret), or `.clientCreation`.
    public init(role: Role, properties: [(String, String)], logger: Logger) throws {
        let conf = rd_kafka_conf_new()!
        var errstr = [CChar](repeating: 0, count: 512)
        for (key, value) in properties {
            let result = rd_kafka_conf_set(conf, key, value, &errstr, errstr.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                // librdkafka quotes a rejected value in its message ("Invalid value \"…\" for configuration
                // property …"); any value may be a secret put under the wrong key, so it is cut out.
                let message = value.isEmpty ? Self.string(errstr) : Self.string(errstr).replacing(value, with: "…")
                throw KafkaError(.configuration, "librdkafka property '\(key)': \(message)")
            }
        }
        let context = Unmanaged.passRetained(CallbackContext(logger: logger))
        rd_kafka_conf_set_opaque(conf, context.toOpaque())
        rd_kafka_conf_set_log_cb(conf, kafkaLogCallback)
        rd_kafka_conf_set_error_cb(conf, kafkaErrorCallback)
        rd_kafka_conf_set_stats_cb(conf, kafkaStatsCallback)
        let type = role == .consumer ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER
        // rd_kafka_new takes ownership of conf only when it succeeds; on failure the caller frees it.
        guard let handle = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            context.release()
            throw KafkaError(.clientCreation, "cannot create Kafka client: \(Self.string(errstr))")
        }
        self.pointer = handle
        self.context = context
    }

    deinit {
        // rd_kafka_destroy waits for librdkafka's threads, so no callback can run after it returns and the
        // context they point to can be released.
        rd_kafka_destroy(pointer)
        context.release()
    }

    /// The latest statistics JSON librdkafka emitted, when `statistics.interval.ms` is set; `nil` otherwise.
    public var latestStatistics: String? { context.takeUnretainedValue().statistics.withLock { $0 } }

    /// Serves queued callbacks (error_cb, stats_cb); call it on a timer, since librdkafka only calls them
    /// when the handle is polled.
    public func serveCallbacks() {
        rd_kafka_poll(pointer, 0)
    }

    // MARK: - Metadata

    /// Fetches metadata for all topics. Blocks up to `timeoutMilliseconds`.
    public func metadata(timeoutMilliseconds: Int32) throws -> ClusterMetadata {
        var result: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(pointer, 1, nil, &result, timeoutMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata = result else {
            throw KafkaError(err, context: "metadata request")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        let md = metadata.pointee
        let brokers = (0..<Int(md.broker_cnt)).map { index in
            let broker = md.brokers[index]
            return Broker(id: broker.id, host: String(cString: broker.host), port: broker.port)
        }
        // Most partitions share a replica set with others (three brokers: a handful of orders): one array per
        // distinct set, not two per partition (at 100k partitions that is 9.6 MB per response, and a poll
        // holds two or three responses' worth in its snapshots).
        var distinct: [[Int32]: [Int32]] = [:]
        func shared(_ ids: [Int32]) -> [Int32] {
            if let known = distinct[ids] { return known }
            distinct[ids] = ids
            return ids
        }
        let topics = (0..<Int(md.topic_cnt)).compactMap { index -> TopicMetadata? in
            let topic = md.topics[index]
            // A topic the broker does not know, or is still creating, has no partitions worth reporting.
            if topic.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || topic.partition_cnt == 0 { return nil }
            let partitions = (0..<Int(topic.partition_cnt)).map { p in
                let partition = topic.partitions[p]
                return PartitionMetadata(
                    partition: partition.id, leader: partition.leader,
                    replicas: shared(Self.ids(partition.replicas, partition.replica_cnt)),
                    inSyncReplicas: shared(Self.ids(partition.isrs, partition.isr_cnt)))
            }
            return TopicMetadata(name: String(cString: topic.topic), partitions: partitions)
        }
        let controller = rd_kafka_controllerid(pointer, 0)
        let knownController = brokers.contains { $0.id == controller } ? controller : nil
        return ClusterMetadata(brokers: brokers, controllerID: knownController, topics: topics)
    }

    // MARK: - Watermarks

    /// Which end of the log ``offsets(of:at:timeoutMilliseconds:)`` asks for.
    public enum LogEnd: Sendable {
        /// The low watermark (`RD_KAFKA_OFFSET_BEGINNING`, -2).
        case beginning
        /// The high watermark (`RD_KAFKA_OFFSET_END`, -1).
        case end
    }

    /// Asks for one end of the log of many partitions with a single `rd_kafka_offsets_for_times` call, which
    /// sends one ListOffsets request per leader. Measured here on a 3-broker mock with 2,000 partitions:
    /// 0.017 s, against 0.53 s for one `rd_kafka_query_watermark_offsets` per partition — which also
    /// ignores its timeout while a leader is down. Blocks up to `timeoutMilliseconds`.
    ///
    /// - Returns: the offset of every partition that answered; partitions with an error are left out.
    /// - Throws: when the whole request failed (for example, timed out).
    public func offsets(
        of partitions: [TopicPartition],
        at end: LogEnd,
        timeoutMilliseconds: Int32
    ) throws -> [TopicPartition: Int64] {
        let list = PartitionList(partitions, offset: end == .end ? -1 : -2)
        let err = rd_kafka_offsets_for_times(pointer, list.pointer, timeoutMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(err, context: "list offsets")
        }
        var result: [TopicPartition: Int64] = [:]
        result.reserveCapacity(partitions.count)
        for (key, offset, elementErr) in list.elements()
        where elementErr == RD_KAFKA_RESP_ERR_NO_ERROR && offset >= 0 {
            result[key] = offset
        }
        return result
    }

    // MARK: - Helpers

    private static func ids(_ pointer: UnsafeMutablePointer<Int32>?, _ count: Int32) -> [Int32] {
        guard let pointer, count > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: Int(count)))
    }

    package static func string(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

// MARK: - Callbacks

/// What librdkafka's callbacks need; reached through the conf opaque. Immutable, so any thread may read it.
private final class CallbackContext: Sendable {
    let logger: Logger
    let statistics = Mutex<String?>(nil)
    init(logger: Logger) { self.logger = logger }
}

/// Called from `rd_kafka_poll` with librdkafka's statistics JSON; returning 0 lets librdkafka free it.
private func kafkaStatsCallback(
    _ rk: OpaquePointer?, _ json: UnsafeMutablePointer<CChar>?, _ length: Int, _ opaque: UnsafeMutableRawPointer?
) -> Int32 {
    guard let opaque, let json else { return 0 }
    let text = String(decoding: UnsafeRawBufferPointer(start: json, count: length), as: UTF8.self)
    Unmanaged<CallbackContext>.fromOpaque(opaque).takeUnretainedValue().statistics.withLock { $0 = text }
    return 0
}

/// Called by librdkafka's internal threads for each log line (parameter types must match the C import).
private func kafkaLogCallback(
    _ rk: OpaquePointer?, _ level: Int32, _ facility: UnsafePointer<CChar>?, _ message: UnsafePointer<CChar>?
) {
    guard let rk, let opaque = rd_kafka_opaque(rk) else { return }
    let context = Unmanaged<CallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    let swiftLevel: Logger.Level = level <= 4 ? .warning : (level <= 6 ? .info : .debug)
    context.logger.log(
        level: swiftLevel, "\(message.map { String(cString: $0) } ?? "")",
        metadata: ["librdkafka.facility": "\(facility.map { String(cString: $0) } ?? "")"])
}

/// Called from `rd_kafka_poll` for client-level errors (all brokers down, authentication failures). Logged
/// at debug: librdkafka's own log line for the same event is already a warning, and the poll stage that
/// fails because of it is logged once.
private func kafkaErrorCallback(
    _ rk: OpaquePointer?, _ err: Int32, _ reason: UnsafePointer<CChar>?, _ opaque: UnsafeMutableRawPointer?
) {
    guard let opaque else { return }
    let context = Unmanaged<CallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    context.logger.debug(
        "Kafka client error",
        metadata: [
            "error.code": "\(err)", "error.message": "\(reason.map { String(cString: $0) } ?? "")",
        ])
}
