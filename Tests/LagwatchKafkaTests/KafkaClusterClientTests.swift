import Foundation
import LagwatchKafka
import LagwatchModel
import LagwatchTestSupport
import Testing

@Suite(.serialized)
struct KafkaClusterClientTests {
    /// scripts/test.sh runs the suite a second time on a current librdkafka (LD_LIBRARY_PATH) and says which
    /// version it expects, so a run that silently loaded Debian's 2.0.2 again cannot pass as the other one.
    @Test func runsOnTheLibrdkafkaTheTestRunAskedFor() throws {
        let expected = ProcessInfo.processInfo.environment["LAGWATCH_TEST_EXPECT_LIBRDKAFKA"] ?? "2.0.2"
        #expect(KafkaHandle.librdkafkaVersion == expected)
    }

    @Test func readsMetadataWatermarksAndCommittedOffsetsFromTheMock() throws {
        let world = try MockWorld(brokers: 3)
        defer { world.shutdown() }
        try world.topic("orders", partitions: 4)
        try world.topic("payments", partitions: 2)
        for partition in Int32(0)..<4 { try world.produce("orders", partition, count: 10 + Int(partition) * 5) }
        try world.produce("payments", 1, count: 7)
        try world.commit("billing", [TopicPartition("orders", 0): 3, TopicPartition("orders", 2): 20])

        let client = try KafkaClusterClient(
            bootstrapServers: [world.bootstrap], properties: [], logger: TestLogger.quiet())
        let metadata = try client.metadata(timeoutMilliseconds: 5_000)
        #expect(metadata.brokers.map(\.id) == [1, 2, 3])
        #expect(metadata.topics.map(\.name) == ["orders", "payments"])
        #expect(metadata.topics[0].partitions.count == 4)
        // Equal replica sets are one array, not one per partition (memory at 100k partitions): every set
        // the mock reports is among the distinct ones, and equal ones share their storage.
        let sets = metadata.topics.flatMap(\.partitions).flatMap { [$0.replicas, $0.inSyncReplicas] }
        #expect(sets.allSatisfy { !$0.isEmpty })
        var storage: [[Int32]: UnsafeRawPointer] = [:]
        for set in sets {
            let address = set.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) }
            if let first = storage[set] { #expect(first == address, "replica set \(set) stored twice") }
            else { storage[set] = address }
        }
        #expect(storage.count < sets.count)

        var leaders: [TopicPartition: Int32] = [:]
        for topic in metadata.topics {
            for partition in topic.partitions { leaders[TopicPartition(topic.name, partition.partition)] = partition.leader }
        }
        let marks = client.watermarks(leaders: leaders, batchSize: 2, timeoutMilliseconds: 5_000)
        #expect(marks.errors.isEmpty)
        #expect(marks.watermarks.count == 6)
        // No transactions on the mock: the last stable offset is the high watermark.
        for (key, count) in world.produced {
            #expect(marks.watermarks[key] == Watermarks(low: 0, high: count, lastStable: count))
        }
        #expect(marks.watermarks[TopicPartition("payments", 0)] == Watermarks(low: 0, high: 0, lastStable: 0))

        let partitions = (Int32(0)..<4).map { TopicPartition("orders", $0) }
        let offsets = client.committedOffsets(
            [CommittedOffsetsRequest(group: "billing", partitions: partitions)], maxInFlight: 8,
            waitMilliseconds: 5_000)
        let billing = try #require(try offsets["billing"]?.get())
        #expect(billing[TopicPartition("orders", 0)] == .some(3))
        #expect(billing[TopicPartition("orders", 2)] == .some(20))
        #expect(billing[TopicPartition("orders", 1)] == .some(nil))
        #expect(billing.count == 4)
    }

    @Test func listingGroupsOnTheMockIsReportedUnsupported() throws {
        let world = try MockWorld(brokers: 1)
        defer { world.shutdown() }
        let client = try KafkaClusterClient(
            bootstrapServers: [world.bootstrap], properties: [], logger: TestLogger.quiet())
        let result = client.listGroups(waitMilliseconds: 5_000)
        guard case .failure(let error) = result else {
            Issue.record("the mock cannot list groups, yet listing succeeded: \(result)")
            return
        }
        #expect(error.code == .unsupported)
    }

    @Test func theRecordReaderDatesTheRecordAtEachOffset() throws {
        let world = try MockWorld(brokers: 2)
        defer { world.shutdown() }
        try world.topic("events", partitions: 2)
        // Three batches a second apart on each partition; each record's timestamp is its producer's clock.
        var times: [(before: Double, after: Double)] = []
        for _ in 0..<3 {
            let before = Date().timeIntervalSince1970
            try world.produce("events", 0, count: 5)
            try world.produce("events", 1, count: 5)
            times.append((before, Date().timeIntervalSince1970))
            Thread.sleep(forTimeInterval: 1)
        }
        let reader = try RecordReader(bootstrapServers: [world.bootstrap], properties: [], logger: TestLogger.quiet())
        let p0 = TopicPartition("events", 0), p1 = TopicPartition("events", 1)
        let found = reader.recordTimes(at: [p0: 7, p1: 12], timeoutMilliseconds: 5000)
        // Offset 7 is in the second batch, 12 in the third.
        let first = try #require(found[p0])
        #expect(first.offset == 7 && !first.isLogAppendTime)
        #expect(first.timestamp >= times[1].before - 0.01 && first.timestamp <= times[1].after + 0.01)
        let second = try #require(found[p1])
        #expect(second.offset == 12)
        #expect(second.timestamp >= times[2].before - 0.01 && second.timestamp <= times[2].after + 0.01)
        // The same reader serves the next poll; an offset past the end gets no answer within the timeout.
        let again = reader.recordTimes(at: [p0: 0, p1: 15], timeoutMilliseconds: 1500)
        #expect(again[p0]?.offset == 0)
        #expect(again[p1] == nil)
    }

    /// A property librdkafka rejects is named, its value never: an unknown name, and a bad value, which
    /// librdkafka quotes in its own message (a secret put under the wrong key must stay secret).
    @Test(arguments: [("sasl.password.nonsense", "hunter2"), ("security.protocol", "hunter2-secret")])
    func aRejectedPropertyIsNamedWithoutItsValue(name: String, value: String) {
        #expect {
            _ = try KafkaClusterClient(
                bootstrapServers: ["127.0.0.1:1"], properties: [(name, value)], logger: TestLogger.quiet())
        } throws: { error in
            let text = "\(error)"
            return text.contains(name) && !text.contains("hunter2")
        }
    }
}
