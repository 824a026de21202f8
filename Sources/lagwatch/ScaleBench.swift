import Glibc
import LagwatchDaemon
import LagwatchExposition
import LagwatchHTTP
import LagwatchModel

/// `lagwatch bench --scale`: how the analysis, the rendering and the serving grow with the cluster, with no
/// Kafka (a generated cluster, as librdkafka's mock cannot be seeded at 100k partitions here). Each shape
/// runs in a child process of its own so that its peak RSS is its own: `partitions` partitions in topics of
/// 20, `groups` groups each on two topics (40 group partitions each), 40 polls 15 s apart (the rate window
/// set to 180 s, so the rate histories are full, and the watermark timelines fill their 32 points), most
/// groups consuming, a seventh stopped. Prints one table row per shape, with the cost per 1,000 partitions
/// and per 1,000 group partitions.
struct ScaleBench {
    static let shapes: [(partitions: Int, groups: Int)] = [(1_000, 100), (10_000, 1_000), (50_000, 2_500), (100_000, 5_000)]
    static let polls = 40

    /// Runs every shape in a child and prints the table; then the benchmark's own shape (10,000 partitions,
    /// 1,000 groups) at `granularity: topic`.
    func run(scrapes: Int) throws {
        say("scale: generated cluster, \(Self.polls) polls each; CPU is user + system time of the child (getrusage)")
        say("| partitions | groups | group partitions | analysis CPU ms/poll | render CPU ms/poll | series | /metrics plain MB | gzip KB | scrape gzip p50 / p99 ms | peak RSS MB | CPU ms per 1k partitions | CPU ms per 1k group partitions | RSS KB per 1k group partitions |")
        say("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for shape in Self.shapes {
            let child = try ChildProcess(
                ChildProcess.currentExecutable(),
                ["bench", "--scale-shape", "\(shape.partitions):\(shape.groups)", "--scrapes", "\(scrapes)"])
            child.wait()
        }
        let topic = try ChildProcess(
            ChildProcess.currentExecutable(), ["bench", "--scale-shape", "10000:1000:topic", "--scrapes", "\(scrapes)"])
        topic.wait()
    }

    /// One shape, in this process: prints its table row.
    func runShape(partitions: Int, groups: Int, scrapes: Int, groupPartitions: Bool = true) {
        let topicCount = max(2, partitions / 20)
        let topics = (0..<topicCount).map { index in
            TopicMetadata(
                name: "topic-" + zeroPadded(index, width: 5),
                partitions: (0..<Int32(20)).map { PartitionMetadata(partition: $0, leader: 1 + $0 % 3, replicas: [1, 2, 3], inSyncReplicas: [1, 2, 3]) })
        }
        var settings = AnalysisSettings()
        settings.rateWindowSeconds = 180
        var history = ClusterHistory(settings: settings)
        let store = SnapshotStore(clusterNames: ["bench"], info: ExporterInfo(version: "bench", librdkafkaVersion: "-"))
        var analysis = 0.0, rendering = 0.0
        for poll in 0..<Self.polls {
            let observation = Self.observation(poll: poll, topics: topics, groups: groups)
            let before = Self.cpuSeconds()
            let snapshot = history.advance(observation)
            let analysed = Self.cpuSeconds()
            store.publish(snapshot, options: SeriesOptions(groupPartitions: groupPartitions))
            let rendered = Self.cpuSeconds()
            if poll >= 2 {  // the first polls have no rates or timelines yet
                analysis += analysed - before
                rendering += rendered - analysed
            }
        }
        let measured = Double(Self.polls - 2)
        let routes = Routes(store: store, telemetryPath: "/metrics", pollIntervalSeconds: { 15 })
        var latencies: [Double] = []
        var zipped = 0
        for _ in 0..<scrapes {
            var clock = Stopwatch()
            let response = routes.handle(HTTPRequest(method: "GET", path: "/metrics", acceptsGzip: true))
            zipped = response.body.reduce(0) { $0 + $1.count }
            latencies.append(clock.lap() * 1000)
        }
        latencies.sort()
        let (series, plainBytes) = Self.countSeries(routes)
        let peakKB = Self.peakResidentKilobytes()
        let groupPartitionCount = groups * 40
        let cpuPerPoll = (analysis + rendering) / measured * 1000
        say("| \(partitions)\(groupPartitions ? "" : " (topic granularity)") | \(groups) | \(groupPartitionCount) | \(decimal(analysis / measured * 1000, digits: 1)) | "
            + "\(decimal(rendering / measured * 1000, digits: 1)) | \(series) | \(decimal(Double(plainBytes) / 1e6, digits: 1)) | "
            + "\(zipped / 1024) | \(decimal(latencies[scrapes / 2], digits: 2)) / \(decimal(latencies[scrapes * 99 / 100], digits: 2)) | "
            + "\(decimal(Double(peakKB) / 1024, digits: 1)) | \(decimal(cpuPerPoll / Double(partitions) * 1000, digits: 2)) | "
            + "\(decimal(cpuPerPoll / Double(groupPartitionCount) * 1000, digits: 2)) | \(peakKB * 1000 / groupPartitionCount) |")
    }

