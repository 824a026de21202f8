import ArgumentParser
import Dispatch
import FoundationEssentials
import Glibc
import LagwatchConfig
import LagwatchDaemon
import LagwatchKafka
import LagwatchThreads
import LagwatchWorkload
import LagwatchModel
import Logging
import Synchronization

/// `lagwatch bench`: builds a mock cluster of a given size, then measures
/// 1. in this process: poll wall time and Kafka requests per poll (librdkafka's own `tx` counter);
/// 2. in a child `lagwatch run` process polling the same cluster: `/metrics` size (plain and gzip), scrape
///    latency over a real socket, and the child's peak RSS (VmHWM), so the mock cluster's memory is not counted.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark polls and scrapes on a mock cluster and print the figures.")

    @Option(help: "Mock brokers.") var brokers = 3
    @Option(help: "Topics.") var topics = 500
    @Option(help: "Partitions per topic.") var partitions = 20
    @Option(help: "Consumer groups, each reading two topics.") var groups = 1000
    @Option(help: "Messages produced per partition.") var messages = 3
    @Option(help: "Polls measured in process.") var polls = 5
    @Option(help: "Polls the child `lagwatch run` completes before its body and memory are read.") var servingPolls = 12
    @Option(help: "Poll intervals over which the child's CPU time per poll is measured.") var cpuPolls = 10
    @Option(help: "Scrapes measured per encoding.") var scrapes = 300
    @Option(help: "Committed-offset requests in flight at once.") var maxInFlight = 64
    @Option(help: "Partitions per watermark request to one leader.") var watermarkBatchSize = ClusterConfiguration(name: "", bootstrapServers: []).watermarkBatchSize
    @Option(help: "Instead of the mock benchmark: HOST:PORT of a broker that can create and delete topics (such as noida-db); measures this process's RSS while topics come and go.")
    var churnServer: String?
    @Option(help: "Polls per churn run.") var churnPolls = 200
    @Option(help: "Topics created (and, 10 polls later, deleted) per poll in the churn run.") var churnTopics = 5
    @Flag(help: "Instead of the mock benchmark: measure the error of lag in seconds, interpolated and exact.")
    var accuracy = false
    @Option(help: "Accuracy run: seconds the consumer commits behind the producer.") var accuracyDelay = 20.0
    @Option(help: "Accuracy run: seconds measured per produce pattern, after as long a warm-up.") var accuracySeconds = 60.0
    @Flag(help: "Instead of the poll benchmark: scrape latency of a child `lagwatch run` on the mock cluster while hostile clients (idle, slowloris, stalled TLS handshakes, wrong passwords, page floods) are at work.")
    var hostile = false
    @Option(help: "Instead of the poll benchmark: build the status pages and the JSON API at this many consumer groups (generated, no Kafka) and print their build time and size.")
    var pages: Int?
    @Flag(help: "Instead of the poll benchmark: the scaling table — analysis, rendering and serving at 1k to 100k partitions on a generated cluster, each shape in a child process.")
    var scale = false
    @Option(help: ArgumentHelp("One shape of --scale, PARTITIONS:GROUPS[:topic] (run by --scale in a child).", visibility: .hidden))
    var scaleShape: String?

    func run() throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        if let churnServer {
            try measureChurn(server: churnServer, logger: logger)
            return
        }
        if let scaleShape {
            let parts = scaleShape.split(separator: ":")
            guard parts.count >= 2, let partitions = Int(parts[0]), let groups = Int(parts[1]) else {
                throw ValidationError("--scale-shape takes PARTITIONS:GROUPS[:topic]")
            }
            ScaleBench().runShape(partitions: partitions, groups: groups, scrapes: scrapes, groupPartitions: parts.count < 3)
            return
        }
        if scale {
            try ScaleBench().run(scrapes: scrapes)
            return
        }
        if let pages {
            PagesBench(groups: pages).run()
            return
        }
        if hostile {
            try HostileBench(bench: self).run(logger: logger)
            return
        }
        if accuracy {
            try AccuracyBench(
                partitions: 4, delaySeconds: accuracyDelay, warmUpSeconds: max(30, accuracyDelay * 1.5),
                measureSeconds: accuracySeconds, pollInterval: 2, logger: logger
            ).run()
            return
        }
        let (mock, cluster) = try buildCluster(logger: logger)
        // The cluster must outlive every poll: an unused binding would free it at once.
        try withExtendedLifetime(mock) {
            try measurePolls(cluster: cluster, logger: logger)
            try measureServing(cluster: cluster)
        }
    }

    /// The mock cluster of the flags' shape, with its messages produced and its groups committed, and the
    /// configuration that watches it (static groups). The cluster lives as long as the returned mock.
    func buildCluster(logger: Logger) throws -> (MockCluster, ClusterConfiguration) {
        let mock = try MockCluster(brokers: brokers, logger: logger)
        let topicNames = (0..<topics).map { "topic-" + zeroPadded($0, width: 4) }
        var clock = Stopwatch()
        // Replication factor 1: librdkafka 2.0.2's mock stalled in rd_kafka_mock_topic_create after about
        // 250 topics of 20 partitions with 3 replicas (seen here); the mock ignores replication anyway.
        for name in topicNames {
            try mock.createTopic(name, partitions: partitions, replicationFactor: 1)
        }
        let producer = try MessageProducer(bootstrapServers: mock.bootstrapServers, logger: logger)
        for name in topicNames {
            for partition in 0..<Int32(partitions) {
                producer.produce(to: TopicPartition(name, partition), count: messages)
            }
        }
        try producer.flush(timeoutMilliseconds: 120_000)
        say("setup: \(brokers) brokers, \(topics) topics × \(partitions) partitions = \(topics * partitions) partitions, "
            + "\(messages) messages each, in \(clock.lap()) s")
        try commitGroups(mock: mock, topicNames: topicNames, logger: logger)
        say("setup: \(groups) groups committed on 2 topics each (\(groups * 2 * partitions) group partitions) in \(clock.lap()) s")

        var cluster = ClusterConfiguration(name: "bench", bootstrapServers: [mock.bootstrapServers])
        cluster.discoverGroups = false
        cluster.maxInFlightRequests = maxInFlight
        cluster.watermarkBatchSize = watermarkBatchSize
        cluster.offsetsWaitMilliseconds = 30_000
        cluster.staticGroups = (0..<groups).map { index in
            StaticGroup(name: groupName(index), topics: [topicNames[index % topics], topicNames[(index + 1) % topics]])
        }
        return (mock, cluster)
    }

    func groupName(_ index: Int) -> String { "group-" + zeroPadded(index, width: 4) }

    /// Commits `produced - (index % 7)` on every partition of each group's two topics, from 8 threads.
    func commitGroups(mock: MockCluster, topicNames: [String], logger: Logger) throws {
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for index in stride(from: worker, to: groups, by: 8) {
                var offsets: [TopicPartition: Int64] = [:]
                for topic in [topicNames[index % topics], topicNames[(index + 1) % topics]] {
                    for partition in 0..<Int32(partitions) {
                        offsets[TopicPartition(topic, partition)] = Int64(max(0, messages - index % 7))
                    }
                }
                do {
                    try OffsetCommitter(group: groupName(index), bootstrapServers: mock.bootstrapServers, logger: logger)
                        .commit(offsets)
                } catch {
                    failures.withLock { $0 += 1 }
                }
            }
        }
        let failed = failures.withLock { $0 }
        if failed > 0 { throw ValidationError("\(failed) groups could not commit") }
    }

    func measurePolls(cluster: ClusterConfiguration, logger: Logger) throws {
        let client = try KafkaClusterClient(
            bootstrapServers: cluster.bootstrapServers, properties: [("statistics.interval.ms", "100")], logger: logger)
        let poller = try ClusterPoller(cluster: cluster, logger: logger) { client }
        var durations: [Double] = []
        var requests: [Int] = []
        var series = 0
        var stages = ""
        for index in 0...polls {
            OSThread.sleep(seconds: 0.3)
            client.serveCallbacks()
            let before = client.requestsSent
            var clock = Stopwatch()
            let snapshot = poller.poll()
            let elapsed = clock.lap()
            OSThread.sleep(seconds: 0.3)
            client.serveCallbacks()
            // Figures of a failed poll would measure nothing: stop and say why.
            if let (stage, error) = snapshot.stageErrors.first {
                throw ValidationError("poll \(index) failed at stage \(stage.rawValue): \(error)")
            }
            // The first poll also looks up every group's coordinator; it is reported but not averaged.
            if index == 0 {
                say("poll (first, cold): \(format(elapsed)) s, \((client.requestsSent ?? 0) - (before ?? 0)) Kafka requests")
                continue
            }
            durations.append(elapsed)
            if let before, let after = client.requestsSent { requests.append(after - before) }
            series = snapshot.groups.reduce(0) { $0 + $1.topics.reduce(0) { $0 + $1.partitions.count } }
            stages = PollStage.allCases.compactMap { stage in
                snapshot.stageDurations[stage].map { "\(stage.rawValue) \(format($0)) s" }
            }.joined(separator: ", ")
        }
        durations.sort()
        say("poll (warm, \(durations.count) polls): median \(format(durations[durations.count / 2])) s, "
            + "max \(format(durations.last!)) s; Kafka requests per poll: \(requests.map(String.init).joined(separator: ", ")); "
            + "group partitions with lag: \(series)")
        say("last poll by stage: \(stages)")
    }

    /// Runs a child `lagwatch run` against the cluster and measures what a scraper sees: the body's size,
    /// scrape latency, the child's memory, and (when installed) wrk's load figures.
    func measureServing(cluster: ClusterConfiguration) throws {
        let directory = "/tmp/lagwatch-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = UInt16(19_000 + Int(getpid() % 1000))
        let configPath = directory + "/bench.yml"
        try servingConfiguration(cluster).write(toFile: configPath, atomically: true, encoding: .utf8)
        // LAGWATCH_BENCH_WRAPPER (such as "heaptrack -o /tmp/lagwatch-child") runs the child under a profiler;
        // the memory figures printed are the program's, read under the wrapper (heaptrack's own overhead included).
        let wrapper = (ProcessInfo.processInfo.environment["LAGWATCH_BENCH_WRAPPER"] ?? "").split(separator: " ").map(String.init)
        let command = wrapper + [ChildProcess.currentExecutable(),
            "run", "--config.file", configPath, "--web.listen-address", "127.0.0.1:\(port)"]
        let program = wrapper.first.map { ChildProcess.find($0) ?? $0 } ?? command[0]
        let child = try ChildProcess(program, Array(command.dropFirst()))
        defer {
            child.terminate()
            child.wait()
        }
        let plain = try bodyAfterPolls(port: port)
        let lines = String(decoding: plain, as: UTF8.self).split(separator: "\n")
        let seriesCount = lines.filter { !$0.hasPrefix("#") }.count
        let pollLine = lines.first { $0.hasPrefix("lagwatch_poll_duration_seconds{") } ?? ""
        if let failed = lines.first(where: { $0.hasPrefix("lagwatch_poll_stage_success{") && $0.hasSuffix(" 0") }) {
            throw ValidationError("the child lagwatch's last poll failed a stage: \(failed)")
        }
        let zipped = try BenchHTTP.get(port: port, path: "/metrics", gzip: true)
        say("/metrics: \(seriesCount) series, \(plain.count) bytes plain, \(zipped.count) bytes gzip; child \(pollLine)")
        let lagwatch = child.process(running: ChildProcess.currentExecutable())
        try measureCPUPerPoll(pid: lagwatch, port: port)
        try measureScrapes(port: port)
        func kilobytes(_ field: String) -> String { procStatusKilobytes("\(lagwatch)", field).map { "\($0) kB" } ?? "unknown" }
        say("child lagwatch memory: peak \(kilobytes("VmHWM")), now \(kilobytes("VmRSS"))")
        if let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            say("wrk, 8 keep-alive connections for 10 s, gzip:")
            let load = try ChildProcess(
                wrk, ["-t2", "-c8", "-d10s", "--latency", "-H", "Accept-Encoding: gzip", "http://127.0.0.1:\(port)/metrics"])
            load.wait()
        } else {
            say("wrk not installed (apt-get install wrk) — skipping the load test")
        }
    }

    /// The child's configuration: short polls and rate window, so that the rate histories are full (10
    /// samples each) when memory is read.
    func servingConfiguration(_ cluster: ClusterConfiguration) -> String {
        var yaml = "poll_interval: 2s\nrates:\n  window: 20s\nlog:\n  level: warning\nclusters:\n  - name: bench\n"
        yaml += "    bootstrap_servers: [\"\(cluster.bootstrapServers[0])\"]\n    max_in_flight_requests: \(maxInFlight)\n"
        yaml += "    watermark_batch_size: \(watermarkBatchSize)\n"
        yaml += "    timeouts:\n      offsets: 30s\n    groups:\n      discover: false\n      static:\n"
        for group in cluster.staticGroups {
            yaml += "        - name: \(group.name)\n          topics: [\(group.topics!.joined(separator: ", "))]\n"
        }
        return yaml
    }

    /// The plain `/metrics` body once the child has completed `servingPolls` polls (by default twelve: the
    /// full body, rates included, with the histories full).
    func bodyAfterPolls(port: UInt16) throws -> [UInt8] {
        let deadline = WallClock.now() + 120
        while WallClock.now() < deadline {
            OSThread.sleep(seconds: 0.5)
            guard let body = try? BenchHTTP.get(port: port, path: "/metrics", gzip: false) else { continue }
            if Self.pollsCompleted(body) >= servingPolls { return body }
        }
        throw ValidationError("the child lagwatch did not complete \(servingPolls) polls in 120 s")
    }

    /// `lagwatch_polls_total` of a plain `/metrics` body (0 when absent).
    static func pollsCompleted(_ body: [UInt8]) -> Int {
        let text = String(decoding: body, as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("lagwatch_polls_total{") }) else { return 0 }
        return Int(Double(line.split(separator: " ").last ?? "") ?? 0)
    }

    /// Prints the child's CPU time (user + system, from /proc) per poll over the next `cpuPolls` polls, with no
    /// scrape in between but the plain one that counts them at the end (about 30 ms at the default shape,
    /// so the figure is high by about 6 ms). It covers everything the daemon does in a poll: the Kafka
    /// requests and their replies, the analysis and the rendering.
    func measureCPUPerPoll(pid: pid_t, port: UInt16) throws {
        func cpuSeconds() -> Double {
            // Fields 14 and 15 of /proc/PID/stat, after the command name in parentheses.
            let fields = procFile("/proc/\(pid)/stat").split(separator: ")").last?.split(separator: " ") ?? []
            guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
            return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
        }
        // Counted right before the CPU is read (the body read before is older by the time its series took to count).
        let startPolls = Self.pollsCompleted(try BenchHTTP.get(port: port, path: "/metrics", gzip: false))
        let startCPU = cpuSeconds()
        OSThread.sleep(seconds: Double(cpuPolls) * 2 + 1)  // the child polls every 2 s; and a margin
        let endBody = try BenchHTTP.get(port: port, path: "/metrics", gzip: false)
        let endCPU = cpuSeconds()
        let polls = Self.pollsCompleted(endBody) - startPolls
        guard polls > 0 else { throw ValidationError("the child lagwatch completed no poll while its CPU was measured") }
        say("child CPU per poll (user + system, \(polls) polls, /proc/\(pid)/stat): \(format((endCPU - startCPU) / Double(polls))) s")
    }

    /// Prints the latency of sequential scrapes, plain and gzip, each on a new connection.
    func measureScrapes(port: UInt16) throws {
        for gzip in [false, true] {
            var latencies: [Double] = []
            for _ in 0..<scrapes {
                var clock = Stopwatch()
                _ = try BenchHTTP.get(port: port, path: "/metrics", gzip: gzip)
                latencies.append(clock.lap() * 1000)
            }
            latencies.sort()
            say("scrape \(gzip ? "gzip " : "plain") (\(scrapes) sequential, new connection each): "
                + "p50 \(format(latencies[scrapes / 2])) ms, p99 \(format(latencies[scrapes * 99 / 100])) ms, "
                + "max \(format(latencies.last!)) ms")
        }
    }

    func format(_ value: Double) -> String { decimal(value) }

    /// librdkafka's metadata cache does not shrink when topics are deleted. Polls a broker while topics are
    /// created and deleted (a window of 10 polls' worth alive at any time), once keeping one client and once
    /// replacing it every 20 polls, and prints this process's resident memory as it goes.
    func measureChurn(server: String, logger: Logger) throws {
        let admin = try MessageProducer(bootstrapServers: server, logger: logger)
        let run = UInt32.random(in: 0...UInt32.max)
        for recreate in [0, 20] {
            var cluster = ClusterConfiguration(name: "churn", bootstrapServers: [server])
            cluster.clientRecreatePolls = recreate
            cluster.discoverGroups = false
            cluster.topics = try NameFilter(include: ["^churn-\(run)-"], exclude: [])
            let poller = try ClusterPoller(cluster: cluster, logger: logger) {
                try KafkaClusterClient(bootstrapServers: [server], properties: [], logger: logger)
            }
            var live: [[String]] = []
            var samples: [String] = []
            var maxTopics = 0
            for index in 0..<churnPolls {
                let created = (0..<churnTopics).map { "churn-\(run)-\(recreate)-\(index)-\($0)" }
                for name in created { try admin.createTopic(name, partitions: 4) }
                live.append(created)
                if live.count > 10 { for name in live.removeFirst() { try admin.deleteTopic(name) } }
                let snapshot = poller.poll()
                maxTopics = max(maxTopics, snapshot.topics.count)
                if index % (churnPolls / 10) == 0 || index == churnPolls - 1 {
                    samples.append("poll \(index): \(residentKilobytes()) kB")
                }
            }
            say("churn, client \(recreate == 0 ? "kept" : "replaced every \(recreate) polls"): "
                + "\(churnPolls * churnTopics) topics created, at most \(maxTopics) alive; RSS "
                + samples.joined(separator: ", "))
            for name in live.joined() { try? admin.deleteTopic(name) }
        }
    }

    func residentKilobytes() -> Int { procStatusKilobytes("self", "VmRSS") ?? 0 }
}

