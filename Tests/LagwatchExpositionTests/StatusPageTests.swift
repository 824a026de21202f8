import Foundation
@testable import LagwatchExposition
import LagwatchModel
import LagwatchTestSupport
import Testing

private func group(
    _ name: String,
    status: ConsumerStatus?,
    lag: Int64,
    seconds: Double?,
    failed: Bool = false,
    members: [GroupMember]? = nil
) -> GroupLag {
    let partition = PartitionLag(
        partition: 0, committed: 100, lag: lag, behindLogStart: false,
        lagTime: seconds.map { LagTime(seconds: $0, method: .interpolation) }, status: status)
    return GroupLag(
        name: name, state: nil, memberCount: nil,
        topics: failed ? [] : [GroupTopicLag(topic: "orders", partitions: [partition])],
        partitionsWithoutCommit: 0, partitionsBehindLogStart: 0, fetchError: failed ? "timed out" : nil,
        members: members, lagTrend: [10, 20, nil, 40, lag])
}

private func snapshot(_ name: String, groups: [GroupLag]) -> ClusterSnapshot {
    let partition = PartitionMetadata(partition: 0, leader: 1, replicas: [1], inSyncReplicas: [1])
    return ClusterSnapshot(
        clusterName: name, up: true, brokers: [Broker(id: 1, host: "k", port: 9092)], controllerID: 1,
        topics: [TopicState(name: "orders", partitions: [PartitionState(metadata: partition, watermarks: Watermarks(low: 0, high: 500))])],
        groups: groups, discovery: .disabled, stageErrors: [:], partitionsWithoutWatermarks: 0,
        pollStartedAt: 1000, pollDurationSeconds: 0.5, counters: PollCounters())
}

private let context = StatusPage.Context(clusterNames: ["prod", "dr", "new"], telemetryPath: "/metrics", refreshSeconds: 15, now: 1010)

