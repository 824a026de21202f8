/// Every metric family lagwatch exports. The renderer writes HELP and TYPE from here, the README's table
/// and the tests read it, so a family's name, type and meaning are written once.
public enum MetricCatalog {
    static let cg = ["cluster_name", "consumergroup"]
    static let cgt = ["cluster_name", "consumergroup", "topic"]
    static let cgtp = ["cluster_name", "consumergroup", "topic", "partition"]
    static let tp = ["cluster_name", "topic", "partition"]

    // MARK: - kafka_exporter-compatible families (names and labels kept verbatim, plus cluster_name)

    /// Brokers in the cluster's metadata.
    public static let brokers = MetricFamily(
        "kafka_brokers", .gauge, labels: ["cluster_name"], help: "Number of brokers in the Kafka cluster.")
    /// One series per broker.
    public static let brokerInfo = MetricFamily(
        "kafka_broker_info", .gauge, labels: ["cluster_name", "id", "address"],
        help: "Information about a Kafka broker; the value is always 1.")
    /// Partitions per topic.
    public static let topicPartitions = MetricFamily(
        "kafka_topic_partitions", .gauge, labels: ["cluster_name", "topic"], help: "Number of partitions of a topic.")
    /// High watermark.
    public static let partitionCurrentOffset = MetricFamily(
        "kafka_topic_partition_current_offset", .gauge, labels: tp,
        help: "High watermark of a partition: the offset the next produced message will get, transactional or "
            + "not (read_uncommitted).")
    /// Low watermark.
    public static let partitionOldestOffset = MetricFamily(
        "kafka_topic_partition_oldest_offset", .gauge, labels: tp,
        help: "Low watermark of a partition: the oldest offset still in the log.")
    /// Last stable offset.
    public static let partitionLastStableOffset = MetricFamily(
        "kafka_topic_partition_last_stable_offset", .gauge, labels: tp,
        help: "Last stable offset of a partition: the first offset of its oldest open transaction, up to which "
            + "read_committed consumers can read; equal to the high watermark when no transaction is open.")
    /// Age of the oldest open transaction.
    public static let partitionOpenTransactionSeconds = MetricFamily(
        "kafka_topic_partition_open_transaction_seconds", .gauge, labels: tp,
        help: "How long the partition's last stable offset has stood below its high watermark without moving: "
            + "the age, at least, of its oldest open transaction. Only partitions with an open transaction.")
    /// Hanging transaction flag.
    public static let partitionHangingTransaction = MetricFamily(
        "kafka_topic_partition_hanging_transaction", .gauge, labels: tp,
        help: "1 when the partition's oldest open transaction has been open longer than transactions.hanging_after "
            + "(it blocks every read_committed consumer at the last stable offset until it is aborted), 0 while "
            + "it is younger. Only partitions with an open transaction.")
    /// Leader broker id.
    public static let partitionLeader = MetricFamily(
        "kafka_topic_partition_leader", .gauge, labels: tp,
        help: "Broker id of the partition's leader; -1 when the partition is offline.")
    /// Replica count.
    public static let partitionReplicas = MetricFamily(
        "kafka_topic_partition_replicas", .gauge, labels: tp, help: "Number of replicas of a partition.")
    /// ISR count.
    public static let partitionInSyncReplicas = MetricFamily(
        "kafka_topic_partition_in_sync_replica", .gauge, labels: tp, help: "Number of in-sync replicas of a partition.")
    /// Preferred leader flag.
    public static let partitionLeaderIsPreferred = MetricFamily(
        "kafka_topic_partition_leader_is_preferred", .gauge, labels: tp,
        help: "1 when the partition's leader is its preferred (first) replica, else 0.")
    /// Under-replicated flag.
    public static let partitionUnderReplicated = MetricFamily(
        "kafka_topic_partition_under_replicated_partition", .gauge, labels: tp,
        help: "1 when fewer replicas of the partition are in sync than exist, else 0.")
    /// Committed offset.
    public static let groupCurrentOffset = MetricFamily(
        "kafka_consumergroup_current_offset", .gauge, labels: cgtp,
        help: "Committed offset of a consumer group on a partition: the next offset it will read.")
    /// Sum of committed offsets. Typed untyped: promtool's lint rejects a gauge whose name ends in _sum.
    public static let groupCurrentOffsetSum = MetricFamily(
        "kafka_consumergroup_current_offset_sum", .untyped, labels: cgt,
        help: "Sum of a consumer group's committed offsets over the partitions of a topic.")
    /// Lag in messages.
    public static let groupLag = MetricFamily(
        "kafka_consumergroup_lag", .gauge, labels: cgtp,
        help: "Messages a consumer group has yet to read on a partition: high watermark minus committed offset, "
            + "at least 0.")
    /// Sum of lag. Typed untyped: promtool's lint rejects a gauge whose name ends in _sum.
    public static let groupLagSum = MetricFamily(
        "kafka_consumergroup_lag_sum", .untyped, labels: cgt,
        help: "Sum of a consumer group's lag over the partitions of a topic; absent when any partition's lag "
            + "is unknown in this poll.")
    // MARK: - Rates (lagwatch's additions in kafka_exporter's naming)

