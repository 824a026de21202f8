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
