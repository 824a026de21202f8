/// Judges each group on each partition from the last `window` polls that saw it, by Burrow's rules (also
/// in the README):
/// - **ERR** when the committed offset is below the log start;
/// - **REWIND** when the committed offset went backwards within the window;
/// (With `minLag` set, "above 0" below reads "above `minLag`".)
/// - **STOP** / **STALL** when lag was above 0 in every poll of the window and the committed offset did not
///   change: STALL if the group has members (alive but stuck), STOP if it has none or cannot be described;
/// - **WARN** when lag was above 0 and never fell across the window, grew within it, and the committed
///   offset advanced within it (the consumer is slower than the producers);
/// - **OK** otherwise; in particular a window in which lag was 0 once is never STOP, STALL or WARN, and
///   until a partition has been seen for a whole window only ERR and REWIND can be reported.
/// A poll that did not see a partition's lag (watermarks or offsets not fetched) does not count. A group
/// partition not seen for `window` polls is forgotten.
///
/// Pure: times do not matter, only the order of polls. Not thread safe; one poller owns one tracker.
public struct StatusTracker: Sendable {
    /// Polls in the window, at least 3.
    public let window: Int
    /// Lag, in messages, at or below which a partition counts as caught up for STOP, STALL and WARN (0: only
    /// a lag of 0 does).
    public let minLag: Int64
    private var poll = 0
    private var states: [String: [TopicPartition: PartitionStatusState]] = [:]

    /// Creates a tracker judging over `window` polls, with lags up to `minLag` counted as caught up.
    public init(window: Int, minLag: Int64 = 0) {
        precondition(window >= 3, "the status window needs at least three polls")
        self.window = window
        self.minLag = max(0, minLag)
    }

    /// Group partitions tracked, for memory accounting.
    public var trackedPartitions: Int { states.values.reduce(0) { $0 + $1.count } }

    /// Moves every group partition the snapshot's groups carry a lag for on by one poll, and writes each
    /// one's status into the snapshot's partitions. A group with a STOP or STALL partition loses its catch-up
    /// time: averaged over the rate window, its consume rate still remembers the commits before it stopped.
    public mutating func judge(_ snapshot: inout ClusterSnapshot) {
        poll += 1
        for groupIndex in snapshot.groups.indices where snapshot.groups[groupIndex].fetchError == nil {
            let name = snapshot.groups[groupIndex].name
            let hasMembers = (snapshot.groups[groupIndex].memberCount ?? 0) > 0
            var groupStates = states.removeValue(forKey: name) ?? [:]
            for topicIndex in snapshot.groups[groupIndex].topics.indices {
                let topic = snapshot.groups[groupIndex].topics[topicIndex].topic
                for partitionIndex in snapshot.groups[groupIndex].topics[topicIndex].partitions.indices {
                    let partition = snapshot.groups[groupIndex].topics[topicIndex].partitions[partitionIndex]
                    guard let lag = partition.lag else { continue }
                    let key = TopicPartition(topic, partition.partition)
                    if groupStates[key] == nil {
                        groupStates[key] = PartitionStatusState(
                            committed: partition.committed, lag: lag, poll: poll, minLag: minLag)
                    } else {
                        groupStates[key]!.advance(committed: partition.committed, lag: lag, poll: poll, minLag: minLag)
                    }
                    snapshot.groups[groupIndex].topics[topicIndex].partitions[partitionIndex].status = groupStates[key]!
                        .status(window: window, hasMembers: hasMembers, behindLogStart: partition.behindLogStart)
                }
            }
            states[name] = groupStates
            let stuck = snapshot.groups[groupIndex].topics.contains { topic in
                topic.partitions.contains { $0.status == .stop || $0.status == .stall }
            }
            if stuck { snapshot.groups[groupIndex].catchUpSeconds = nil }
        }
        forgetUnseen()
    }

    private mutating func forgetUnseen() {
        let oldest = poll - window
        for (group, partitions) in states where partitions.values.contains(where: { $0.lastSeenPoll <= oldest }) {
            let kept = partitions.filter { $0.value.lastSeenPoll > oldest }
            states[group] = kept.isEmpty ? nil : kept
        }
    }
}