    /// Produce rate per partition.
    public static let partitionProduceRate = MetricFamily(
        "kafka_topic_partition_produce_rate_messages_per_second", .gauge, labels: tp,
        help: "Messages produced to a partition per second: growth of its high watermark averaged over the "
            + "rate window (lagwatch_rate_window_seconds).")
    /// Produce rate per topic.
    public static let topicProduceRate = MetricFamily(
        "kafka_topic_produce_rate_messages_per_second", .gauge, labels: ["cluster_name", "topic"],
        help: "Messages produced to a topic per second, averaged over the rate window; absent when any "
            + "partition has no rate in this poll.")
    /// Consume rate per group and partition.
    public static let groupConsumeRate = MetricFamily(
        "kafka_consumergroup_consume_rate_messages_per_second", .gauge, labels: cgtp,
        help: "Messages a consumer group consumed from a partition per second: growth of its committed offset "
            + "averaged over the rate window.")
    /// Consume rate per group and topic.
    public static let groupTopicConsumeRate = MetricFamily(
        "kafka_consumergroup_topic_consume_rate_messages_per_second", .gauge, labels: cgt,
        help: "Messages a consumer group consumed from a topic per second, averaged over the rate window; "
            + "absent when any of its partitions has no rate in this poll.")

    // MARK: - Lag in seconds

    /// Lag in seconds per partition.
    public static let groupLagSeconds = MetricFamily(
        "kafka_consumergroup_lag_seconds", .gauge, labels: cgtp + ["method"],
        help: "Age of the first message a consumer group has yet to read on a partition (0 when it has read "
            + "everything); method says how its production time was found: exact (the record's timestamp), or "
            + "interpolation or extrapolation in the partition's watermark history. Absent when unknown.")
    /// Largest lag in seconds per group and topic.
    public static let groupTopicMaxLagSeconds = MetricFamily(
        "kafka_consumergroup_topic_max_lag_seconds", .gauge, labels: cgt + ["method"],
        help: "Largest lag in seconds of a consumer group over a topic's partitions; absent when any lagging "
            + "partition's is unknown. method is the least trusted among the partitions'.")
    /// Largest lag in seconds per group.
    public static let groupMaxLagSeconds = MetricFamily(
        "kafka_consumergroup_max_lag_seconds", .gauge, labels: cg + ["method"],
        help: "Largest lag in seconds of a consumer group over all its partitions; absent when any lagging "
            + "partition's is unknown. method is the least trusted among the partitions'.")

    // MARK: - Status and catch-up

