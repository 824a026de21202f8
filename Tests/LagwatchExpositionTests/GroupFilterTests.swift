import Foundation
@testable import LagwatchExposition
import LagwatchModel
import LagwatchTestSupport
import Testing

/// The status page at hundreds or thousands of groups: server-side filters and pages from the query string,
/// counts per status, and the same filters on the JSON API (the trial's 306 groups made a 149 KB page with
/// no way to find one).
@Suite struct GroupFilterTests {
    /// `count` groups in cluster `cluster`: every seventh STOP, every other eleventh INACTIVE, the rest OK; the
    /// name says which (`stop-…`, `gone-…`, `fine-…`), half on topic "orders" and half on "payments".
    private func cluster(_ cluster: String, count: Int) -> ClusterSnapshot {
        let groups = (0..<count).map { index -> GroupLag in
            let status: ConsumerStatus = index % 7 == 0 ? .stop : index % 11 == 0 ? .inactive : .ok
            let prefix = status == .stop ? "stop" : status == .inactive ? "gone" : "fine"
            let partition = PartitionLag(partition: 0, committed: 1, lag: Int64(index), behindLogStart: false, status: status)
            return GroupLag(
                name: "\(prefix)-\(index)", state: nil, memberCount: nil,
                topics: [GroupTopicLag(topic: index % 2 == 0 ? "orders" : "payments", partitions: [partition])],
                partitionsWithoutCommit: 0, partitionsBehindLogStart: 0, fetchError: nil)
        }
        return ClusterSnapshot(
            clusterName: cluster, up: true, brokers: [], controllerID: 1, topics: [], groups: groups, discovery: .disabled,
            stageErrors: [:], partitionsWithoutWatermarks: 0, pollStartedAt: 1000, pollDurationSeconds: 0.5, counters: PollCounters())
    }

    private let context = StatusPage.Context(clusterNames: ["prod", "dr"], telemetryPath: "/metrics", refreshSeconds: 15, now: 1010)

    private func rows(_ page: ParsedPage) -> [String] {
        page.elements.filter { $0.name == "a" && $0.path.contains("tbody") }.map(\.text)
    }

    @Test func theQueryStringIsReadOrRefusedByName() throws {
        let filter = try GroupFilter(query: [("status", "stop,Inactive"), ("q", "Orders"), ("page", "2"), ("cluster", ""), ("topic", "t")])
        #expect(filter.statuses == ["STOP", "INACTIVE"] && filter.text == "orders" && filter.page == 2)
        #expect(filter.cluster == nil, "an empty value means any")
        #expect(filter.query() == "?q=orders&status=INACTIVE,STOP&topic=t&page=2")
        #expect(filter.query { $0.page = 1 } == "?q=orders&status=INACTIVE,STOP&topic=t")
        for (query, named) in [
            ([("stauts", "STOP")], "unknown parameter 'stauts'"), ([("status", "BROKEN")], "status 'BROKEN'"),
            ([("page", "0")], "page '0'"), ([("page", "x")], "page 'x'"), ([("q", "a"), ("q", "b")], "'q' given twice"),
        ] as [([(name: String, value: String)], String)] {
            #expect { try GroupFilter(query: query) } throws: { "\($0)".contains(named) }
        }
    }

    @Test func theOverviewShowsAPageAtATimeWithCountsAndLinks() throws {
        let snapshots = [cluster("prod", count: 250), cluster("dr", count: 30)]
        let first = try ParsedPage(StatusPage.overview(snapshots, filter: GroupFilter(), context: context))
        let firstRows = rows(first)
        #expect(firstRows.count == GroupFilter.pageSize)
        #expect(firstRows.prefix(41).allSatisfy { $0.hasPrefix("stop-") }, "the 41 STOP groups first (36 + 5)")
        // Counts over everything the rest of the filter accepts, each a link that filters by its status.
        let counts = first.all("p", class: "counts").first?.text ?? ""
        #expect(counts.contains("STOP 41") && counts.contains("INACTIVE 21") && counts.contains("OK 218") && counts.contains("all 280"))
        let links = first.all("a").compactMap { $0.attributes["href"] }
        #expect(links.contains("/?status=STOP") && links.contains("/?page=2"))
        // The last page has the rest; asking past it says so, with a link back.
        let last = try ParsedPage(StatusPage.overview(snapshots, filter: GroupFilter(query: [("page", "3")]), context: context))
        #expect(rows(last).count == 80)
        #expect(last.all("p", class: "pages").first?.text.contains("groups 201–280 of 280") == true)
        let beyond = try ParsedPage(StatusPage.overview(snapshots, filter: GroupFilter(query: [("page", "9")]), context: context))
        #expect(rows(beyond).isEmpty && beyond.all("a").contains { $0.text == "← previous" })
    }

    @Test func everyFilterNarrowsTheRowsAndTheCountsFollowTheOthers() throws {
        let snapshots = [cluster("prod", count: 250), cluster("dr", count: 30)]
        func names(_ query: [(name: String, value: String)]) throws -> [String] {
            rows(try ParsedPage(StatusPage.overview(snapshots, filter: GroupFilter(query: query), context: context)))
        }
        #expect(try names([("status", "STOP")]).count == 41)
        #expect(try names([("status", "INACTIVE"), ("cluster", "dr")]).sorted() == ["gone-11", "gone-22"])
        #expect(try names([("q", "GONE-2")]).sorted() == ["gone-209", "gone-22", "gone-22", "gone-220", "gone-242"], "any case")
        #expect(try names([("topic", "payments"), ("status", "STOP"), ("cluster", "dr")]).sorted() == ["stop-21", "stop-7"])
        // The counts ignore the status filter, so the other statuses stay one click away.
        let page = try ParsedPage(StatusPage.overview(snapshots, filter: GroupFilter(query: [("status", "STOP"), ("cluster", "dr")]), context: context))
        #expect(page.all("p", class: "counts").first?.text.contains("OK 23") == true)
        #expect(page.all("option").contains { $0.attributes["selected"] == "selected" && $0.text == "dr" })
    }

    @Test func theJSONAPITakesTheSameFilters() throws {
        let snapshots = [cluster("prod", count: 250), cluster("dr", count: 30)]
        func groups(_ query: [(name: String, value: String)]) throws -> [[String: Any]] {
            let object = try JSONSerialization.jsonObject(with: Data(GroupReport.summariesJSON(snapshots, filter: GroupFilter(query: query))))
            return try #require((object as? [String: Any])?["groups"] as? [[String: Any]])
        }
        #expect(try groups([]).count == 280, "no filter, no page: every group")
        #expect(try groups([("status", "STOP")]).allSatisfy { $0["status"] as? String == "STOP" })
        #expect(try groups([("status", "STOP")]).count == 41)
        #expect(try groups([("page", "3")]).count == 80)
        #expect(Set(try groups([("cluster", "dr"), ("q", "stop")]).compactMap { $0["group"] as? String }) == ["stop-0", "stop-7", "stop-14", "stop-21", "stop-28"])
    }
}