/// Elapsed wall time between laps, in seconds.
struct Stopwatch {
    private var start = DispatchTime.now()
    mutating func lap() -> Double {
        let now = DispatchTime.now()
        defer { start = now }
        return Double(now.uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}

/// The smallest HTTP/1.1 GET over a loopback socket (`Connection: close`); returns the body.
enum BenchHTTP {
    /// A TCP connection to `127.0.0.1:port`, from the loopback address `source` when given (the server
    /// then sees another client per address); the caller closes it.
    static func connect(port: UInt16, from source: String? = nil) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ValidationError("socket() failed") }
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                close(fd)
                throw ValidationError("cannot bind to \(source)")
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw ValidationError("cannot connect to port \(port)")
        }
        return fd
    }

    static func get(port: UInt16, path: String, gzip: Bool, headers: [String] = [], from source: String? = nil) throws -> [UInt8] {
        let fd = try connect(port: port, from: source)
        defer { close(fd) }
        // A server that does not answer within 5 s counts as a failed request, not a hung benchmark.
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            + (gzip ? "Accept-Encoding: gzip\r\n" : "") + headers.map { $0 + "\r\n" }.joined() + "\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received.append(contentsOf: buffer[0..<count])
        }
        guard let end = (0..<max(0, received.count - 3)).first(where: {
            received[$0] == 13 && received[$0 + 1] == 10 && received[$0 + 2] == 13 && received[$0 + 3] == 10
        }) else { throw ValidationError("no HTTP response") }
        return Array(received[(end + 4)...])
    }
}

/// Prints a line at once (stdout may be a pipe or file, where `print` would buffer it).
func say(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { _ = write(STDOUT_FILENO, $0.baseAddress, $0.count) }
}