    /// Worst status per group, one series per status.
    public static let groupStatus = MetricFamily(
        "kafka_consumergroup_status", .gauge, labels: cg + ["status"],
        help: "1 for the consumer group's worst status over its partitions (OK, INACTIVE, NOTFOUND, WARN, REWIND, STALL, "
            + "STOP, ERR from best to worst; rules in the README), 0 for the other statuses.")
    /// Partitions per status per group.
    public static let groupStatusPartitions = MetricFamily(
        "kafka_consumergroup_status_partitions", .gauge, labels: cg + ["status"],
        help: "Number of the consumer group's partitions in each status.")
    /// Status per group partition (optional).
    public static let groupPartitionStatus = MetricFamily(
        "kafka_consumergroup_partition_status", .gauge, labels: cgtp + ["status"],
        help: "1 for the consumer group's status on the partition, 0 for the other statuses; exported only with "
            + "status.partition_series (seven series per partition).")
    /// Catch-up ETA per group.
    public static let groupCatchUp = MetricFamily(
        "kafka_consumergroup_catchup_eta_seconds", .gauge, labels: cg,
        help: "Seconds until the consumer group's lag reaches 0 at the pace it fell over its last three polls, "
            + "shown while it falls poll after poll; 0 when caught up (no lag, or lag at its steady level); absent "
            + "otherwise.")

    // MARK: - Group view (where the broker lets groups be described)

    /// Group state, one series per state.
    public static let groupState = MetricFamily(
        "kafka_consumergroup_state", .gauge, labels: cg + ["state"],
        help: "1 for the consumer group's state as the broker describes it (Stable, Empty, PreparingRebalance, "
            + "CompletingRebalance, Dead, Unknown), 0 for the others; absent where groups cannot be described.")
    /// Members without assignment.
    public static let groupMembersWithoutAssignment = MetricFamily(
        "kafka_consumergroup_members_without_assignment", .gauge, labels: cg,
        help: "Members of the consumer group with no partition assigned (more consumers than partitions, or a "
            + "rebalance in progress).")
    /// Assigned partitions per topic.
    public static let groupAssignedPartitions = MetricFamily(
        "kafka_consumergroup_assigned_partitions", .gauge, labels: cgt,
        help: "Partitions of a topic assigned to the consumer group's members.")
    /// Assigned partitions per member (optional).
    public static let groupMemberAssignedPartitions = MetricFamily(
        "kafka_consumergroup_member_assigned_partitions", .gauge, labels: cg + ["member_id", "client_id", "host"],
        help: "Partitions assigned to one member of the consumer group; exported only with groups.member_series "
            + "(one series per consumer instance).")

    /// Member count.
    public static let groupMembers = MetricFamily(
        "kafka_consumergroup_members", .gauge, labels: cg,
        help: "Number of members of a consumer group, where the broker lets groups be described.")

    // MARK: - lagwatch's own families

