/// The total lag of each group over its last few polls, oldest first, for the status page's inline trend.
/// A poll in which the group's total lag was unknown leaves a `nil`. Memory: `length` optional integers
/// per group; a group absent from a poll is dropped.
public struct LagTrends: Sendable {
    /// Polls kept per group.
    public let length: Int
    private var trends: [String: [Int64?]] = [:]
    /// Trends recorded in the poll under way.
    private var next: [String: [Int64?]] = [:]

    /// Creates trends of `length` polls (at least 2).
    public init(length: Int = 30) {
        precondition(length >= 2, "a trend needs two polls")
        self.length = length
    }

    /// Adds a group's total lag from this poll and returns its trend, oldest first.
    public mutating func record(group: String, totalLag: Int64?) -> [Int64?] {
        var trend = trends.removeValue(forKey: group) ?? []
        trend.append(totalLag)
        if trend.count > length { trend.removeFirst(trend.count - length) }
        next[group] = trend
        return trend
    }

    /// Ends the poll: groups not recorded in it are dropped.
    public mutating func endPoll() {
        trends = next
        next = [:]
    }
}
