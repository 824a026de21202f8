@testable import LagwatchDaemon
import LagwatchModel
import Testing

/// The trial's catch-up ETA: a healthy group at steady state flipped between 40–268 s and "not catching
/// up" from one scrape to the next, and a group whose consumer died showed OK with an ETA of 532–680 s. Here
/// the demo's own workload (its groups' lag functions and topic rates, `lagwatch demo`) is played through the
/// model at the default 15 s poll interval for ten minutes, with no Kafka and no waiting.
@Suite struct CatchUpETATests {
    /// Each demo group's catch-up ETA at each poll (t = 0, 15, … 600 s), as the snapshot has it.
    private func demoETAs() -> [String: [(t: Double, eta: Double?, lag: Int64?)]] {
        var history = ClusterHistory()
        var committed: [String: [TopicPartition: Int64]] = [:]
        var result: [String: [(t: Double, eta: Double?, lag: Int64?)]] = [:]
        let topics = DemoCluster.topics.map { topic in
            TopicMetadata(
                name: topic.name,
                partitions: (0..<topic.partitions).map { PartitionMetadata(partition: $0, leader: 1, replicas: [1], inSyncReplicas: [1]) })
        }
        for poll in 0...40 {
            let t = Double(poll) * 15
            var watermarks: PartitionMap<Watermarks> = [:]
            for topic in DemoCluster.topics {
                for key in DemoCluster.partitions(topic.name) {
                    watermarks[key] = Watermarks(low: 0, high: Int64(topic.perSecond) * Int64(t))
                }
            }
            let groups = DemoCluster.groups.map { group -> GroupObservation in
                if let lag = group.lag(t) {
                    for key in group.partitions {
                        committed[group.name, default: [:]][key] = max(
                            committed[group.name]?[key] ?? 0, max(0, watermarks[key]!.high - lag))
                    }
                }
                return GroupObservation(
                    name: group.name, memberCount: group.lag(t) == nil ? 0 : 1,
                    committed: PartitionMap((committed[group.name] ?? [:]).map { ($0.key, Optional($0.value)) }))
            }
            let snapshot = history.advance(ClusterObservation(
                clusterName: "demo", metadata: ClusterMetadata(brokers: [], controllerID: 1, topics: topics),
                watermarks: watermarks, groups: groups, discovery: .supported, stageErrors: [:],
                startedAt: 1_700_000_000 + t, durationSeconds: 0.1))
            for group in snapshot.groups { result[group.name, default: []].append((t, group.catchUpSeconds, group.totalLag)) }
        }
        return result
    }

    @Test func aGroupAtItsSteadyLagIsCaughtUpEveryPoll() {
        // orders-service stays 5 messages behind on each of its 9 partitions: 45 in all, for ever.
        let polls = demoETAs()["orders-service"]!.dropFirst(DemoCluster.groups.count + SnapshotBuilder.steadyLevelPolls)
        #expect(polls.allSatisfy { $0.eta == 0 }, "\(polls.map(\.eta))")
    }

    @Test func aGroupWhoseConsumerDiedShowsNoETA() {
        // audit-archiver stops committing at t = 60 s; its lag grows from there.
        let polls = demoETAs()["audit-archiver"]!.filter { $0.t > 60 }
        #expect(polls.allSatisfy { $0.eta == nil }, "\(polls.map(\.eta))")
    }

    @Test func theSwellingGroupShowsAnETAOnlyWhileItsLagReallyFalls() {
        // analytics: 1,500 + 1,500 sin(2πt/300) behind per partition; falling from t = 75 to 225 s, rising after.
        let polls = demoETAs()["analytics"]!.filter { $0.t >= 90 }
        var previous: [Int64?] = []
        for poll in polls {
            defer { previous.append(poll.lag) }
            guard let eta = poll.eta, eta > 0 else { continue }
            // Shown only after three polls of falling lag, and never while it rises.
            let last = previous.suffix(3).compactMap { $0 } + [poll.lag!]
            #expect(last.count == 4 && zip(last, last.dropFirst()).allSatisfy { $1 < $0 }, "t=\(poll.t): \(last)")
        }
        #expect(polls.contains { ($0.eta ?? 0) > 0 }, "while it drains, an ETA")
        #expect(polls.filter { (255...285).contains($0.t) }.allSatisfy { $0.eta == nil || $0.eta == 0 }, "rising: none")
    }
}
