/// Judges each group on each partition from the last `window` polls that saw it, by Burrow's rules (also
/// in the README):
/// - **ERR** when the committed offset is outside the log: below its start or past its end;
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
/// Pure: times do not matter, only the order of polls. A value: its owner (one ``ClusterHistory``) mutates it.
public struct StatusTracker: Sendable {
    /// Polls in the window, at least 3.
    public let window: Int
    /// Lag, in messages, at or below which a partition counts as caught up for STOP, STALL and WARN (0: only
    /// a lag of 0 does).
    public let minLag: Int64
    /// Polls begun, wrapping (a state's age is the wrapping difference).
    private var poll: Int32 = 0
    private var states: [String: PartitionMap<PartitionStatusState>] = [:]

    /// Creates a tracker judging over `window` polls, with lags up to `minLag` counted as caught up.
    public init(window: Int, minLag: Int64 = 0) {
        precondition(window >= 3, "the status window needs at least three polls")
        self.window = window
        self.minLag = max(0, minLag)
    }

    /// Group partitions tracked, for memory accounting.
    public var trackedPartitions: Int { states.values.reduce(0) { $0 + $1.count } }

    /// Starts a poll: the group partitions judged until ``endPoll()`` are the ones this poll saw.
    public mutating func beginPoll() {
        poll &+= 1
    }

    /// Moves one group partition on by this poll (its lag is known) and returns its status. A group with
    /// members is STALL rather than STOP.
    public mutating func judge(
        group: String,
        partition key: TopicPartition,
        committed: Int64,
        lag: Int64,
        hasMembers: Bool,
        outsideLog: Bool
    ) -> ConsumerStatus {
        let poll = poll
        let minLag = minLag
        let fresh = PartitionStatusState(committed: committed, lag: lag, poll: poll, minLag: minLag)
        // One lookup for the group and one for the partition, both mutated in place.
        let state = states[group, default: PartitionMap()].update(key, or: fresh) {
            $0.advance(committed: committed, lag: lag, poll: poll, minLag: minLag)
        }
        return (state ?? fresh).status(window: window, hasMembers: hasMembers, outsideLog: outsideLog)
    }

    /// Ends the poll: forgets group partitions not seen for a whole window.
    public mutating func endPoll() {
        forgetUnseen()
    }

    private mutating func forgetUnseen() {
        let poll = poll
        let window = Int32(clamping: window)
        func unseen(_ state: PartitionStatusState) -> Bool { poll &- state.lastSeenPoll >= window }
        for (group, partitions) in states where partitions.contains(where: unseen) {
            var kept = partitions
            kept.removeAll(where: unseen)
            states[group] = kept.isEmpty ? nil : kept
        }
    }
}
