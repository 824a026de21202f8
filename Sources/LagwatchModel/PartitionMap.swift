/// Values by partition, kept as one array per topic indexed by partition number (Kafka numbers a topic's
/// partitions 0..<n) rather than a dictionary keyed by topic and partition: one entry costs the value's
/// own size, not a hashed key with its topic name beside it. The trackers keep one per consumer group
/// (40,000 group partitions at the benchmark's shape). A negative partition number is never stored.
///
/// The methods a poll calls per partition are `@inlinable`, so that another module (the Kafka client
/// filling a poll's maps, the daemon reading them) gets them specialised to its value type: unspecialised,
/// each call looked up generic metadata at run time, 10% of the daemon's CPU (perf, 2026-12-06).
public struct PartitionMap<Value: Sendable>: Sendable {
    @usableFromInline var topics: [String: ContiguousArray<Value?>] = [:]
    @usableFromInline var storedCount = 0

    /// Partitions with a value.
    @inlinable public var count: Int { storedCount }

    /// Creates an empty map.
    @inlinable public init() {}

    /// A map holding the given values (the last one wins for a repeated partition).
    @inlinable public init<Entries: Sequence>(_ entries: Entries) where Entries.Element == (TopicPartition, Value) {
        for (key, value) in entries { self[key] = value }
    }

    /// True when no partition has a value.
    @inlinable public var isEmpty: Bool { storedCount == 0 }

    /// The value of a partition; setting `nil` removes it.
    @inlinable public subscript(key: TopicPartition) -> Value? {
        get {
            guard key.partition >= 0, let values = topics[key.topic], Int(key.partition) < values.count else { return nil }
            return values[Int(key.partition)]
        }
        set {
            guard key.partition >= 0 else { return }
            let index = Int(key.partition)
            if newValue == nil && (topics[key.topic]?.count ?? 0) <= index { return }
            var added = 0
            topics[key.topic, default: []].modify { values in
                if values.count <= index { Self.grow(&values, toHold: index) }
                added = (newValue == nil ? 0 : 1) - (values[index] == nil ? 0 : 1)
                values[index] = newValue
            }
            storedCount += added
        }
    }

    /// Makes room for `index`. A jump past the end reserves the exact size: the trackers fill their maps
    /// from another map, which hands each topic over from its highest partition down, so their arrays
    /// (kept for as long as the partition lives) are allocated once and hold no slack. One more slot at
    /// the end grows the array by the standard library's doubling, so a map built in partition order (a
    /// poll's watermarks, as the client reads them) costs amortised constant time an entry, not a copy
    /// of the topic each.
    @inlinable static func grow(_ values: inout ContiguousArray<Value?>, toHold index: Int) {
        if index > values.count { values.reserveCapacity(index + 1) }
        values.append(contentsOf: repeatElement(nil, count: index + 1 - values.count))
    }

    /// Applies `change` to a partition's value in place, storing `initial` first when it has none, and
    /// returns the value now held.
    @inlinable public mutating func update(_ key: TopicPartition, or initial: @autoclosure () -> Value, _ change: (inout Value) -> Void) -> Value? {
        guard key.partition >= 0 else { return nil }
        let index = Int(key.partition)
        var held: Value?
        var added = false
        topics[key.topic, default: []].modify { values in
            if values.count <= index { Self.grow(&values, toHold: index) }
            if values[index] == nil {
                values[index] = initial()
                added = true
            } else {
                change(&values[index]!)
            }
            held = values[index]
        }
        if added { storedCount += 1 }
        return held
    }

    /// Removes every value `shouldRemove` picks; a topic left with none is dropped.
    public mutating func removeAll(where shouldRemove: (Value) -> Bool) {
        removeAll { _, value in shouldRemove(value) }
    }

    /// Removes every partition and value `shouldRemove` picks; a topic left with none is dropped.
    public mutating func removeAll(where shouldRemove: (TopicPartition, Value) -> Bool) {
        var removed = 0
        for (topic, values) in topics {
            var kept = values
            var changed = false
            for index in kept.indices {
                guard let value = kept[index], shouldRemove(TopicPartition(topic, Int32(index)), value) else { continue }
                kept[index] = nil
                changed = true
                removed += 1
            }
            guard changed else { continue }
            topics[topic] = kept.contains(where: { $0 != nil }) ? kept : nil
        }
        storedCount -= removed
    }