@Suite struct StatusPageTests {
    @Test func overviewListsGroupsWorstFirstWithLinksAndNoExternalAssets() throws {
        let snapshots = [
            snapshot("prod", groups: [
                group("billing", status: .ok, lag: 5, seconds: 2),
                group("fraud & risk", status: .stop, lag: 900, seconds: 600),
                group("search", status: .warn, lag: 300, seconds: 90),
                group("audit", status: .warn, lag: 50, seconds: 400),
                group("abandoned", status: .inactive, lag: 90_000, seconds: 900_000),
            ]),
            snapshot("dr", groups: [group("mirror", status: nil, lag: 0, seconds: nil, failed: true)]),
        ]
        let page = try ParsedPage(StatusPage.overview(snapshots, context: context))
        let rows = page.elements.filter { $0.name == "tr" && $0.path.contains("tbody") }
        let names = rows.map { row in row.text }
        #expect(rows.count == 6)
        // Unknown (offsets not fetched) above STOP above WARN above INACTIVE above OK; the two WARNs by lag
        // time. The abandoned group, far the most behind, sorts below every problem.
        let order = ["mirror", "fraud & risk", "audit", "search", "abandoned", "billing"]
        for (row, name) in zip(names, order) { #expect(row.contains(name), "\(row) should be \(name)") }
        let badges = page.all("span", class: "badge").map(\.text)
        #expect(badges.suffix(6) == ["UNKNOWN", "STOP", "WARN", "WARN", "INACTIVE", "OK"])
        // Group links are percent-encoded; the name is escaped in the text, and the parser gives it back whole.
        let links = page.all("a").compactMap { $0.attributes["href"] }
        #expect(links.contains("/groups/fraud%20%26%20risk"))
        // Clusters are all shown, the one not polled yet too.
        let cards = page.elements.filter { $0.name == "h3" && $0.path.contains("div") }
        #expect(cards.map { $0.text.split(separator: " ").first.map(String.init) } == ["prod", "dr", "new"])
        #expect(page.all("div", class: "card").last?.text.contains("not polled yet") == true)
        // Self-contained: no script, no external stylesheet or image, every link on this server.
        #expect(page.all("script").isEmpty && page.all("link").isEmpty && page.all("img").isEmpty)
        #expect(links.allSatisfy { $0.hasPrefix("/") })
        // Lag time and trend are there for the STOP group.
        let stop = try #require(rows.first { $0.text.contains("fraud & risk") })
        #expect(stop.text.contains("10 min") && stop.text.contains("900"))
        #expect(page.all("polyline").count >= 6 * 2, "each trend breaks at its unknown poll into two lines")
    }

    @Test func groupPageShowsEveryPartitionAndUnknownGroupsHaveNone() throws {
        let billing = group(
            "billing", status: .warn, lag: 250, seconds: 75,
            members: [GroupMember(memberID: "m-1", clientID: "app", host: "/10.0.0.1", assigned: [])])
        let html = try #require(StatusPage.group("billing", in: [snapshot("prod", groups: [billing])], context: context))
        let page = try ParsedPage(html)
        #expect(page.all("h1").first?.text == "billing")
        let cells = page.elements.filter { $0.name == "td" }.map(\.text)
        #expect(cells.contains("250") && cells.contains("500") && cells.contains("1 min 15 s"))
        #expect(cells.contains("nothing"), "a member with no assignment is pointed out")
        // The trend's label comes first, then its chart on a line of its own (it once sat beside the label's
        // baseline and read as if above it).
        let inFigure = page.elements.filter { $0.path.contains("figure") }.map(\.name)
        #expect(inFigure.first == "figcaption" && inFigure.contains("svg"), "\(inFigure)")
        #expect(page.all("figcaption").first?.text.hasPrefix("Total lag, last") == true)
        #expect(StatusPage.group("nobody", in: [snapshot("prod", groups: [billing])], context: context) == nil)
        _ = try ParsedPage(StatusPage.notFound("No consumer group '<x>'.", context: context))
    }

    @Test func formatting() {
        #expect(StatusPage.count(1_234_567) == "1,234,567")
        #expect(StatusPage.count(999) == "999")
        #expect(StatusPage.duration(0) == "0 s")
        #expect(StatusPage.duration(0.25) == "250 ms")
        #expect(StatusPage.duration(252) == "4 min 12 s")
        #expect(StatusPage.duration(3 * 3600 + 300) == "3 h 5 min")
        #expect(StatusPage.duration(2 * 86_400 + 4 * 3600) == "2 d 4 h")
        #expect(StatusPage.rate(12.345) == "12.3/s")
        #expect(StatusPage.rate(1500.4) == "1,500/s")
        #expect(StatusPage.escape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;")
        #expect(StatusPage.sparkline([nil, nil], width: 10, height: 10).contains("–"))
    }

    @Test func aHangingTransactionAndAnOffsetPastTheLogEndAreMarked() throws {
        let metadata = PartitionMetadata(partition: 0, leader: 1, replicas: [1], inSyncReplicas: [1])
        let hanging = OpenTransaction(lastStable: 30, seconds: 1200, hanging: true)
        let lag = PartitionLag(partition: 0, committed: 700, lag: 0, behindLogStart: false, pastLogEnd: true, status: .err)
        let recreated = GroupLag(
            name: "shipping", state: nil, memberCount: nil, topics: [GroupTopicLag(topic: "orders", partitions: [lag])],
            partitionsWithoutCommit: 0, partitionsBehindLogStart: 0, partitionsPastLogEnd: 1, fetchError: nil)
        let snapshot = ClusterSnapshot(
            clusterName: "prod", up: true, brokers: [Broker(id: 1, host: "k", port: 9092)], controllerID: 1,
            topics: [
                TopicState(
                    name: "orders",
                    partitions: [
                        PartitionState(
                            metadata: metadata, watermarks: Watermarks(low: 0, high: 500, lastStable: 30),
                            openTransaction: hanging)
                    ])
            ],
            groups: [recreated], discovery: .disabled, stageErrors: [:], partitionsWithoutWatermarks: 0,
            pollStartedAt: 1000, pollDurationSeconds: 0.5, counters: PollCounters())
        let overview = try ParsedPage(StatusPage.overview([snapshot], context: context))
        let warnings = overview.all("span", class: "warn").map(\.text)
        #expect(warnings.contains { $0.contains("hanging transaction on orders/0") })
        let html = try #require(StatusPage.group("shipping", in: [snapshot], context: context))
        let page = try ParsedPage(html)
        let marks = page.all("span", class: "warn").map(\.text)
        #expect(marks.contains("past the log end"))
        #expect(marks.contains { $0.hasPrefix("hanging transaction since 30") && $0.contains("20 min") })
    }
}
