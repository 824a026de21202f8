import Dispatch
import FoundationEssentials
import LagwatchConfig
import LagwatchDaemon
import LagwatchKafka
import LagwatchThreads
import LagwatchWorkload
import LagwatchModel
import Logging
import Synchronization

/// `lagwatch bench --accuracy`: how right lag in seconds is. A mock cluster is written to at a steady and at
/// a bursty rate while a consumer commits a fixed delay behind the producer; the producer's own log says
/// when each message was acknowledged, so the true age of the first unconsumed message is known at every
/// poll. Two pollers watch the same cluster, one interpolating in its watermark timelines, one reading
/// record timestamps (the exact method); each one's error against the truth is printed.
struct AccuracyBench {
    let partitions: Int
    let delaySeconds: Double
    let warmUpSeconds: Double
    let measureSeconds: Double
    let pollInterval: Double
    let logger: Logger

    /// Produce patterns: messages per partition to have produced by `elapsed` seconds.
    enum Pattern: String, CaseIterable {
        /// 200 messages/s, evenly.
        case steady
        /// About 200 messages/s on average, in bursts of 0–3,000 every 2–12 s (from a fixed seed).
        case bursty
    }

    func run() throws {
        say("accuracy: \(partitions) partitions, consumer \(Int(delaySeconds)) s behind the producer, polls every "
            + "\(pollInterval) s, \(Int(warmUpSeconds)) s warm-up then \(Int(measureSeconds)) s measured")
        for pattern in Pattern.allCases { try measure(pattern) }
    }

    private func measure(_ pattern: Pattern) throws {
        let mock = try MockCluster(brokers: 2, logger: logger)
        let keys = (0..<Int32(partitions)).map { TopicPartition("accuracy", $0) }
        try mock.createTopic("accuracy", partitions: partitions, replicationFactor: 1)
        let workload = Workload(mock: mock, keys: keys, pattern: pattern, delay: delaySeconds, logger: logger)
        try workload.start()
        defer { workload.stop() }

        var cluster = ClusterConfiguration(name: "accuracy", bootstrapServers: [mock.bootstrapServers])
        cluster.staticGroups = [StaticGroup(name: "consumer", topics: ["accuracy"])]
        cluster.discoverGroups = false
        let factory: ClusterPoller.ClientFactory = { [mock, logger] in
            try KafkaClusterClient(bootstrapServers: [mock.bootstrapServers], properties: [], logger: logger)
        }
        let interpolating = try ClusterPoller(cluster: cluster, logger: logger, makeClient: factory)
        var exactSettings = AnalysisSettings()
        exactSettings.exact.groups = try NameFilter(include: [".*"], exclude: [])
        let exact = try ClusterPoller(cluster: cluster, analysis: exactSettings, logger: logger, makeClient: factory)

        var errors: [LagTimeMethod: [Double]] = [:]
        var relative: [LagTimeMethod: [Double]] = [:]
        var unknown: [String: Int] = [:]
        var exactStage: [Double] = []
        let start = DispatchTime.now()
        var tick = 0
        while true {
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            if elapsed > warmUpSeconds + measureSeconds { break }
            for (name, poller) in [("interpolation", interpolating), ("exact", exact)] {
                let snapshot = poller.poll()
                if name == "exact", let seconds = snapshot.stageDurations[.recordTimestamps] { exactStage.append(seconds) }
                guard elapsed >= warmUpSeconds, let group = snapshot.groups.first else { continue }
                for topic in group.topics {
                    for partition in topic.partitions {
                        guard let lag = partition.lag, lag > 0,
                            let produced = workload.acknowledgedTime(of: partition.committed)
                        else { continue }
                        // Lag times are measured when the poll read the watermarks, before the exact stage.
                        let truth = (snapshot.lagObservedAt ?? snapshot.completedAt) - produced
                        guard let estimate = partition.lagTime else {
                            unknown[name, default: 0] += 1
                            continue
                        }
                        errors[estimate.method, default: []].append(abs(estimate.seconds - truth))
                        relative[estimate.method, default: []].append(abs(estimate.seconds - truth) / max(truth, 0.001))
                    }
                }
            }
            tick += 1
            let next = start + .milliseconds(Int(Double(tick) * pollInterval * 1000))
            if next > .now() { OSThread.sleep(seconds: Double(next.uptimeNanoseconds - DispatchTime.now().uptimeNanoseconds) / 1e9) }
        }
        report(pattern, errors: errors, relative: relative, unknown: unknown, exactStage: exactStage)
    }

