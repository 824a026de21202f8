import Foundation
import LagwatchExposition
import LagwatchModel
import LagwatchTestSupport
import Testing

/// One cluster with one topic of two partitions (partition 1 without watermarks) and one group on it.
/// `up: false` gives the same cluster down; `clientID` names the second member's client.
private func smallCluster(
    name: String = "prod",
    group: String = "billing",
    up: Bool = true,
    clientID: String = "billing"
) -> ClusterSnapshot {
    var counters = PollCounters()
    counters.polls = 5
    counters.errors = [.watermarks: 2]
    counters.lastSuccessAt = 1_700_000_000
    let p0 = PartitionMetadata(partition: 0, leader: 1, replicas: [1, 2], inSyncReplicas: [1, 2])
    let p1 = PartitionMetadata(partition: 1, leader: 2, replicas: [1, 2], inSyncReplicas: [2])
    let members = [
        GroupMember(
            memberID: "billing-1-4f2c", clientID: "billing", host: "/10.0.0.7",
            assigned: [TopicPartition("orders", 0), TopicPartition("orders", 1)]),
        GroupMember(memberID: "billing-2-9d1e", clientID: clientID, host: "/10.0.0.8", assigned: []),
    ]
    let topics = [
        TopicState(
            name: "orders",
            partitions: [
                PartitionState(
                    metadata: p0, watermarks: Watermarks(low: 3, high: 10, lastStable: 8), produceRate: 12.5,
                    openTransaction: OpenTransaction(lastStable: 8, seconds: 1200.5, hanging: true)),
                PartitionState(metadata: p1, watermarks: nil),
            ])
    ]
    let groups = [
        GroupLag(
            name: group, state: "Stable", memberCount: 2,
            topics: [
                GroupTopicLag(
                    topic: "orders",
                    partitions: [
                        PartitionLag(
                            partition: 0, committed: 7, lag: 3, behindLogStart: false, consumeRate: 2.5,
                            lagTime: LagTime(seconds: 42.5, method: .interpolation), status: .warn),
                        PartitionLag(partition: 1, committed: 4, lag: nil, behindLogStart: false, consumeRate: 0),
                    ])
            ], partitionsWithoutCommit: 0, partitionsBehindLogStart: 0, fetchError: nil, members: members,
            catchUpSeconds: 120)
    ]
    return ClusterSnapshot(
        clusterName: name, up: up, brokers: up ? [Broker(id: 1, host: "kafka-1", port: 9092)] : [],
        controllerID: up ? 1 : nil, topics: up ? topics : [], groups: up ? groups : [], discovery: .supported,
        stageErrors: [.watermarks: "broker 2 down"], partitionsWithoutWatermarks: 1,
        pollStartedAt: 1_700_000_100, pollDurationSeconds: 0.25, counters: counters,
        stageDurations: [.watermarks: 0.125, .metadata: 0.05, .groupDiscovery: 0.02, .committedOffsets: 0.0625], rateWindowSeconds: 300, timelinePoints: 7,
        statusWindowPolls: 10)
}

private let info = ExporterInfo(version: "9.9.9", revision: "abc1234", librdkafkaVersion: "2.0.2")

@Suite struct TextRendererTests {
    @Test func rendersTheHandWrittenFixture() throws {
        let url = try #require(Bundle.module.url(forResource: "small-cluster", withExtension: "prom", subdirectory: "Fixtures"))
        let expected = try String(contentsOf: url, encoding: .utf8)
        let rendered = String(decoding: TextRenderer.render([smallCluster()], info: info), as: UTF8.self)
        #expect(rendered == expected)
    }

    @Test func streamingInSmallChunksGivesTheSameBytesEachChunkEndingALine() {
        let snapshots = [smallCluster(name: "a"), smallCluster(name: "b")]
        var chunks: [[UInt8]] = []
        TextRenderer.render(snapshots, info: info, chunkSize: 100) { chunks.append($0) }
        #expect(chunks.count > 10)
        #expect(chunks.allSatisfy { $0.last == UInt8(ascii: "\n") })
        #expect(chunks.flatMap { $0 } == TextRenderer.render(snapshots, info: info))
    }

