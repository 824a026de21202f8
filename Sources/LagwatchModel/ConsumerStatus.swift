/// A consumer's health on a partition, or a group's worst over its partitions: Burrow's states, ordered
/// from best to worst, with INACTIVE (abandoned, not failing) and NOTFOUND (no offsets at all) just above OK.
public enum ConsumerStatus: String, Sendable, Hashable, CaseIterable, Comparable {
    /// None of the rules below holds.
    case ok = "OK"
    /// The group has no members and its oldest unconsumed message is older than the inactivity age: nobody
    /// has run it for a long time. Replaces any of the statuses below on its partitions, so an abandoned
    /// group is not paged as a stopped, stalled or failing one (see ``SnapshotBuilder``).
    case inactive = "INACTIVE"
    /// A group's only, never a partition's: the group has no committed offset at all (Burrow's name). A
    /// configured group with a mistyped name, or one that never committed: its lag of 0 means nothing.
    case notFound = "NOTFOUND"
    /// Lag grew across the whole window while commits advanced: the consumer is slower than the producers.
    case warn = "WARN"
    /// The committed offset went backwards within the window (a reset or a deliberate replay).
    case rewind = "REWIND"
    /// Lag stayed above 0 and the committed offset did not move across the window, while the group has
    /// members: consumers are alive but stuck.
    case stall = "STALL"
    /// Lag stayed above 0 and the committed offset did not move across the window, and the group has no
    /// members (or lagwatch cannot describe the group).
    case stop = "STOP"
    /// The committed offset is outside the log: below its start (retention deleted messages the group never
    /// read) or past its end (the topic was recreated, or the log truncated, under the group).
    case err = "ERR"

    /// The statuses a partition can have: all but NOTFOUND, which only a group has.
    public static let partitionStatuses = allCases.filter { $0 != .notFound }

    public static func < (lhs: ConsumerStatus, rhs: ConsumerStatus) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// What the status rules remember of one group on one partition between polls: run lengths rather than
/// the window's samples, so a group partition costs 48 bytes whatever the window.
public struct PartitionStatusState: Sendable, Hashable {
    /// The committed offset and lag of the last poll that saw both.
    var committed: Int64
    var lag: Int64
    /// Polls seen in a row with the same committed offset and lag above 0 (the current one included).
    var stuckPolls: Int32 = 1
    /// Polls seen in a row with lag above 0 and never lower than the poll before (the current one included).
    var lagNotFallingPolls: Int32 = 1
    /// Polls seen since lag last grew, and since the committed offset last advanced or went back.
    var pollsSinceLagGrew: Int32 = .max
    var pollsSinceAdvance: Int32 = .max
    var pollsSinceRewind: Int32 = .max
    /// The tracker's poll number when this state was last updated (32 bits, compared wrapping: 40 bytes a
    /// state, not 48).
    var lastSeenPoll: Int32

    init(committed: Int64, lag: Int64, poll: Int32, minLag: Int64) {
        self.committed = committed
        self.lag = lag
        stuckPolls = lag > minLag ? 1 : 0
        lagNotFallingPolls = lag > minLag ? 1 : 0
        lastSeenPoll = poll
    }

    /// Moves the state on by one poll that saw `committed` and `lag`.
    mutating func advance(committed newCommitted: Int64, lag newLag: Int64, poll: Int32, minLag: Int64) {
        func older(_ count: Int32) -> Int32 { count == .max ? .max : count + 1 }
        pollsSinceLagGrew = newLag > lag ? 0 : older(pollsSinceLagGrew)
        pollsSinceAdvance = newCommitted > committed ? 0 : older(pollsSinceAdvance)
        pollsSinceRewind = newCommitted < committed ? 0 : older(pollsSinceRewind)
        stuckPolls = newLag > minLag ? (newCommitted == committed ? stuckPolls + 1 : 1) : 0
        lagNotFallingPolls = newLag > minLag ? (newLag >= lag ? lagNotFallingPolls + 1 : 1) : 0
        committed = newCommitted
        lag = newLag
        lastSeenPoll = poll
    }

    /// The status over a window of `window` polls (the transitions between them number `window - 1`).
    func status(window: Int, hasMembers: Bool, outsideLog: Bool) -> ConsumerStatus {
        let window = Int32(window)
        if outsideLog { return .err }
        if pollsSinceRewind < window - 1 { return .rewind }
        if stuckPolls >= window { return hasMembers ? .stall : .stop }
        if lagNotFallingPolls >= window, pollsSinceLagGrew < window - 1, pollsSinceAdvance < window - 1 { return .warn }
        return .ok
    }
}