    /// Prints one pattern's figures: the error of each method, what was left unknown, and the exact stage's cost.
    private func report(
        _ pattern: Pattern,
        errors: [LagTimeMethod: [Double]],
        relative: [LagTimeMethod: [Double]],
        unknown: [String: Int],
        exactStage: [Double]
    ) {
        for method in LagTimeMethod.allCases {
            guard var absolute = errors[method], var ratio = relative[method] else { continue }
            absolute.sort()
            ratio.sort()
            say("\(pattern.rawValue), \(method.rawValue): \(absolute.count) estimates; error median "
                + "\(format(quantile(absolute, 0.5))) s, p95 \(format(quantile(absolute, 0.95))) s; relative median "
                + "\(format(100 * quantile(ratio, 0.5)))%, p95 \(format(100 * quantile(ratio, 0.95)))%")
        }
        for (name, count) in unknown.sorted(by: { $0.key < $1.key }) {
            say("\(pattern.rawValue), \(name) poller: \(count) lagging partitions left without lag seconds")
        }
        let exactStage = exactStage.sorted()
        if !exactStage.isEmpty {
            say("\(pattern.rawValue), exact method cost: \(partitions) records read per poll, record_timestamps stage "
                + "median \(format(quantile(exactStage, 0.5) * 1000)) ms, max \(format(exactStage.last! * 1000)) ms")
        }
    }

    private func quantile(_ sorted: [Double], _ q: Double) -> Double {
        sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * q + 0.5))]
    }

    private func format(_ value: Double) -> String { decimal(value) }
}

/// Produces to every partition alike on one thread and commits a fixed delay behind on another, keeping
/// the time each offset was acknowledged.
private final class Workload: Sendable {
    private let bootstrapServers: String
    private let logger: Logger
    private let keys: [TopicPartition]
    private let pattern: AccuracyBench.Pattern
    private let delay: Double
    /// (wall time the flush returned, messages per partition produced by then), in order.
    private let log = Mutex<[(time: Double, produced: Int64)]>([])
    private let stopping = Mutex(false)
    private let finished = DispatchGroup()

    init(mock: MockCluster, keys: [TopicPartition], pattern: AccuracyBench.Pattern, delay: Double, logger: Logger) {
        bootstrapServers = mock.bootstrapServers
        self.logger = logger
        self.keys = keys
        self.pattern = pattern
        self.delay = delay
    }

    /// Starts the producer and the committer, each client on the one thread that uses it.
    func start() throws {
        let producer = try MessageProducer(bootstrapServers: bootstrapServers, logger: logger)
        let committer = try OffsetCommitter(group: "consumer", bootstrapServers: bootstrapServers, logger: logger)
        finished.enter()
        OSThread.detach(name: "bench-producer") { [self] in
            defer { finished.leave() }
            let start = WallClock.now()
            var produced: Int64 = 0
            var generator = SplitMix(seed: 7)
            var nextBurst = 0.0
            while !stopping.withLock({ $0 }) {
                let elapsed = WallClock.now() - start
                var target = produced
                switch pattern {
                case .steady:
                    target = Int64(200 * elapsed)
                case .bursty:
                    if elapsed >= nextBurst {
                        target = produced + Int64(generator.next() % 3000)
                        nextBurst = elapsed + 2 + Double(generator.next() % 10_000) / 1000
                    }
                }
                if target > produced {
                    for key in keys { producer.produce(to: key, count: Int(target - produced)) }
                    produced = target
                }
                try? producer.flush()
                log.withLock { $0.append((WallClock.now(), produced)) }
                OSThread.sleep(seconds: 0.02)
            }
        }
        finished.enter()
        OSThread.detach(name: "bench-committer") { [self] in
            defer { finished.leave() }
            while !stopping.withLock({ $0 }) {
                let cutoff = WallClock.now() - delay
                let offset = log.withLock { log in log.last { $0.time <= cutoff }?.produced ?? 0 }
                try? committer.commit(Dictionary(uniqueKeysWithValues: keys.map { ($0, offset) }))
                OSThread.sleep(seconds: 0.5)
            }
        }
    }

    func stop() {
        stopping.withLock { $0 = true }
        finished.wait()
    }

    /// When the message at `offset` (on any partition) was acknowledged: the first flush that covered it.
    func acknowledgedTime(of offset: Int64) -> Double? {
        log.withLock { log in
            // Binary search: the log's counts only grow.
            var low = 0
            var high = log.count
            while low < high {
                let middle = (low + high) / 2
                if log[middle].produced > offset { high = middle } else { low = middle + 1 }
            }
            return low < log.count ? log[low].time : nil
        }
    }
}

/// A small deterministic generator, so the bursty pattern is the same on every run.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