    @Test func labelValuesAreEscaped() throws {
        let nasty = "a\"b\\c\nd"
        let text = String(decoding: TextRenderer.render([smallCluster(name: nasty, group: nasty)], info: info), as: UTF8.self)
        #expect(text.contains(#"kafka_brokers{cluster_name="a\"b\\c\nd"} 1"#))
        let parsed = try Exposition(text)
        #expect(parsed.value("kafka_consumergroup_lag", ["consumergroup": nasty, "cluster_name": nasty]) == 3)
        // No raw newline inside any sample line: every line parses as a sample or a comment.
        #expect(parsed.samples.count == text.split(separator: "\n").filter { !$0.hasPrefix("#") }.count)
    }

    @Test func everyFamilyHasHelpAndTypeAndFamiliesAreNotRepeated() throws {
        let text = String(
            decoding: TextRenderer.render([smallCluster(name: "a"), smallCluster(name: "b")], info: info), as: UTF8.self)
        let parsed = try Exposition(text)  // throws on a second TYPE line for a family
        for family in MetricCatalog.all where family != MetricCatalog.snapshotAge {
            #expect(parsed.types[family.name] == family.type.rawValue, "\(family.name)")
            #expect(parsed.helps[family.name]?.isEmpty == false, "\(family.name)")
        }
        #expect(parsed.samples("kafka_brokers").count == 2)
        for sample in parsed.samples { #expect(parsed.types[sample.name] != nil, "\(sample.name) has no TYPE") }
    }

    @Test func theTwoSumFamiliesAreUntypedForPromtool() {
        // promtool 2.42 rejects a gauge named *_sum ("non-histogram and non-summary metrics should not have
        // _sum suffix"); kafka_exporter's names are kept and typed untyped.
        #expect(MetricCatalog.groupLagSum.name == "kafka_consumergroup_lag_sum")
        #expect(MetricCatalog.groupLagSum.type == .untyped)
        #expect(MetricCatalog.groupCurrentOffsetSum.name == "kafka_consumergroup_current_offset_sum")
        #expect(MetricCatalog.groupCurrentOffsetSum.type == .untyped)
        for family in MetricCatalog.all where family.name.hasSuffix("_sum") { #expect(family.type == .untyped) }
    }

    @Test func kafkaExporterNamesAreKept() {
        let names = Set(MetricCatalog.all.map(\.name))
        for name in [
            "kafka_brokers", "kafka_broker_info", "kafka_topic_partitions", "kafka_topic_partition_current_offset",
            "kafka_topic_partition_oldest_offset", "kafka_topic_partition_leader", "kafka_topic_partition_replicas",
            "kafka_topic_partition_in_sync_replica", "kafka_topic_partition_leader_is_preferred",
            "kafka_topic_partition_under_replicated_partition", "kafka_consumergroup_current_offset",
            "kafka_consumergroup_current_offset_sum", "kafka_consumergroup_lag", "kafka_consumergroup_lag_sum",
            "kafka_consumergroup_members",
        ] {
            #expect(names.contains(name), "\(name)")
        }
        #expect(Set(MetricCatalog.all.map(\.name)).count == MetricCatalog.all.count)
        for family in MetricCatalog.all {
            if family.type == .counter { #expect(family.name.hasSuffix("_total")) } else { #expect(!family.name.hasSuffix("_total")) }
        }
    }

    @Test func aDownClusterShowsOnlyItsSelfMetrics() throws {
        let down = smallCluster(up: false)
        let parsed = try Exposition(String(decoding: TextRenderer.render([down], info: info), as: UTF8.self))
        #expect(parsed.value("lagwatch_up", ["cluster_name": "prod"]) == 0)
        #expect(parsed.samples("kafka_brokers").isEmpty)
        #expect(parsed.samples("kafka_consumergroup_lag").isEmpty)
        #expect(parsed.samples("lagwatch_partitions_without_watermarks").isEmpty)
    }

    @Test func partitionStatusSeriesOnlyWhenAskedForOneOfSevenSet() throws {
        let snapshot = smallCluster()
        let off = try Exposition(String(decoding: TextRenderer.render([snapshot], info: info), as: UTF8.self))
        #expect(off.samples("kafka_consumergroup_partition_status").isEmpty)
        let options = ["prod": SeriesOptions(partitionStatus: true)]
        let on = try Exposition(
            String(decoding: TextRenderer.render([snapshot], options: options, info: info), as: UTF8.self))
        // Partition 0 is judged WARN; partition 1's lag is unknown this poll, so it has no status.
        let series = on.samples("kafka_consumergroup_partition_status", ["partition": "0"])
        #expect(series.count == ConsumerStatus.allCases.count - 1, "NOTFOUND is a group's only")
        #expect(Set(series.compactMap { $0.labels["status"] }) == ["OK", "INACTIVE", "WARN", "REWIND", "STALL", "STOP", "ERR"])
        #expect(series.filter { $0.value == "1" }.map { $0.labels["status"] } == ["WARN"])
        #expect(on.samples("kafka_consumergroup_partition_status", ["partition": "1"]).isEmpty)
    }

    @Test func memberSeriesOnlyWhenAskedForWithEscapedLabels() throws {
        let off = try Exposition(String(decoding: TextRenderer.render([smallCluster()], info: info), as: UTF8.self))
        #expect(off.samples("kafka_consumergroup_member_assigned_partitions").isEmpty)
        let snapshot = smallCluster(clientID: "odd \"client\"\n")
        let options = ["prod": SeriesOptions(members: true)]
        let on = try Exposition(
            String(decoding: TextRenderer.render([snapshot], options: options, info: info), as: UTF8.self))
        #expect(on.value("kafka_consumergroup_member_assigned_partitions", ["member_id": "billing-1-4f2c", "host": "/10.0.0.7"]) == 2)
        #expect(on.value("kafka_consumergroup_member_assigned_partitions", ["client_id": "odd \"client\"\n"]) == 0)
    }

    @Test func snapshotAgeIsRenderedAtScrapeTime() throws {
        let text = String(decoding: TextRenderer.renderAge(of: [("prod", 100), ("dr", 90.5)], now: 112), as: UTF8.self)
        let parsed = try Exposition(text)
        #expect(parsed.value("lagwatch_snapshot_age_seconds", ["cluster_name": "prod"]) == 12)
        #expect(parsed.value("lagwatch_snapshot_age_seconds", ["cluster_name": "dr"]) == 21.5)
        #expect(parsed.types["lagwatch_snapshot_age_seconds"] == "gauge")
    }
}

/// Granularity and the family filter, for operators who must cut series: per cluster, the other clusters'
/// series untouched.
@Suite struct SeriesSelectionTests {
    private func render(_ options: SeriesOptions) throws -> Exposition {
        let snapshots = [smallCluster(name: "prod"), smallCluster(name: "dr")]
        return try Exposition(String(decoding: TextRenderer.render(snapshots, options: ["prod": options], info: info), as: UTF8.self))
    }

    @Test func topicGranularityLeavesOutEveryPerPartitionGroupFamilyAndKeepsTheTopicOnes() throws {
        let metrics = try render(SeriesOptions(groupPartitions: false))
        let perPartition = MetricCatalog.all.filter { $0.labels.contains("consumergroup") && $0.labels.contains("partition") }
        #expect(perPartition.map(\.name).contains("kafka_consumergroup_lag"))
        for family in perPartition {
            #expect(metrics.samples(family.name, ["cluster_name": "prod"]).isEmpty, "\(family.name)")
        }
        #expect(!metrics.samples("kafka_consumergroup_lag", ["cluster_name": "dr"]).isEmpty, "another cluster keeps them")
        // (This snapshot's topic lag sums are withheld: one partition's lag is unknown.)
        for name in ["kafka_consumergroup_current_offset_sum", "kafka_consumergroup_topic_consume_rate_messages_per_second",
                     "kafka_consumergroup_status", "kafka_consumergroup_catchup_eta_seconds", "kafka_topic_partition_current_offset"] {
            #expect(!metrics.samples(name, ["cluster_name": "prod"]).isEmpty, "\(name) stays")
        }
        // The text still passes promtool's reading: HELP and TYPE stay, with or without samples.
        #expect(String(decoding: TextRenderer.render([smallCluster()], options: ["prod": SeriesOptions(groupPartitions: false)], info: info), as: UTF8.self)
            .contains("# TYPE kafka_consumergroup_lag gauge"))
    }

    @Test func aFamilyFilterDropsWhatItExcludesForItsClusterOnly() throws {
        let metrics = try render(SeriesOptions(families: try NameFilter(include: [], exclude: ["^kafka_topic_partition_", "_rate_"])))
        #expect(metrics.samples("kafka_topic_partition_current_offset", ["cluster_name": "prod"]).isEmpty)
        #expect(metrics.samples("kafka_consumergroup_topic_consume_rate_messages_per_second", ["cluster_name": "prod"]).isEmpty)
        #expect(!metrics.samples("kafka_topic_partition_current_offset", ["cluster_name": "dr"]).isEmpty)
        #expect(!metrics.samples("kafka_consumergroup_lag", ["cluster_name": "prod"]).isEmpty)
        let only = try render(SeriesOptions(families: try NameFilter(include: ["^kafka_consumergroup_current_offset_sum$", "^lagwatch_up$"], exclude: [])))
        let families = Set(only.samples.filter { $0.labels["cluster_name"] == "prod" }.map(\.name))
        #expect(families == ["kafka_consumergroup_current_offset_sum", "lagwatch_up"], "an include list keeps only what it names")
    }
}

@Suite struct DocumentationTests {
    @Test func theReadmeTableListsEveryFamilyWithItsType() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        for family in MetricCatalog.all {
            #expect(readme.contains("| `\(family.name)` | \(family.type.rawValue) |"), "README lacks a row for \(family.name)")
        }
        // The `stage` label's values, every one of them, in the order a poll runs them.
        let stages = try #require(readme.split(separator: "\n").first { $0.hasPrefix("Stages (`stage` label):") })
        #expect(stages.hasSuffix(PollStage.allCases.map { "`\($0.rawValue)`" }.joined(separator: ", ") + "."), "\(stages)")
    }
}

@Suite struct GroupReportTests {
    private func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func summariesListOneGroupPerLineWithTheSnapshotsFigures() throws {
        let snapshots = [smallCluster(name: "prod"), smallCluster(name: "dr", group: "audit")]
        let bytes = GroupReport.summariesJSON(snapshots)
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 4, "opening, two groups, closing")
        let groups = try #require(try object(bytes)["groups"] as? [[String: Any]])
        #expect(groups.map { $0["cluster"] as? String } == ["prod", "dr"])
        let billing = groups[0]
        #expect(billing["group"] as? String == "billing")
        #expect(billing["status"] as? String == "WARN")
        #expect(billing["state"] as? String == "Stable")
        #expect(billing["members"] as? Int == 2)
        #expect(billing["catch_up_seconds"] as? Double == 120)
        #expect(billing["consume_rate"] as? Double == 2.5)
        #expect(billing["partitions"] as? Int == 2)
        #expect(billing["topics"] as? [String] == ["orders"])
        // Partition 1's watermarks are unknown this poll: no lag sum and no maximum lag in seconds.
        #expect(billing["lag"] == nil && billing["max_lag_seconds"] == nil)
        #expect(billing["polled_at"] as? Double == 1_700_000_100.25)
    }