    /// Build information.
    public static let buildInfo = MetricFamily(
        "lagwatch_build_info", .gauge, labels: ["version", "revision", "librdkafka_version"],
        help: "lagwatch build information; the value is always 1.")
    /// Whether the last reload worked.
    public static let reloadSuccessful = MetricFamily(
        "lagwatch_config_last_reload_successful", .gauge, labels: [],
        help: "1 when the last configuration reload (SIGHUP) took effect or none was asked for, 0 when it was "
            + "refused and the previous configuration kept.")
    /// When the configuration in effect was loaded.
    public static let reloadTimestamp = MetricFamily(
        "lagwatch_config_last_reload_success_timestamp_seconds", .gauge, labels: [],
        help: "When the configuration in effect was loaded (at start or by the last successful reload), in "
            + "seconds since the epoch.")
    /// Reloads by result.
    public static let reloads = MetricFamily(
        "lagwatch_config_reloads_total", .counter, labels: ["result"],
        help: "Configuration reloads asked for with SIGHUP since lagwatch started, by result (success, failure).")
    /// Whether the cluster answered.
    public static let up = MetricFamily(
        "lagwatch_up", .gauge, labels: ["cluster_name"],
        help: "1 when the cluster answered the metadata request of the last poll, else 0.")
    /// Duration of the last poll.
    public static let pollDuration = MetricFamily(
        "lagwatch_poll_duration_seconds", .gauge, labels: ["cluster_name"],
        help: "Wall time of the last completed poll of the cluster.")
    /// Polls completed.
    public static let polls = MetricFamily(
        "lagwatch_polls_total", .counter, labels: ["cluster_name"],
        help: "Polls of the cluster completed since lagwatch started, successful or not.")
    /// Errors per stage.
    public static let pollErrors = MetricFamily(
        "lagwatch_poll_errors_total", .counter, labels: ["cluster_name", "stage"],
        help: "Polls of the cluster in which a stage failed, by stage, since lagwatch started.")
    /// Per-stage outcome of the last poll.
    public static let pollStageSuccess = MetricFamily(
        "lagwatch_poll_stage_success", .gauge, labels: ["cluster_name", "stage"],
        help: "1 when the stage succeeded in the last poll of the cluster; 0 when it failed, or did not run although "
            + "due (the stages after a failed metadata request). No series for a stage that was not due: group "
            + "discovery turned off, or no record to read for the exact lag method.")
    /// Per-stage wall time of the last poll.
    public static let pollStageDuration = MetricFamily(
        "lagwatch_poll_stage_duration_seconds", .gauge, labels: ["cluster_name", "stage"],
        help: "Wall time of each stage of the last poll of the cluster; absent for a stage that did not run.")
    /// Time of the last poll.
    public static let lastPoll = MetricFamily(
        "lagwatch_last_poll_timestamp_seconds", .gauge, labels: ["cluster_name"],
        help: "When the last poll of the cluster completed, successful or not, in seconds since the epoch.")
    /// Time of the last fully successful poll.
    public static let lastPollSuccess = MetricFamily(
        "lagwatch_last_poll_success_timestamp_seconds", .gauge, labels: ["cluster_name"],
        help: "When the last poll of the cluster in which every stage succeeded completed, in seconds since the "
            + "epoch.")
    /// Age of the snapshot served, computed at scrape time.
    public static let snapshotAge = MetricFamily(
        "lagwatch_snapshot_age_seconds", .gauge, labels: ["cluster_name"],
        help: "Age of the cluster's snapshot served by this scrape; all other Kafka series are cached from that "
            + "poll, not read at scrape time.")
    /// Whether listing groups works.
    public static let groupDiscoverySupported = MetricFamily(
        "lagwatch_group_discovery_supported", .gauge, labels: ["cluster_name"],
        help: "1 when the cluster let lagwatch list consumer groups in the last poll, 0 when it refused "
            + "(unsupported or not authorised); absent when discovery is off or failed for another reason.")
    /// Controller id.
    public static let controller = MetricFamily(
        "lagwatch_cluster_controller_id", .gauge, labels: ["cluster_name"],
        help: "Broker id of the cluster's controller.")
    /// The rate window.
    public static let rateWindow = MetricFamily(
        "lagwatch_rate_window_seconds", .gauge, labels: ["cluster_name"],
        help: "The window the produce and consume rate gauges are averaged over (the rates' actual span is "
            + "within one poll interval or an eighth of the window of it).")
    /// The status window.
    public static let statusWindow = MetricFamily(
        "lagwatch_status_window_polls", .gauge, labels: ["cluster_name"],
        help: "Polls the consumer status rules look back over.")
    /// Points in the watermark timelines.
    public static let timelinePoints = MetricFamily(
        "lagwatch_watermark_timeline_points", .gauge, labels: ["cluster_name"],
        help: "(time, high watermark) points held for the cluster's partitions to estimate lag in seconds, "
            + "8 bytes each (16 after a jump too large to pack); at most time_lag.history_points per partition.")
    /// Partitions without watermarks.
    public static let partitionsWithoutWatermarks = MetricFamily(
        "lagwatch_partitions_without_watermarks", .gauge, labels: ["cluster_name"],
        help: "Partitions of watched topics whose watermarks could not be fetched in the last poll; their "
            + "offset and lag series are left out.")
    /// Groups with no committed offset at all.
    public static let groupsNotFound = MetricFamily(
        "lagwatch_consumergroups_not_found", .gauge, labels: ["cluster_name"],
        help: "Consumer groups watched that have no committed offset on any partition (status NOTFOUND): a "
            + "configured name that is mistyped, or a group that never committed.")
    /// Offsets fetch result per group.
    public static let groupFetchSuccess = MetricFamily(
        "lagwatch_consumergroup_offsets_fetch_success", .gauge, labels: cg,
        help: "1 when the group's committed offsets were fetched in the last poll, else 0 (its series are then "
            + "left out).")
    /// Partitions without commits.
    public static let groupPartitionsWithoutCommit = MetricFamily(
        "lagwatch_consumergroup_partitions_without_commit", .gauge, labels: cg,
        help: "Partitions the group was asked about that have no committed offset; they get no offset or lag "
            + "series.")
    /// Partitions whose lag in seconds is unknown.
    public static let groupPartitionsWithoutLagSeconds = MetricFamily(
        "lagwatch_consumergroup_partitions_without_lag_seconds", .gauge, labels: cg,
        help: "Lagging partitions of the group whose lag in seconds is unknown: their first unread message is "
            + "older than lagwatch's watermark history of the partition reaches (just after a start, for "
            + "example). Their lag in messages is still exported.")
    /// Partitions below log start.
    public static let groupPartitionsBehindLogStart = MetricFamily(
        "lagwatch_consumergroup_partitions_behind_log_start", .gauge, labels: cg,
        help: "Partitions on which the group's committed offset is below the log start: messages deleted by "
            + "retention before the group read them.")
    /// Partitions past the log end.
    public static let groupPartitionsPastLogEnd = MetricFamily(
        "lagwatch_consumergroup_partitions_past_log_end", .gauge, labels: cg,
        help: "Partitions on which the group's committed offset is past the high watermark: the topic was "
            + "recreated or its log truncated under the group. Their lag reads 0, but they are ERR.")

