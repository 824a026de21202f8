import Dispatch
import Foundation
import LagwatchConfig
import LagwatchDaemon
import LagwatchKafka
import LagwatchModel
import LagwatchTestSupport
import Synchronization
import Testing

/// Produces to and commits for a topic at fixed paces on a thread of its own: every 50 ms it brings the
/// messages produced (and the offsets committed) up to `pace × elapsed time`, so a late tick is caught up
/// at once and the average over any few seconds is the pace.
private final class PacedWorkload: Sendable {
    private let producer: MessageProducer
    private let committer: OffsetCommitter
    private let partitions: [TopicPartition]
    private let producePace: Double
    private let commitPace: Double
    private let stopping = Mutex(false)
    private let failure = Mutex<String?>(nil)
    private let finished = DispatchSemaphore(value: 0)
    /// (wall time, messages produced per partition so far) after each tick's flush.
    private let log = Mutex<[(time: Double, produced: Int64)]>([])

    /// `producePace` and `commitPace` are per partition, in messages per second.
    init(world: MockWorld, group: String, partitions: [TopicPartition], producePace: Double, commitPace: Double) throws {
        producer = try MessageProducer(bootstrapServers: world.bootstrap, logger: TestLogger.quiet())
        committer = try OffsetCommitter(group: group, bootstrapServers: world.bootstrap, logger: TestLogger.quiet())
        self.partitions = partitions
        self.producePace = producePace
        self.commitPace = commitPace
    }

    func start() {
        let thread = Thread { [self] in
            let start = DispatchTime.now()
            var produced: Int64 = 0
            var tick = 0
            while !stopping.withLock({ $0 }) {
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
                let target = Int64(producePace * elapsed)
                if target > produced {
                    for key in partitions { producer.produce(to: key, count: Int(target - produced)) }
                    produced = target
                }
                do {
                    try producer.flush()
                    log.withLock { $0.append((Date().timeIntervalSince1970, produced)) }
                    let offset = Int64(commitPace * elapsed)
                    try committer.commit(Dictionary(uniqueKeysWithValues: partitions.map { ($0, offset) }))
                } catch {
                    failure.withLock { $0 = "\(error)" }
                    break
                }
                tick += 1
                _ = finished.wait(timeout: start + .milliseconds(50 * tick))
            }
            finished.signal()
        }
        thread.start()
    }

    /// When the message at `offset` of each partition had been acknowledged: the first tick whose flush
    /// covered it.
    func producedTime(of offset: Int64) -> Double? {
        log.withLock { log in log.first { $0.produced > offset }?.time }
    }

    /// Stops the thread and reports what went wrong in it, if anything.
    func stop() throws {
        stopping.withLock { $0 = true }
        finished.wait()
        if let message = failure.withLock({ $0 }) { throw TestFailure("workload: \(message)") }
    }
}

