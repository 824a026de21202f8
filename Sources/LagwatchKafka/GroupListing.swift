/// A consumer group as `ListConsumerGroups` reports it.
public struct GroupListing: Sendable, Hashable {
    /// The group id.
    public var name: String
    /// The group's state name (`Stable`, `Empty`, …).
    public var state: String

    /// Creates a listing.
    public init(name: String, state: String) {
        self.name = name
        self.state = state
    }
}
