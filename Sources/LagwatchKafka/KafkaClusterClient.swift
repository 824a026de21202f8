import FoundationEssentials
public import LagwatchModel
import LagwatchThreads
public import Logging
import Synchronization

/// ``ClusterClient`` over librdkafka: one consumer-type ``KafkaHandle`` that never joins a group, reading
/// with `isolation.level=read_uncommitted` (so its end offsets are high watermarks), an ``AdminClient`` on
/// it, and a second handle reading with `read_committed`, whose end offsets are last stable offsets. (A
/// ListOffsets request carries the isolation level of the handle that sends it, and librdkafka 2.0.2 has no
/// other way to ask for both.)
public final class KafkaClusterClient: ClusterClient {
    private let handle: KafkaHandle
    private let stableHandle: KafkaHandle
    private let admin: AdminClient
    private let bootstrapServers: [String]
    private let properties: [(String, String)]
    private let logger: Logger
    /// Created on first use: only clusters with groups on the exact lag method pay for its connections.
    private let reader = Mutex<RecordReader?>(nil)

    /// Properties lagwatch sets on its client before the user's (which may override them, but for
    /// `group.id` and `isolation.level`, which the configuration refuses).
    /// The `group.id` is required for a consumer-type handle and is never joined or committed to.
    public static let baseProperties: [(String, String)] = [
        ("isolation.level", "read_uncommitted"),
        ("client.id", "lagwatch"),
        ("group.id", "lagwatch-internal-never-joined"),
        ("enable.auto.commit", "false"),
        ("enable.auto.offset.store", "false"),
        ("log.connection.close", "false"),
    ]

    /// Checks `properties` as creating a client does — librdkafka's configuration object, then its client
    /// constructor, which reads the TLS files and checks the SASL settings — without connecting anywhere
    /// (the client it builds has no bootstrap servers, and is destroyed at once).
    ///
    /// - Throws: ``KafkaError`` naming what librdkafka rejected (never the value).
    /// (One handle is enough: the second handle of a client differs only in `isolation.level`, which lagwatch
    /// sets to a valid value itself.)
    public static func validate(properties: [(String, String)]) throws {
        let silent = Logger(label: "lagwatch.validate") { _ in SwiftLogNoOpLogHandler() }
        _ = try KafkaHandle(role: .consumer, properties: baseProperties + properties, logger: silent)
    }

    /// Connects to `bootstrapServers` with extra librdkafka `properties` (SASL, TLS, …).
    ///
    /// - Throws: ``KafkaError`` naming a property librdkafka rejected.
    public init(bootstrapServers: [String], properties: [(String, String)], logger: Logger) throws {
        let all = Self.baseProperties + [("bootstrap.servers", bootstrapServers.joined(separator: ","))] + properties
        handle = try KafkaHandle(role: .consumer, properties: all, logger: logger)
        stableHandle = try KafkaHandle(
            role: .consumer, properties: all + [("isolation.level", "read_committed")], logger: logger)
        admin = AdminClient(handle: handle)
        self.bootstrapServers = bootstrapServers
        self.properties = properties
        self.logger = logger
    }

    public func recordTimes(at offsets: [TopicPartition: Int64], timeoutMilliseconds: Int) -> [TopicPartition: RecordTime] {
        guard !offsets.isEmpty else { return [:] }
        return reader.withLock { reader in
            if reader == nil {
                do {
                    reader = try RecordReader(bootstrapServers: bootstrapServers, properties: properties, logger: logger)
                } catch {
                    logger.error("Cannot create the record reader for exact lag in seconds", metadata: ["error": "\(error)"])
                    return [:]
                }
            }
            return reader!.recordTimes(at: offsets, timeoutMilliseconds: timeoutMilliseconds)
        }
    }

    /// Requests sent and not yet answered; a client is only replaced when this is 0 (see ``AdminClient``).
    public var outstandingRequests: Int { admin.outstandingRequests }

    public func settleOutstanding(waitMilliseconds: Int) {
        admin.settleOutstanding(waitMilliseconds: waitMilliseconds)
    }

    public func metadata(timeoutMilliseconds: Int) throws -> ClusterMetadata {
        try handle.metadata(timeoutMilliseconds: Int32(clamping: timeoutMilliseconds))
    }

    public func listGroups(waitMilliseconds: Int) -> Result<[GroupListing], KafkaError> {
        admin.listGroups(waitMilliseconds: waitMilliseconds)
    }

    public func describeGroups(
        _ names: [String],
        waitMilliseconds: Int
    ) -> [String: Result<GroupDescription, KafkaError>] {
        admin.describeGroups(names, waitMilliseconds: waitMilliseconds)
    }

