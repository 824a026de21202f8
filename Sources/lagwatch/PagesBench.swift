import LagwatchDaemon
import LagwatchExposition
import LagwatchHTTP
import LagwatchModel

/// `lagwatch bench --pages N`: the status pages and the JSON API at N consumer groups, built from a generated
/// cluster (no Kafka: N / 20 topics of 4 partitions, each group on two of them, so 8 group partitions each;
/// a seventh of the groups stopped, the rest consuming) after 12 polls of history, and answered through the
/// same routes the server uses, gzip included. Prints the median and the largest build time of 20 requests
/// per page, and its size plain and gzip.
struct PagesBench {
    let groups: Int

    func run() {
        let store = SnapshotStore(clusterNames: ["bench"], info: ExporterInfo(version: "bench", librdkafkaVersion: "-"))
        var history = ClusterHistory()
        for poll in 0..<12 { store.publish(history.advance(observation(poll: poll))) }
        let routes = Routes(store: store, telemetryPath: "/metrics", pollIntervalSeconds: { 15 })
        say("pages: \(groups) groups, \(groups * 8) group partitions, after 12 polls")
        let cases: [(String, String, [(name: String, value: String)])] = [
            ("status page, first page", "/", []),
            ("status page, STOP only", "/", [("status", "STOP")]),
            ("status page, page 50", "/", [("page", "50")]),
            ("status page, name search", "/", [("q", "group-12")]),
            ("a group's page", "/groups/group-00042", []),
            ("JSON API, every group", "/api/v1/groups", []),
            ("JSON API, one page", "/api/v1/groups", [("page", "1")]),
        ]
        for (label, path, query) in cases {
            var times: [Double] = []
            var plain = 0, zipped = 0
            for _ in 0..<20 {
                var clock = Stopwatch()
                let response = routes.handle(HTTPRequest(method: "GET", path: path, acceptsGzip: true, query: query))
                times.append(clock.lap() * 1000)
                zipped = response.collectBody().count
            }
            plain = routes.handle(HTTPRequest(method: "GET", path: path, acceptsGzip: false, query: query)).collectBody().count
            times.sort()
            say("pages, \(label): built in \(decimal(times[times.count / 2])) ms median, \(decimal(times.last!)) ms max "
                + "(gzip included); \(plain / 1024) KB plain, \(zipped / 1024) KB gzip")
        }
    }

    /// Poll `poll` of the generated cluster: watermarks grow by 10 a poll; a group whose index is a multiple
    /// of 7 never commits after the first poll (STOP), the others commit up to 5 behind.
    private func observation(poll: Int) -> ClusterObservation {
        let topicCount = max(2, groups / 20)
        let topics = (0..<topicCount).map { index in
            TopicMetadata(
                name: "topic-" + zeroPadded(index, width: 4),
                partitions: (0..<Int32(4)).map { PartitionMetadata(partition: $0, leader: 1, replicas: [1], inSyncReplicas: [1]) })
        }
        let high = Int64(100 + 10 * poll)
        var watermarks: PartitionMap<Watermarks> = [:]
        for topic in topics { for partition in 0..<Int32(4) { watermarks[TopicPartition(topic.name, partition)] = Watermarks(low: 0, high: high) } }
        let observed = (0..<groups).map { index -> GroupObservation in
            var committed: PartitionMap<Int64?> = [:]
            for topic in [topics[index % topicCount].name, topics[(index + 1) % topicCount].name] {
                for partition in 0..<Int32(4) {
                    committed[TopicPartition(topic, partition)] = index % 7 == 0 ? 90 : high - Int64(index % 5)
                }
            }
            return GroupObservation(name: "group-" + zeroPadded(index, width: 5), memberCount: index % 7 == 0 ? 0 : 2, committed: committed)
        }
        return ClusterObservation(
            clusterName: "bench", metadata: ClusterMetadata(brokers: [Broker(id: 1, host: "b", port: 9092)], controllerID: 1, topics: topics),
            watermarks: watermarks, groups: observed, discovery: .supported, stageErrors: [:],
            startedAt: 1_700_000_000 + Double(poll) * 15, durationSeconds: 0.1)
    }
}
