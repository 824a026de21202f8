internal import CRdKafka
import LagwatchKafka
public import LagwatchModel
public import Logging

/// Writes messages to chosen partitions; used by the demo, the benchmark and the tests, never by the poller.
/// Owns a producer-type ``KafkaHandle``. Not `Sendable`: one thread uses it.
public final class MessageProducer {
    private let handle: KafkaHandle

    /// Connects a producer to `bootstrapServers`, with extra librdkafka `properties` (security, for a real
    /// cluster).
    public init(bootstrapServers: String, properties: [(String, String)] = [], logger: Logger) throws {
        handle = try KafkaHandle(
            role: .producer,
            properties: [
                ("bootstrap.servers", bootstrapServers), ("client.id", "lagwatch-workload"), ("linger.ms", "5"),
                ("acks", "1"),
            ] + properties,
            logger: logger)
    }

    /// Queues `count` small messages to one partition, stamped `timestamp` (seconds since the epoch; the
    /// time of the call when `nil`); call ``flush(timeoutMilliseconds:)`` to wait for them.
    ///
    /// - Returns: how many were queued (fewer when librdkafka's queue is full).
    @discardableResult
    public func produce(to key: TopicPartition, count: Int, timestamp: Double? = nil) -> Int {
        queueMessages(on: handle, to: key, count: count, timestampMilliseconds: timestamp.map { Int64(($0 * 1000).rounded()) } ?? 0)
    }

    /// Creates a topic through the Admin API (for brokers that, unlike the mock, do not take
    /// ``MockCluster/createTopic(_:partitions:replicationFactor:)``). An existing topic is not an error.
    public func createTopic(_ name: String, partitions: Int, timeoutMilliseconds: Int32 = 10_000) throws {
        var errstr = [CChar](repeating: 0, count: 256)
        guard let topic = rd_kafka_NewTopic_new(name, Int32(partitions), 1, &errstr, errstr.count) else {
            throw KafkaError(.configuration, "create topic '\(name)': \(KafkaHandle.string(errstr))")
        }
        defer { rd_kafka_NewTopic_destroy(topic) }
        try topicRequest(
            "create topic '\(name)'", timeoutMilliseconds: timeoutMilliseconds, accepting: [RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS],
            send: { queue in
                var topics: [OpaquePointer?] = [topic]
                rd_kafka_CreateTopics(handle.pointer, &topics, 1, nil, queue)
            },
            results: { event, count in
                rd_kafka_event_CreateTopics_result(event).flatMap { rd_kafka_CreateTopics_result_topics($0, &count) }
            })
    }

    /// Deletes a topic through the Admin API.
    public func deleteTopic(_ name: String, timeoutMilliseconds: Int32 = 10_000) throws {
        guard let topic = rd_kafka_DeleteTopic_new(name) else {
            throw KafkaError(.configuration, "delete topic '\(name)': invalid name")
        }
        defer { rd_kafka_DeleteTopic_destroy(topic) }
        try topicRequest(
            "delete topic '\(name)'", timeoutMilliseconds: timeoutMilliseconds, accepting: [],
            send: { queue in
                var topics: [OpaquePointer?] = [topic]
                rd_kafka_DeleteTopics(handle.pointer, &topics, 1, nil, queue)
            },
            results: { event, count in
                rd_kafka_event_DeleteTopics_result(event).flatMap { rd_kafka_DeleteTopics_result_topics($0, &count) }
            })
    }

