import LagwatchModel
import Testing

/// A group nobody has run for long (no members, oldest unconsumed message older than the inactivity age) is
/// INACTIVE, not STOP or ERR: the trial's 300 abandoned groups paged 304 critical alerts.
@Suite struct InactiveGroupTests {
    /// Polls `polls` times, 15 s apart from `start`, a cluster with one group on t/0 and t/1 whose committed
    /// offsets never move (lag 40 on each); returns the last snapshot's group.
    private func lastGroup(
        members: Int?,
        recordAge: Double?,
        logStart: Int64 = 0,
        inactiveAfter: Double = 86_400,
        polls: Int = 4
    ) -> GroupLag {
        var settings = AnalysisSettings()
        settings.statusWindowPolls = 3
        settings.inactiveAfterSeconds = inactiveAfter
        var history = ClusterHistory(settings: settings)
        let keys = [TopicPartition("t", 0), TopicPartition("t", 1)]
        let topic = TopicMetadata(
            name: "t", partitions: keys.map { PartitionMetadata(partition: $0.partition, leader: 1, replicas: [1], inSyncReplicas: [1]) })
        var last: ClusterSnapshot?
        for index in 0..<polls {
            let time = 1_000_000 + Double(index) * 15
            var observation = ClusterObservation(
                clusterName: "c", metadata: ClusterMetadata(brokers: [], controllerID: 1, topics: [topic]),
                watermarks: PartitionMap(keys.map { ($0, Watermarks(low: logStart, high: 50)) }),
                groups: [GroupObservation(name: "g", memberCount: members, committed: [keys[0]: 10, keys[1]: 10])],
                discovery: .supported, stageErrors: [:], startedAt: time, durationSeconds: 0)
            if let recordAge {
                // The record the oldest unconsumed message is: at the committed offset, or the log start past it.
                let offset = max(10, logStart)
                observation.recordTimes = Dictionary(uniqueKeysWithValues: keys.map {
                    ($0, [offset: RecordTime(offset: offset, timestamp: time - recordAge, isLogAppendTime: false)])
                })
            }
            last = history.advance(observation)
        }
        return last!.groups[0]
    }

    @Test func aMemberlessGroupPastTheAgeIsInactiveNotStopped() {
        let group = lastGroup(members: 0, recordAge: 2 * 86_400)
        #expect(group.status == .inactive)
        #expect(group.partitionsByStatus[.inactive] == 2 && group.partitionsByStatus[.stop] == nil)
        #expect(group.catchUpSeconds == nil)
    }

    @Test func youngerThanTheAgeItIsStillStopped() {
        #expect(lastGroup(members: 0, recordAge: 3_600).status == .stop)
        #expect(lastGroup(members: 0, recordAge: 3_600, inactiveAfter: 1_800).status == .inactive, "the age is a setting")
    }

    @Test func membersOrNoDateKeepTheUsualStatus() {
        #expect(lastGroup(members: 2, recordAge: 2 * 86_400).status == .stall, "alive but stuck is a problem")
        #expect(lastGroup(members: nil, recordAge: 2 * 86_400).status == .stop, "not described: members unknown")
        #expect(lastGroup(members: 0, recordAge: nil).status == .stop, "undated: not known to be old")
    }

    @Test func anAbandonedGroupWhoseMessagesRetentionDeletedIsInactiveNotErr() {
        // Committed 10, log start 30: ERR for an active group; dated by the record at 30, a week old.
        #expect(lastGroup(members: 0, recordAge: 7 * 86_400, logStart: 30, polls: 1).status == .inactive)
        #expect(lastGroup(members: 1, recordAge: 7 * 86_400, logStart: 30, polls: 1).status == .err)
    }
}