/// Rates exported by the whole daemon against a mock cluster written to and read at known paces.
@Suite(.serialized) struct RateTests {
    @Test func exportedRatesAndLagSecondsMatchTheWorkload() throws {
        let world = try MockWorld(brokers: 1)
        defer { world.shutdown() }
        try world.topic("stream", partitions: 2)
        let partitions = [TopicPartition("stream", 0), TopicPartition("stream", 1)]
        // 2 × 250 = 500 messages/s produced; 2 × 150 = 300 messages/s committed.
        let workload = try PacedWorkload(
            world: world, group: "reader", partitions: partitions, producePace: 250, commitPace: 150)

        var cluster = ClusterConfiguration(name: "mock", bootstrapServers: [world.bootstrap])
        cluster.staticGroups = [StaticGroup(name: "reader", topics: ["stream"])]
        var configuration = EndToEndTests.configuration(cluster, interval: 1)
        configuration.configuredRateWindowSeconds = 15
        let daemon = try Daemon(configuration: configuration, logger: TestLogger.quiet())
        try daemon.start()
        defer { daemon.stop() }
        workload.start()
        var stopped = false
        defer { if !stopped { try? workload.stop() } }

        // First poll: offsets, but no rate yet.
        #expect(try eventually(within: 10) {
            try EndToEndTests.scrape(daemon.port).value("kafka_topic_partition_current_offset", ["partition": "0"]) != nil
        })
        // Let a whole window of steady traffic pass, then read the rates three times, three seconds apart.
        Thread.sleep(forTimeInterval: 17)
        for _ in 0..<3 {
            let metrics = try EndToEndTests.scrape(daemon.port)
            #expect(metrics.value("lagwatch_rate_window_seconds", ["cluster_name": "mock"]) == 15)
            func expectNear(_ name: String, _ labels: [String: String], _ truth: Double) {
                let value = metrics.value(name, labels)
                let error = value.map { abs($0 - truth) / truth }
                #expect(error.map { $0 <= 0.05 } == true, "\(name)\(labels) = \(value.map { "\($0)" } ?? "absent"), true \(truth)")
            }
            expectNear("kafka_topic_produce_rate_messages_per_second", ["topic": "stream"], 500)
            expectNear("kafka_consumergroup_topic_consume_rate_messages_per_second", ["consumergroup": "reader"], 300)
            for partition in ["0", "1"] {
                expectNear("kafka_topic_partition_produce_rate_messages_per_second", ["partition": partition], 250)
                expectNear(
                    "kafka_consumergroup_consume_rate_messages_per_second",
                    ["consumergroup": "reader", "partition": partition], 150)
            }
            // The group falls behind by 100 messages/s per partition; date its committed offset from the
            // workload's own log and compare with the exported lag in seconds, as of the poll's end.
            let pollEnd = try #require(metrics.value("lagwatch_last_poll_timestamp_seconds", ["cluster_name": "mock"]))
            for partition in ["0", "1"] {
                let labels = ["consumergroup": "reader", "partition": partition]
                let committed = try #require(metrics.value("kafka_consumergroup_current_offset", labels))
                let produced = try #require(workload.producedTime(of: Int64(committed)))
                let exported = metrics.samples("kafka_consumergroup_lag_seconds", labels)
                #expect(exported.count == 1 && exported.first?.labels["method"] == "interpolation")
                let truth = pollEnd - produced
                let seconds = try #require(exported.first.flatMap { Double($0.value) })
                #expect(abs(seconds - truth) < 0.5, "lag seconds \(seconds), true \(truth)")
            }
            Thread.sleep(forTimeInterval: 3)
        }
        stopped = true
        try workload.stop()
    }

    @Test func exactLagSecondsComeFromTheRecordAtTheCommittedOffset() throws {
        let world = try MockWorld(brokers: 2)
        defer { world.shutdown() }
        try world.topic("bursts", partitions: 1)
        let key = TopicPartition("bursts", 0)
        // Two bursts three seconds apart, before lagwatch starts: its watermark history cannot date them.
        let firstBurst = Date().timeIntervalSince1970
        try world.produce("bursts", 0, count: 50)
        Thread.sleep(forTimeInterval: 3)
        let secondBurst = Date().timeIntervalSince1970
        try world.produce("bursts", 0, count: 50)
        try world.commit("exact-reader", [key: 20])
        try world.commit("other-reader", [key: 70])

        var cluster = ClusterConfiguration(name: "mock", bootstrapServers: [world.bootstrap])
        cluster.staticGroups = [StaticGroup(name: "exact-reader", topics: ["bursts"]), StaticGroup(name: "other-reader", topics: ["bursts"])]
        var configuration = EndToEndTests.configuration(cluster, interval: 1)
        configuration.analysis.exact.groups = try NameFilter(include: ["^exact-"], exclude: [])
        let daemon = try Daemon(configuration: configuration, logger: TestLogger.quiet())
        try daemon.start()
        defer { daemon.stop() }
        #expect(try eventually(within: 10) {
            try !EndToEndTests.scrape(daemon.port).samples("kafka_consumergroup_lag_seconds", ["consumergroup": "exact-reader"]).isEmpty
        })
        let metrics = try EndToEndTests.scrape(daemon.port)
        let pollEnd = try #require(metrics.value("lagwatch_last_poll_timestamp_seconds", ["cluster_name": "mock"]))
        let exact = try #require(metrics.samples("kafka_consumergroup_lag_seconds", ["consumergroup": "exact-reader"]).first)
        #expect(exact.labels["method"] == "exact")
        let seconds = try #require(Double(exact.value))
        // Offset 20 is in the first burst: its age is the time since that burst, to within the burst's own
        // duration and the poll's.
        #expect(abs(seconds - (pollEnd - firstBurst)) < 1, "exact \(seconds), true \(pollEnd - firstBurst)")
        #expect(seconds > pollEnd - secondBurst + 2, "older than the second burst")
        // The other group is not on the exact method and its offset is older than the history: unknown.
        #expect(metrics.samples("kafka_consumergroup_lag_seconds", ["consumergroup": "other-reader"]).isEmpty)
        #expect(metrics.value("lagwatch_consumergroup_partitions_without_lag_seconds", ["consumergroup": "other-reader"]) == 1)
        #expect(metrics.value("lagwatch_poll_stage_success", ["stage": "record_timestamps"]) == 1)
        #expect(metrics.value("lagwatch_poll_stage_duration_seconds", ["stage": "record_timestamps"]) != nil)
    }
}