    public func committedOffsets(
        _ requests: [CommittedOffsetsRequest],
        maxInFlight: Int,
        waitMilliseconds: Int
    ) -> [String: Result<PartitionMap<Int64?>, KafkaError>] {
        admin.committedOffsets(requests, maxInFlight: maxInFlight, waitMilliseconds: waitMilliseconds)
    }

    /// Three threads per leader send that leader's batched requests (high watermarks, low watermarks, last
    /// stable offsets) at the same time,
    /// so a dead or slow leader costs only its own partitions: one batched call that spans a dead leader
    /// times out for every partition in it (measured here on the mock). Every thread is joined before this
    /// returns (each librdkafka call is bounded by `timeoutMilliseconds`, and a leader's first failed batch
    /// ends its turn), so none outlives the poll holding the handle.
    public func watermarks(
        leaders: [TopicPartition: Int32],
        batchSize: Int,
        timeoutMilliseconds: Int
    ) -> WatermarkResult {
        let batchSize = max(1, batchSize)
        var byLeader: [Int32: [TopicPartition]] = [:]
        for (key, leader) in leaders { byLeader[leader, default: []].append(key) }
        let answers = Mutex([Int32: LeaderAnswers]())
        let timeout = Int32(clamping: timeoutMilliseconds)
        var jobs: [@Sendable () -> Void] = []
        for (leader, partitions) in byLeader {
            for query in [Query.high, .low, .lastStable] {
                let handle = query == .lastStable ? stableHandle : self.handle
                jobs.append {
                    do {
                        // Batches of `batchSize`: librdkafka 2.0.2's offsets_for_times grows faster than linearly
                        // with the partitions in one call.
                        var offsets: [TopicPartition: Int64] = [:]
                        for start in stride(from: 0, to: partitions.count, by: batchSize) {
                            let batch = Array(partitions[start..<min(partitions.count, start + batchSize)])
                            let found = try handle.offsets(
                                of: batch, at: query == .low ? .beginning : .end, timeoutMilliseconds: timeout)
                            offsets.merge(found) { first, _ in first }
                        }
                        answers.withLock { $0[leader, default: LeaderAnswers()].offsets[query] = offsets }
                    } catch {
                        answers.withLock { $0[leader, default: LeaderAnswers()].errors[query] = "\(error)" }
                    }
                }
            }
        }
        OSThread.runAll(name: "lagwatch-marks", jobs)
        return Self.collect(answers.withLock { $0 }, byLeader: byLeader)
    }

    /// The three offsets a leader is asked for.
    private enum Query: Sendable {
        case high, low, lastStable
    }

    /// One leader's answers to each query, or why a query failed.
    private struct LeaderAnswers: Sendable {
        var offsets: [Query: [TopicPartition: Int64]] = [:]
        var errors: [Query: String] = [:]
    }

    /// Joins each leader's answers into watermarks. A partition needs its high and low watermarks; its last
    /// stable offset is added when that query worked (a failed one is reported, but costs no lag).
    private static func collect(_ answers: [Int32: LeaderAnswers], byLeader: [Int32: [TopicPartition]]) -> WatermarkResult {
        var result = WatermarkResult(watermarks: [:], errors: [])
        for (leader, partitions) in byLeader {
            let answer = answers[leader] ?? LeaderAnswers()
            if let error = answer.errors[.high] ?? answer.errors[.low] {
                result.errors.append("broker \(leader): \(error)")
                continue
            }
            guard let high = answer.offsets[.high], let low = answer.offsets[.low] else {
                result.errors.append("broker \(leader): no answer")
                continue
            }
            if let error = answer.errors[.lastStable] {
                result.errors.append("broker \(leader): last stable offsets: \(error)")
            }
            let stable = answer.offsets[.lastStable] ?? [:]
            var missing = 0
            for key in partitions {
                guard let highOffset = high[key], let lowOffset = low[key] else {
                    missing += 1
                    continue
                }
                result.watermarks[key] = Watermarks(low: lowOffset, high: highOffset, lastStable: stable[key])
            }
            if missing > 0 { result.errors.append("broker \(leader): \(missing) partitions without watermarks") }
        }
        return result
    }

    public func serveCallbacks() {
        handle.serveCallbacks()
        stableHandle.serveCallbacks()
    }

    /// Requests this client's two handles have sent to brokers, from librdkafka's statistics (`tx`); `nil` unless
    /// `statistics.interval.ms` is set. Updated when callbacks are served, at most once per interval.
    public var requestsSent: Int? {
        /// The one field read from librdkafka's statistics document.
        struct Statistics: Decodable { var tx: Int }
        func sent(_ handle: KafkaHandle) -> Int? {
            handle.latestStatistics.flatMap { try? JSONDecoder().decode(Statistics.self, from: Data($0.utf8)).tx }
        }
        guard let main = sent(handle) else { return nil }
        return main + (sent(stableHandle) ?? 0)
    }
}
