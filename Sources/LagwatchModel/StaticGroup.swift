/// A consumer group named in configuration, watched whether or not the broker lets groups be listed.
public struct StaticGroup: Sendable, Hashable {
    /// The group id.
    public var name: String
    /// Topics whose partitions are asked about, or `nil` to ask for every partition the group committed to
    /// (a real broker answers that; librdkafka's mock does not).
    public var topics: [String]?

    /// Creates a static group.
    public init(name: String, topics: [String]?) {
        self.name = name
        self.topics = topics
    }
}
