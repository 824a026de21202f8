/// The total lag of each group over its last few polls, oldest first, for the status page's inline trend.
/// A poll in which the group's total lag was unknown leaves a `nil`. Memory: `length` optional integers
/// per group; a group absent from a poll is dropped.
public struct LagTrends: Sendable {
    /// Polls kept per group.
    public let length: Int
    private var trends: [String: [Int64?]] = [:]

    /// Creates trends of `length` polls (at least 2).
    public init(length: Int = 30) {
        precondition(length >= 2, "a trend needs two polls")
        self.length = length
    }

    /// Adds each group's total lag from this poll's snapshot and writes the trends back into it.
    public mutating func record(_ snapshot: inout ClusterSnapshot) {
        var next: [String: [Int64?]] = [:]
        for index in snapshot.groups.indices {
            let group = snapshot.groups[index]
            var trend = trends[group.name] ?? []
            trend.append(group.totalLag)
            if trend.count > length { trend.removeFirst(trend.count - length) }
            next[group.name] = trend
            snapshot.groups[index].lagTrend = trend
        }
        trends = next
    }
}
