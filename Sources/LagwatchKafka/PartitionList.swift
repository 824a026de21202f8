package import CRdKafka
package import LagwatchModel

/// Owns one `rd_kafka_topic_partition_list_t`: created in `init`, destroyed in `deinit`.
///
/// Single owner: it is created, filled, handed to one blocking C call and read, all on one thread.
/// `package`: the workload module's clients pass lists to librdkafka too; no C type leaves the package.
package final class PartitionList {
    /// The C list; valid for the lifetime of `self`. Never escape it past a C call made while `self` lives.
    package let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    /// A list of `partitions`, each at `offset`.
    package init(_ partitions: some Collection<TopicPartition>, offset: Int64 = RD_KAFKA_OFFSET_INVALID_VALUE) {
        pointer = rd_kafka_topic_partition_list_new(Int32(clamping: partitions.count))
        for key in partitions {
            let element = rd_kafka_topic_partition_list_add(pointer, key.topic, key.partition)
            element?.pointee.offset = offset
        }
    }

    /// A list of the partitions in `offsets`, each at its offset.
    package init(offsets: [TopicPartition: Int64]) {
        pointer = rd_kafka_topic_partition_list_new(Int32(clamping: offsets.count))
        for (key, offset) in offsets {
            let element = rd_kafka_topic_partition_list_add(pointer, key.topic, key.partition)
            element?.pointee.offset = offset
        }
    }

    deinit {
        rd_kafka_topic_partition_list_destroy(pointer)
    }

    /// Reads a list owned by librdkafka (for example inside a result event) without taking ownership.
    package static func read(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [(TopicPartition, Int64, rd_kafka_resp_err_t)] {
        let count = Int(list.pointee.cnt)
        guard count > 0, let elements = list.pointee.elems else { return [] }
        return (0..<count).map { index in
            let element = elements[index]
            return (TopicPartition(String(cString: element.topic), element.partition), element.offset, element.err)
        }
    }

    /// The elements as Swift values.
    package func elements() -> [(TopicPartition, Int64, rd_kafka_resp_err_t)] {
        Self.read(UnsafePointer(pointer))
    }
}

/// `RD_KAFKA_OFFSET_INVALID` (-1001): "no offset", what a partition without a commit reports.
package let RD_KAFKA_OFFSET_INVALID_VALUE: Int64 = -1001
