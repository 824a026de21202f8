internal import CRdKafka
public import LagwatchModel
public import Logging

/// Reads one record per partition at given offsets, for the exact lag-in-seconds method: a consumer-type
/// ``KafkaHandle`` of its own (so its fetch queue never mixes with the admin client's callbacks) that
/// assigns the partitions at those offsets, takes the first record of each, pauses it, and unassigns.
/// librdkafka sends one Fetch per broker for all the partitions it leads; each partition's share of it is
/// at most 64 KiB (`fetch.message.max.bytes`; a broker still sends a larger first batch whole).
///
/// Not `Sendable`: one thread at a time uses it (``KafkaClusterClient`` keeps it under a lock).
public final class RecordReader {
    private let handle: KafkaHandle

    /// Properties lagwatch sets before the user's (security settings come after and apply too).
    static let baseProperties: [(String, String)] = [
        ("client.id", "lagwatch-records"),
        ("group.id", "lagwatch-internal-records-never-joined"),
        ("enable.auto.commit", "false"),
        ("enable.auto.offset.store", "false"),
        ("enable.partition.eof", "false"),
        ("auto.offset.reset", "error"),
        ("fetch.message.max.bytes", "65536"),
        ("fetch.wait.max.ms", "10"),
        // Not queued.min.messages = 1: in librdkafka 2.0.2 a partition whose local queue passes it backs off
        // fetching for a fixed second, which outlives the assignment and delayed every later read by 1 s
        // (measured with `lagwatch bench --accuracy`). A small byte cap bounds the prefetch instead.
        ("queued.max.messages.kbytes", "1024"),
        ("log.connection.close", "false"),
    ]

    /// Connects a reader with the cluster's bootstrap servers and librdkafka `properties`.
    public init(bootstrapServers: [String], properties: [(String, String)], logger: Logger) throws {
        handle = try KafkaHandle(
            role: .consumer,
            properties: Self.baseProperties + [("bootstrap.servers", bootstrapServers.joined(separator: ","))] + properties,
            logger: logger)
        rd_kafka_poll_set_consumer(handle.pointer)
    }

    deinit {
        rd_kafka_consumer_close(handle.pointer)
    }

    /// The first record at or after each partition's offset, for those that arrive within
    /// `timeoutMilliseconds`; a partition whose offset is out of range, or whose record is late, is missing.
    public func recordTimes(at offsets: [TopicPartition: Int64], timeoutMilliseconds: Int) -> [TopicPartition: RecordTime] {
        guard !offsets.isEmpty else { return [:] }
        let list = PartitionList(offsets: offsets)
        guard rd_kafka_assign(handle.pointer, list.pointer) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [:] }
        // librdkafka keeps a partition paused across assignments: undo the pauses of earlier calls.
        rd_kafka_resume_partitions(handle.pointer, list.pointer)
        defer {
            rd_kafka_assign(handle.pointer, nil)
            // Drop whatever was fetched but not read, so the next call starts clean.
            while let message = rd_kafka_consumer_poll(handle.pointer, 0) { rd_kafka_message_destroy(message) }
        }
        var found: [TopicPartition: RecordTime] = [:]
        var failed = Set<TopicPartition>()
        let deadline = Deadline(milliseconds: timeoutMilliseconds)
        while found.count + failed.count < offsets.count, !deadline.hasPassed {
            let wait = Int32(min(100, max(1, deadline.remainingMilliseconds)))
            guard let message = rd_kafka_consumer_poll(handle.pointer, wait) else { continue }
            defer { rd_kafka_message_destroy(message) }
            guard let topic = message.pointee.rkt else { continue }
            let key = TopicPartition(String(cString: rd_kafka_topic_name(topic)), message.pointee.partition)
            guard let wanted = offsets[key], found[key] == nil, !failed.contains(key) else { continue }
            if message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                failed.insert(key)
                continue
            }
            guard message.pointee.offset >= wanted else { continue }
            var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
            let milliseconds = rd_kafka_message_timestamp(message, &type)
            guard type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE, milliseconds >= 0 else {
                failed.insert(key)
                continue
            }
            found[key] = RecordTime(
                offset: message.pointee.offset, timestamp: Double(milliseconds) / 1000,
                isLogAppendTime: type == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME)
            // One record is all this partition needs: stop fetching it.
            let paused = PartitionList([key])
            rd_kafka_pause_partitions(handle.pointer, paused.pointer)
        }
        return found
    }
}