    /// Sends one topic admin request on a queue of its own and checks the answer: the event's error, then the
    /// first topic result's error unless it is in `accepting`.
    private func topicRequest(
        _ context: String,
        timeoutMilliseconds: Int32,
        accepting: [rd_kafka_resp_err_t],
        send: (OpaquePointer) -> Void,
        results: (OpaquePointer, inout Int) -> UnsafeMutablePointer<OpaquePointer?>?
    ) throws {
        let queue = rd_kafka_queue_new(handle.pointer)!
        defer { rd_kafka_queue_destroy(queue) }
        send(queue)
        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds) else {
            throw KafkaError(.timeout, "\(context): no answer")
        }
        defer { rd_kafka_event_destroy(event) }
        if rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(rd_kafka_event_error(event), context: context)
        }
        var count = 0
        if let topics = results(event, &count), count > 0, let first = topics[0] {
            let err = rd_kafka_topic_result_error(first)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR && !accepting.contains(err) { throw KafkaError(err, context: context) }
        }
    }

    /// Waits until every queued message is acknowledged.
    ///
    /// - Throws: when messages remain unacknowledged after the timeout.
    public func flush(timeoutMilliseconds: Int32 = 10_000) throws {
        try flushMessages(on: handle, timeoutMilliseconds: timeoutMilliseconds)
    }
}

/// Queues `count` small messages to one partition through `handle` (stamped `timestampMilliseconds`, or at
/// the time of the call when 0) and serves its callbacks; returns how many were queued (fewer when
/// librdkafka's queue is full).
private func queueMessages(on handle: KafkaHandle, to key: TopicPartition, count: Int, timestampMilliseconds: Int64) -> Int {
    let payload: [UInt8] = Array("lagwatch".utf8)
    var queued = 0
    for _ in 0..<count {
        let result = payload.withUnsafeBytes { bytes in
            lagwatch_produce(handle.pointer, key.topic, key.partition, bytes.baseAddress, bytes.count, timestampMilliseconds)
        }
        if result != RD_KAFKA_RESP_ERR_NO_ERROR { break }
        queued += 1
    }
    rd_kafka_poll(handle.pointer, 0)
    return queued
}

/// Waits until every message queued on `handle` is acknowledged.
private func flushMessages(on handle: KafkaHandle, timeoutMilliseconds: Int32) throws {
    let err = rd_kafka_flush(handle.pointer, timeoutMilliseconds)
    guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "flush") }
}

/// Commits offsets for one consumer group without joining it, as a consumer that stores offsets elsewhere
/// would. Used by the demo, the benchmark and the tests. Owns a consumer-type ``KafkaHandle`` whose
/// `group.id` is the group.
public final class OffsetCommitter {
    private let handle: KafkaHandle
    /// The group committed for.
    public let group: String

    /// Connects a committer for `group` to `bootstrapServers`, with extra librdkafka `properties`.
    public init(group: String, bootstrapServers: String, properties: [(String, String)] = [], logger: Logger) throws {
        self.group = group
        handle = try KafkaHandle(
            role: .consumer,
            properties: [
                ("bootstrap.servers", bootstrapServers), ("group.id", group), ("client.id", "lagwatch-workload"),
                ("enable.auto.commit", "false"),
            ] + properties,
            logger: logger)
    }

    /// Commits `offsets` synchronously.
    ///
    /// - Throws: the broker's error, naming the group.
    public func commit(_ offsets: [TopicPartition: Int64]) throws {
        let list = PartitionList(offsets: offsets)
        let err = rd_kafka_commit(handle.pointer, list.pointer, 0)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "commit for group '\(group)'") }
    }
}

/// A consumer that joins its group by subscribing, as an application's consumer does, so the group has a
/// member with an assignment; it reads nothing. Used by the tests against brokers that coordinate groups
/// (not librdkafka's mock, whose group joins take seconds and whose groups cannot be described).
public final class SubscribedConsumer {
    private let handle: KafkaHandle