    /// Poll `poll`: every partition's high watermark grows by 20 a poll; a group whose index is a multiple
    /// of 7 never commits after the first poll, the others commit up to 9 behind.
    static func observation(poll: Int, topics: [TopicMetadata], groups: Int) -> ClusterObservation {
        let high = Int64(1_000 + 20 * poll)
        var watermarks: PartitionMap<Watermarks> = [:]
        for topic in topics {
            watermarks.reserve(topic.name, partitions: topic.partitions.count)
            for partition in topic.partitions { watermarks[TopicPartition(topic.name, partition.partition)] = Watermarks(low: 0, high: high) }
        }
        let observed = (0..<groups).map { index -> GroupObservation in
            var committed: PartitionMap<Int64?> = [:]
            for topic in [topics[index % topics.count], topics[(index + 1) % topics.count]] {
                committed.reserve(topic.name, partitions: topic.partitions.count)
                for partition in topic.partitions {
                    committed[TopicPartition(topic.name, partition.partition)] = index % 7 == 0 ? 990 : high - Int64((index + Int(partition.partition)) % 10)
                }
            }
            return GroupObservation(name: "group-" + zeroPadded(index, width: 5), memberCount: index % 7 == 0 ? 0 : 3, committed: committed)
        }
        return ClusterObservation(
            clusterName: "bench",
            metadata: ClusterMetadata(brokers: (1...3).map { Broker(id: Int32($0), host: "b\($0)", port: 9092) }, controllerID: 1, topics: topics),
            watermarks: watermarks, groups: observed, discovery: .supported, stageErrors: [:],
            startedAt: 1_700_000_000 + Double(poll) * 15, durationSeconds: 0.1)
    }

    /// Series (lines that are not comments) and bytes of the plain `/metrics` body, read a block at a time.
    static func countSeries(_ routes: Routes) -> (Int, Int) {
        let response = routes.handle(HTTPRequest(method: "GET", path: "/metrics", acceptsGzip: false))
        guard let stream = response.stream else { return (0, response.body.reduce(0) { $0 + $1.count }) }
        var block = [UInt8](repeating: 0, count: 1 << 16)
        var series = 0, bytes = 0
        var atLineStart = true
        while true {
            let count = block.withUnsafeMutableBytes { stream.read(into: $0) }
            if count == 0 { break }
            bytes += count
            for byte in block[0..<count] {
                if atLineStart && byte != UInt8(ascii: "#") { series += 1 }
                atLineStart = byte == 10
            }
        }
        return (series, bytes)
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    static func peakResidentKilobytes() -> Int { procStatusKilobytes("self", "VmHWM") ?? 0 }
}
