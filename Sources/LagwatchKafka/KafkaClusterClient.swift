import Foundation
public import LagwatchModel
public import Logging
import Synchronization

/// ``ClusterClient`` over librdkafka: one consumer-type ``KafkaHandle`` that never joins a group, and an
/// ``AdminClient`` on it.
public final class KafkaClusterClient: ClusterClient {
    private let handle: KafkaHandle
    private let admin: AdminClient

    /// Properties lagwatch sets on its client before the user's (which may override them).
    /// The `group.id` is required for a consumer-type handle and is never joined or committed to.
    public static let baseProperties: [(String, String)] = [
        ("client.id", "lagwatch"),
        ("group.id", "lagwatch-internal-never-joined"),
        ("enable.auto.commit", "false"),
        ("enable.auto.offset.store", "false"),
        ("log.connection.close", "false"),
    ]

    /// Connects to `bootstrapServers` with extra librdkafka `properties` (SASL, TLS, …).
    ///
    /// - Throws: ``KafkaError`` naming a property librdkafka rejected.
    public init(bootstrapServers: [String], properties: [(String, String)], logger: Logger) throws {
        let all = Self.baseProperties + [("bootstrap.servers", bootstrapServers.joined(separator: ","))] + properties
        handle = try KafkaHandle(role: .consumer, properties: all, logger: logger)
        admin = AdminClient(handle: handle)
    }

    /// Requests sent and not yet answered; a client is only replaced when this is 0 (see ``AdminClient``).
    public var outstandingRequests: Int { admin.outstandingRequests }

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
    ) -> [String: Result<[TopicPartition: Int64?], KafkaError>] {
        admin.committedOffsets(requests, maxInFlight: maxInFlight, waitMilliseconds: waitMilliseconds)
    }

    /// One thread per leader sends that leader's two batched requests (high, then low watermarks), so a dead
    /// or slow leader costs only its own partitions: one batched call that spans a dead leader times out for
    /// every partition in it (measured here on the mock).
    public func watermarks(leaders: [TopicPartition: Int32], timeoutMilliseconds: Int) -> WatermarkResult {
        var byLeader: [Int32: [TopicPartition]] = [:]
        for (key, leader) in leaders { byLeader[leader, default: []].append(key) }
        let collected = Mutex(WatermarkResult(watermarks: [:], errors: []))
        let finished = DispatchGroup()
        let timeout = Int32(clamping: timeoutMilliseconds)
        for (leader, partitions) in byLeader {
            finished.enter()
            let handle = self.handle
            let thread = Thread {
                defer { finished.leave() }
                do {
                    let high = try handle.offsets(of: partitions, at: .end, timeoutMilliseconds: timeout)
                    let low = try handle.offsets(of: partitions, at: .beginning, timeoutMilliseconds: timeout)
                    collected.withLock { result in
                        for (key, highOffset) in high {
                            guard let lowOffset = low[key] else { continue }
                            result.watermarks[key] = Watermarks(low: lowOffset, high: highOffset)
                        }
                        if high.count < partitions.count || low.count < partitions.count {
                            result.errors.append(
                                "broker \(leader): \(partitions.count - min(high.count, low.count)) partitions "
                                    + "without watermarks")
                        }
                    }
                } catch {
                    collected.withLock { $0.errors.append("broker \(leader): \(error)") }
                }
            }
            thread.name = "lagwatch-watermarks-\(leader)"
            thread.start()
        }
        // Each thread makes two calls bounded by `timeout`; allow both plus a margin before giving up on it.
        _ = finished.wait(timeout: .now() + .milliseconds(2 * timeoutMilliseconds + 1_000))
        return collected.withLock { $0 }
    }

    public func serveCallbacks() {
        handle.serveCallbacks()
    }

    /// Requests this client has sent to brokers, from librdkafka's statistics (`tx`); `nil` unless
    /// `statistics.interval.ms` is set. Updated when callbacks are served, at most once per interval.
    public var requestsSent: Int? {
        guard let text = handle.latestStatistics,
            let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        else { return nil }
        return (object["tx"] as? NSNumber)?.intValue
    }
}