    /// Every family, in the order they are rendered. The last one is rendered at scrape time.
    public static let all: [MetricFamily] = [
        brokers, brokerInfo, topicPartitions, partitionCurrentOffset, partitionOldestOffset, partitionLastStableOffset,
        partitionLeader, partitionReplicas, partitionInSyncReplicas, partitionLeaderIsPreferred, partitionUnderReplicated,
        partitionOpenTransactionSeconds, partitionHangingTransaction,
        groupCurrentOffset, groupCurrentOffsetSum, groupLag, groupLagSum, groupLagSeconds, groupTopicMaxLagSeconds,
        groupMaxLagSeconds, groupStatus, groupStatusPartitions, groupPartitionStatus, groupCatchUp, groupState, groupMembersWithoutAssignment, groupAssignedPartitions,
        groupMemberAssignedPartitions, groupMembers,
        partitionProduceRate, topicProduceRate, groupConsumeRate, groupTopicConsumeRate,
        buildInfo, reloadSuccessful, reloadTimestamp, reloads, up, pollDuration, polls, pollErrors, pollStageSuccess, pollStageDuration, lastPoll, lastPollSuccess,
        groupDiscoverySupported, controller, rateWindow, timelinePoints, statusWindow, partitionsWithoutWatermarks, groupsNotFound,
        groupFetchSuccess, groupPartitionsWithoutCommit, groupPartitionsWithoutLagSeconds, groupPartitionsBehindLogStart,
        groupPartitionsPastLogEnd, snapshotAge,
    ]
}