    /// Joins `group` with a subscription to `topics`.
    public init(group: String, topics: [String], bootstrapServers: String, logger: Logger) throws {
        handle = try KafkaHandle(
            role: .consumer,
            properties: [
                ("bootstrap.servers", bootstrapServers), ("group.id", group), ("client.id", "lagwatch-member"),
                ("enable.auto.commit", "false"), ("session.timeout.ms", "6000"),
            ],
            logger: logger)
        rd_kafka_poll_set_consumer(handle.pointer)
        let list = PartitionList(topics.map { TopicPartition($0, RD_KAFKA_PARTITION_UA) })
        let err = rd_kafka_subscribe(handle.pointer, list.pointer)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "subscribe for group '\(group)'") }
    }

    deinit {
        // Leave the group before the handle is destroyed, so the coordinator need not wait for a timeout.
        rd_kafka_consumer_close(handle.pointer)
    }

    /// Serves the consumer until it has an assignment or `timeoutSeconds` pass.
    ///
    /// - Returns: the partitions assigned.
    public func waitForAssignment(timeoutSeconds: Double) -> [TopicPartition] {
        var waited = 0.0
        while waited < timeoutSeconds {
            if let message = rd_kafka_consumer_poll(handle.pointer, 100) { rd_kafka_message_destroy(message) }
            waited += 0.1
            var assignment: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            guard rd_kafka_assignment(handle.pointer, &assignment) == RD_KAFKA_RESP_ERR_NO_ERROR, let assignment else { continue }
            let partitions = PartitionList.read(assignment).map(\.0)
            rd_kafka_topic_partition_list_destroy(assignment)
            if !partitions.isEmpty { return partitions }
        }
        return []
    }
}

/// A transactional producer (`transactional.id`), as an application that writes exactly once is: used by
/// the tests that need transaction markers and a last stable offset (brokers that keep them, such as
/// noida-db; librdkafka's mock writes no markers). Owns a producer-type ``KafkaHandle``. Not `Sendable`.
public final class TransactionalProducer {
    private let handle: KafkaHandle
    private let transactionalID: String

    /// Connects, registers `transactionalID` with the transaction coordinator (fencing any earlier producer
    /// with that id) and is ready to begin a transaction.
    ///
    /// - Throws: ``KafkaError`` when the broker refuses transactions or does not answer in time.
    public init(
        bootstrapServers: String,
        transactionalID: String,
        properties: [(String, String)] = [],
        logger: Logger
    ) throws {
        handle = try KafkaHandle(
            role: .producer,
            properties: [
                ("bootstrap.servers", bootstrapServers), ("client.id", "lagwatch-workload"),
                ("transactional.id", transactionalID), ("linger.ms", "5"),
            ] + properties,
            logger: logger)
        self.transactionalID = transactionalID
        try check(rd_kafka_init_transactions(handle.pointer, 30_000), "init transactions")
    }

    /// Begins a transaction.
    public func begin() throws {
        try check(rd_kafka_begin_transaction(handle.pointer), "begin transaction")
    }

    /// Queues `count` small messages to one partition within the transaction.
    ///
    /// - Returns: how many were queued.
    @discardableResult
    public func produce(to key: TopicPartition, count: Int) -> Int {
        queueMessages(on: handle, to: key, count: count, timestampMilliseconds: 0)
    }

    /// Waits until every queued message is acknowledged, leaving the transaction open.
    public func flush(timeoutMilliseconds: Int32 = 10_000) throws {
        try flushMessages(on: handle, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Commits the transaction: the broker writes a commit marker (one offset) on each partition written.
    public func commit() throws {
        try check(rd_kafka_commit_transaction(handle.pointer, 30_000), "commit transaction")
    }

    /// Aborts the transaction: the broker writes an abort marker on each partition written.
    public func abort() throws {
        try check(rd_kafka_abort_transaction(handle.pointer, 30_000), "abort transaction")
    }

    /// Throws the error `error` carries, naming `context` and the transactional id, and frees it.
    private func check(_ error: OpaquePointer?, _ context: String) throws {
        guard let error else { return }
        defer { rd_kafka_error_destroy(error) }
        let message = String(cString: rd_kafka_error_string(error))
        throw KafkaError(rd_kafka_error_code(error), context: "\(context) '\(transactionalID)': \(message)")
    }
}