    @Test func detailHasEveryPartitionWithItsWatermarksAndMembers() throws {
        let bytes = try #require(GroupReport.detailJSON(of: "billing", in: [smallCluster()]))
        let answer = try object(bytes)
        #expect(answer["group"] as? String == "billing")
        let cluster = try #require((answer["clusters"] as? [[String: Any]])?.first)
        let topic = try #require((cluster["topics"] as? [[String: Any]])?.first)
        let partitions = try #require(topic["partitions"] as? [[String: Any]])
        #expect(partitions.count == 2)
        #expect(partitions[0]["committed"] as? Int == 7)
        #expect(partitions[0]["high_watermark"] as? Int == 10 && partitions[0]["low_watermark"] as? Int == 3)
        #expect(partitions[0]["lag"] as? Int == 3)
        #expect(partitions[0]["lag_seconds"] as? Double == 42.5 && partitions[0]["lag_seconds_method"] as? String == "interpolation")
        #expect(partitions[0]["status"] as? String == "WARN")
        #expect(partitions[0]["produce_rate"] as? Double == 12.5)
        #expect(partitions[1]["high_watermark"] == nil && partitions[1]["lag"] == nil)
        #expect(cluster["partitions_by_status"] as? [String: Int] == ["WARN": 1])
        let members = try #require(cluster["members"] as? [[String: Any]])
        #expect(members.first?["assigned"] as? [String] == ["orders/0", "orders/1"])
        #expect(members.first?["client_id"] as? String == "billing")
        #expect(GroupReport.detailJSON(of: "nobody", in: [smallCluster()]) == nil)
    }
}
