import LagwatchModel
import Testing

@Suite struct PartitionMapTests {
    @Test func storesByTopicAndPartitionAndCountsWhatItHolds() {
        var map = PartitionMap<Int>()
        map[TopicPartition("a", 3)] = 30
        map[TopicPartition("a", 0)] = 0
        map[TopicPartition("b", 1)] = 11
        #expect(map.count == 3)
        #expect(map[TopicPartition("a", 3)] == 30)
        #expect(map[TopicPartition("a", 1)] == nil)
        #expect(map[TopicPartition("a", 7)] == nil)
        #expect(map[TopicPartition("c", 0)] == nil)
        map[TopicPartition("a", 3)] = 31
        #expect(map.count == 3)
        map[TopicPartition("a", 3)] = nil
        map[TopicPartition("a", 9)] = nil
        #expect(map.count == 2)
        #expect(map.values.sorted() == [0, 11])
    }

    @Test func aNegativePartitionIsNeverStored() {
        var map = PartitionMap<Int>()
        map[TopicPartition("a", -1)] = 5
        #expect(map.update(TopicPartition("a", -2), or: 1) { $0 += 1 } == nil)
        #expect(map.isEmpty)
        #expect(map[TopicPartition("a", -1)] == nil)
    }

    @Test func updateStoresTheInitialValueOnceThenChangesItInPlace() {
        var map = PartitionMap<Int>()
        let key = TopicPartition("t", 2)
        #expect(map.update(key, or: 10) { $0 += 1 } == 10)
        #expect(map.update(key, or: 10) { $0 += 1 } == 11)
        #expect(map.count == 1)
    }

    @Test func removeAllDropsWhatIsPickedAndEqualityIgnoresHowTheArraysGrew() {
        var map: PartitionMap<Int> = [TopicPartition("a", 0): 1, TopicPartition("a", 5): 2, TopicPartition("b", 0): 3]
        map.removeAll { $0 >= 2 }
        #expect(map.count == 1)
        #expect(!map.contains { $0 >= 2 })
        // "a" grew to six slots before partition 5 went; a map built with partition 0 alone is equal.
        #expect(map == [TopicPartition("a", 0): 1])
        #expect(map != [TopicPartition("a", 0): 2])
        #expect(map != [TopicPartition("a", 0): 1, TopicPartition("b", 0): 3])
    }

    @Test func iteratesEveryEntryOnceEachTopicFromItsHighestPartitionDown() {
        var map = PartitionMap<Int>()
        for partition in [2, 0, 7, 5] { map[TopicPartition("a", Int32(partition))] = partition }
        map[TopicPartition("b", 1)] = 100
        map[TopicPartition("a", 5)] = nil
        let entries = Array(map)
        #expect(entries.count == map.count)
        #expect(Set(entries.map(\.key)) == [TopicPartition("a", 0), TopicPartition("a", 2), TopicPartition("a", 7), TopicPartition("b", 1)])
        #expect(entries.allSatisfy { map[$0.key] == $0.value })
        #expect(entries.filter { $0.key.topic == "a" }.map(\.key.partition) == [7, 2, 0])
        #expect(Array(PartitionMap<Int>()).isEmpty)
        // Rebuilt from itself, the map is equal (what the trackers do with a poll's map).
        #expect(PartitionMap(entries.map { ($0.key, $0.value) }) == map)
        // Optional values: a partition asked about and never committed to is an entry holding nil.
        let committed: PartitionMap<Int64?> = [TopicPartition("t", 0): nil, TopicPartition("t", 1): 5]
        #expect(committed.count == 2)
        #expect(committed[TopicPartition("t", 0)] == .some(nil))
        #expect(Array(committed).map(\.value) == [5, nil])
    }

    @Test func aMapBuiltInPartitionOrderOrReservedHoldsEveryPartition() {
        var ordered = PartitionMap<Int64>()
        var reserved = PartitionMap<Int64>()
        reserved.reserve("big", partitions: 3_000)
        #expect(reserved.isEmpty)
        for partition in Int32(0)..<3_000 {
            ordered[TopicPartition("big", partition)] = Int64(partition) * 3
            reserved[TopicPartition("big", partition)] = Int64(partition) * 3
        }
        #expect(ordered.count == 3_000 && ordered == reserved)
        #expect(ordered[TopicPartition("big", 2_999)] == 8_997)
    }

    @Test func aPartitionSetHoldsWhatTheMetadataLists() {
        let metadata = ClusterMetadata(
            brokers: [], controllerID: nil,
            topics: [
                TopicMetadata(name: "a", partitions: [0, 1, 3].map { PartitionMetadata(partition: $0, leader: 1, replicas: [1], inSyncReplicas: [1]) }),
                TopicMetadata(name: "b", partitions: []),
            ])
        let known = metadata.partitionKeys
        #expect(known.count == 3)
        #expect(known.contains(TopicPartition("a", 0)) && known.contains(TopicPartition("a", 3)))
        #expect(!known.contains(TopicPartition("a", 2)))
        #expect(!known.contains(TopicPartition("a", 4)))
        #expect(!known.contains(TopicPartition("b", 0)))
        #expect(!known.contains(TopicPartition("a", -1)))
        #expect(known == [TopicPartition("a", 3), TopicPartition("a", 1), TopicPartition("a", 0)])
    }
}

@Suite struct PartitionLagStorageTests {
    @Test func packedPartitionLagGivesBackWhatItWasMadeWith() {
        let full = PartitionLag(
            partition: 7, committed: 1_000, lag: 0, behindLogStart: true, pastLogEnd: true, consumeRate: 0,
            lagTime: LagTime(seconds: 12.5, method: .extrapolation), status: .stall)
        #expect(full.partition == 7 && full.committed == 1_000 && full.lag == 0)
        #expect(full.behindLogStart && full.pastLogEnd)
        #expect(full.consumeRate == 0)
        #expect(full.lagTime == LagTime(seconds: 12.5, method: .extrapolation))
        #expect(full.status == .stall)
        // Absent is not zero.
        let empty = PartitionLag(partition: 0, committed: -5, lag: nil, behindLogStart: false)
        #expect(empty.lag == nil && empty.consumeRate == nil && empty.lagTime == nil && empty.status == nil)
        #expect(!empty.behindLogStart && !empty.pastLogEnd)
        #expect(empty != PartitionLag(partition: 0, committed: -5, lag: 0, behindLogStart: false))
        #expect(MemoryLayout<PartitionLag>.stride == 40)
    }
}