    /// True when any value satisfies `predicate`.
    public func contains(where predicate: (Value) -> Bool) -> Bool {
        topics.values.contains { $0.contains { $0.map(predicate) ?? false } }
    }

    /// Every value, in no particular order.
    public var values: [Value] { topics.values.flatMap { $0.compactMap { $0 } } }

    /// Makes room for partitions `0..<partitions` of `topic` at once, for a builder that knows the
    /// topic's size.
    @inlinable public mutating func reserve(_ topic: String, partitions: Int) {
        guard partitions > 0 else { return }
        topics[topic, default: []].modify { values in
            if values.capacity < partitions { values.reserveCapacity(partitions) }
        }
    }
}

extension PartitionMap: Sequence {
    /// Visits every partition and its value: topic by topic in no particular order, each topic from its
    /// highest partition down (so that a map filled from this one allocates each topic's array once).
    public struct Iterator: IteratorProtocol {
        @usableFromInline var remaining: Dictionary<String, ContiguousArray<Value?>>.Iterator
        @usableFromInline var topic = ""
        @usableFromInline var values: ContiguousArray<Value?> = []
        @usableFromInline var index = -1

        @inlinable init(_ topics: [String: ContiguousArray<Value?>]) { remaining = topics.makeIterator() }

        @inlinable public mutating func next() -> (key: TopicPartition, value: Value)? {
            while true {
                while index >= 0 {
                    let at = index
                    index -= 1
                    if let value = values[at] { return (TopicPartition(topic, Int32(at)), value) }
                }
                guard let (name, next) = remaining.next() else { return nil }
                topic = name
                values = next
                index = next.count - 1
            }
        }
    }

    @inlinable public func makeIterator() -> Iterator { Iterator(topics) }

    @inlinable public var underestimatedCount: Int { storedCount }
}

/// A set of partitions kept the way ``PartitionMap`` keeps values: a byte per partition number, by topic
/// (a `Set<TopicPartition>` costs about 60 bytes a partition, 6 MB at 100,000).
public struct PartitionSet: Sendable, Equatable, ExpressibleByArrayLiteral {
    private var members = PartitionMap<Bool>()

    /// Creates an empty set.
    public init() {}

    /// Creates a set of the given partitions.
    public init(arrayLiteral keys: TopicPartition...) {
        for key in keys { insert(key) }
    }

    /// Every partition of every topic of `metadata`.
    public init(_ metadata: ClusterMetadata) {
        for topic in metadata.topics {
            members.reserve(topic.name, partitions: Int(topic.partitions.last.map { $0.partition + 1 } ?? 0))
            for partition in topic.partitions { insert(TopicPartition(topic.name, partition.partition)) }
        }
    }

    /// The number of partitions in the set.
    public var count: Int { members.count }

    /// True when `key` is in the set.
    public func contains(_ key: TopicPartition) -> Bool { members[key] != nil }

    /// Adds `key` (a negative partition number is never stored).
    public mutating func insert(_ key: TopicPartition) { members[key] = true }
}

extension ContiguousArray {
    /// Applies `change` to the array in place (a dictionary's `default:` subscript yields it this way).
    @inlinable mutating func modify(_ change: (inout ContiguousArray) -> Void) { change(&self) }
}

extension PartitionMap: Equatable where Value: Equatable {
    /// Equal when the same partitions hold equal values (however long each topic's array grew).
    public static func == (lhs: PartitionMap, rhs: PartitionMap) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (topic, values) in lhs.topics {
            for (index, value) in values.enumerated() where value != nil {
                guard rhs[TopicPartition(topic, Int32(index))] == value else { return false }
            }
        }
        return true
    }
}

extension PartitionMap: Hashable where Value: Hashable {
    /// Hashes the number of values only: equal maps hash equally whatever their arrays' lengths.
    public func hash(into hasher: inout Hasher) { hasher.combine(count) }
}

extension PartitionMap: ExpressibleByDictionaryLiteral {
    /// A map holding the given values (the last one wins for a repeated partition).
    public init(dictionaryLiteral elements: (TopicPartition, Value)...) {
        self.init(elements)
    }
}
