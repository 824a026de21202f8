internal import CRdKafka
public import LagwatchModel
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A consumer group as `DescribeConsumerGroups` reports it.
public struct GroupDescription: Sendable, Hashable {
    /// The group id.
    public var name: String
    /// The group's state name.
    public var state: String
    /// Members of the group, with their assignments.
    public var members: [GroupMember]
    /// The number of members.
    public var memberCount: Int { members.count }
    /// Partitions assigned to members, over all members.
    public var assigned: [TopicPartition] { members.flatMap(\.assigned) }

    /// Creates a description.
    public init(name: String, state: String, members: [GroupMember]) {
        self.name = name
        self.state = state
        self.members = members
    }
}

/// What to fetch committed offsets for: a group and, optionally, the partitions to ask about.
public struct CommittedOffsetsRequest: Sendable, Hashable {
    /// The group id.
    public var group: String
    /// Partitions to ask about, or `nil` for "every partition the group committed to" (which a real broker
    /// answers, but librdkafka's mock answers with an empty list).
    public var partitions: [TopicPartition]?

    /// Creates a request.
    public init(group: String, partitions: [TopicPartition]?) {
        self.group = group
        self.partitions = partitions
    }
}

/// Admin API calls (list and describe groups, list committed offsets) over one result queue.
///
/// librdkafka 2.0.2 traps this class is built around (measured here, see shared notes):
/// - if an admin request *times out inside librdkafka* while the group coordinator is down, the process
///   aborts once the coordinator returns (librdkafka#4605). So requests are sent with a long request
///   timeout (``requestTimeoutMilliseconds``, 60 s) and the caller waits only briefly for results; a late
///   result is picked up by a later poll or thrown away, and a group with a request still outstanding is
///   not asked again until it is answered;
/// - `ListConsumerGroupOffsets` accepts one group per call, so many are kept in flight at once, up to a cap.
///
/// Not `Sendable`: the poller's thread is its only caller. The request bookkeeping is kept under a lock,
/// but the result queue is polled outside it, so two threads calling at once would steal each other's
/// answers.
public final class AdminClient {
    /// librdkafka's own timeout for each admin request.
    public static let requestTimeoutMilliseconds: Int32 = 60_000

    private let handle: KafkaHandle
    /// The result queue, destroyed in `deinit` while `handle` (which it belongs to) is still alive.
    private let queue: OpaquePointer
    private let state = Mutex(PendingState())

    private struct PendingState {
        var nextID: UInt = 1
        /// Outstanding committed-offset requests: request id → group.
        var offsetRequests: [UInt: String] = [:]
        /// Groups with an outstanding committed-offset request, and that request's id.
        var offsetRequestByGroup: [String: UInt] = [:]
        /// Other outstanding requests (list, describe) whose results nobody waits for any more.
        var abandoned: Set<UInt> = []
    }

    /// Creates an admin client on `handle`, which must be a consumer-type handle (see ``KafkaHandle/Role``).
    public init(handle: KafkaHandle) {
        self.handle = handle
        self.queue = rd_kafka_queue_new(handle.pointer)
    }

    deinit {
        rd_kafka_queue_destroy(queue)
    }

    /// Outstanding requests of every kind, including ones whose results will be thrown away.
    public var outstandingRequests: Int {
        state.withLock { $0.offsetRequests.count + $0.abandoned.count }
    }

    // MARK: - List and describe

    /// Lists consumer groups. Waits up to `waitMilliseconds`.
    public func listGroups(waitMilliseconds: Int) -> Result<[GroupListing], KafkaError> {
        let id = newID()
        withOptions(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, id: id) { options in
            rd_kafka_ListConsumerGroups(handle.pointer, options, queue)
        }
        var outcome: Result<[GroupListing], KafkaError> = .failure(
            KafkaError(.timeout, "list groups: no answer within \(waitMilliseconds) ms"))
        drain([id], waitMilliseconds: waitMilliseconds) { event in
            outcome = Self.parseListGroups(event)
        }
        return outcome
    }

    /// Describes groups, `batchSize` per request. Waits up to `waitMilliseconds` in all. Only call this where
    /// ``listGroups(waitMilliseconds:)`` has worked: against librdkafka's mock it aborts or deadlocks.
    public func describeGroups(
        _ names: [String],
        batchSize: Int = 50,
        waitMilliseconds: Int
    ) -> [String: Result<GroupDescription, KafkaError>] {
        var waiting = Set<UInt>()
        for start in stride(from: 0, to: names.count, by: max(1, batchSize)) {
            let batch = Array(names[start..<min(names.count, start + batchSize)])
            let id = newID()
            waiting.insert(id)
            withOptions(RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, id: id) { options in
                withCStrings(batch) { pointers in
                    rd_kafka_DescribeConsumerGroups(handle.pointer, pointers, batch.count, options, queue)
                }
            }
        }
        var results: [String: Result<GroupDescription, KafkaError>] = [:]
        drain(waiting, waitMilliseconds: waitMilliseconds) { event in
            results.merge(Self.parseDescribe(event)) { new, _ in new }
        }
        for name in names where results[name] == nil {
            results[name] = .failure(KafkaError(.timeout, "describe group: no answer within \(waitMilliseconds) ms"))
        }
        return results
    }

    // MARK: - Committed offsets

    /// Fetches committed offsets of many groups, keeping up to `maxInFlight` requests outstanding at once.
    /// Waits up to `waitMilliseconds` in all; groups not answered by then get a `.timeout` error, and their
    /// requests stay outstanding so that a later call can use the answer.
    ///
    /// - Returns: per group, the committed offset of each partition (`nil` where nothing is committed).
    public func committedOffsets(
        _ requests: [CommittedOffsetsRequest],
        maxInFlight: Int,
        waitMilliseconds: Int
    ) -> [String: Result<PartitionMap<Int64?>, KafkaError>] {
        let deadline = Deadline(milliseconds: waitMilliseconds)
        var toSend = requests[...]
        let wanted = Set(requests.map(\.group))
        var results: [String: Result<PartitionMap<Int64?>, KafkaError>] = [:]
        var waitingFor = wanted

        while !waitingFor.isEmpty, !deadline.hasPassed {
            // Fill the window. A group whose earlier request is still out is not asked again: its answer counts.
            while let next = toSend.first {
                let sent: Bool = state.withLock { state in
                    if state.offsetRequestByGroup[next.group] != nil { return true }
                    guard state.offsetRequests.count + state.abandoned.count < maxInFlight else { return false }
                    let id = state.nextID
                    state.nextID += 1
                    state.offsetRequests[id] = next.group
                    state.offsetRequestByGroup[next.group] = id
                    send(next, id: id)
                    return true
                }
                guard sent else { break }
                toSend.removeFirst()
            }
            guard let event = rd_kafka_queue_poll(queue, Int32(clamping: deadline.remainingMilliseconds)) else {
                continue
            }
            if let group = settle(event), wanted.contains(group) {
                results[group] = Self.parseCommittedOffsets(event, group: group)
                waitingFor.remove(group)
            }
            rd_kafka_event_destroy(event)
        }
        for group in waitingFor {
            let sent = state.withLock { $0.offsetRequestByGroup[group] != nil }
            results[group] = .failure(
                KafkaError(
                    .timeout,
                    sent
                        ? "committed offsets: no answer within \(waitMilliseconds) ms"
                        : "committed offsets: not sent, \(maxInFlight) requests already outstanding"))
        }
        return results
    }

    /// Sends one ListConsumerGroupOffsets request tagged with `id`. Called with the state lock held.
    private func send(_ request: CommittedOffsetsRequest, id: UInt) {
        let list = request.partitions.map { PartitionList($0) }
        let groupRequest = rd_kafka_ListConsumerGroupOffsets_new(request.group, list?.pointer)
        withOptions(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, id: id) { options in
            var requests: [OpaquePointer?] = [groupRequest]
            rd_kafka_ListConsumerGroupOffsets(handle.pointer, &requests, 1, options, queue)
        }
        // The request object is copied by rd_kafka_ListConsumerGroupOffsets, so it is freed here.
        rd_kafka_ListConsumerGroupOffsets_destroy(groupRequest)
    }

    // MARK: - Queue handling

    /// Marks the request an event answers as no longer outstanding.
    ///
    /// - Returns: the group, when the event answers a committed-offsets request.
    @discardableResult
    private func settle(_ event: OpaquePointer) -> String? {
        let id = UInt(bitPattern: rd_kafka_event_opaque(event))
        return state.withLock { state in
            state.abandoned.remove(id)
            guard let group = state.offsetRequests.removeValue(forKey: id) else { return nil }
            state.offsetRequestByGroup[group] = nil
            return group
        }
    }

    private func newID() -> UInt {
        state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
    }

    /// Creates admin options carrying `id` as the opaque and the long request timeout, runs `body`, frees them.
    private func withOptions(_ op: rd_kafka_admin_op_t, id: UInt, _ body: (OpaquePointer) -> Void) {
        let options = rd_kafka_AdminOptions_new(handle.pointer, op)!
        var errstr = [CChar](repeating: 0, count: 256)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, Self.requestTimeoutMilliseconds, &errstr, errstr.count)
        rd_kafka_AdminOptions_set_opaque(options, UnsafeMutableRawPointer(bitPattern: id))
        body(options)
        rd_kafka_AdminOptions_destroy(options)
    }

    /// Waits up to `waitMilliseconds` for every outstanding request to be answered, throwing the answers
    /// away: what a client about to be destroyed does, since destroying one with admin requests in flight is
    /// where librdkafka 2.0.2's admin bugs live.
    public func settleOutstanding(waitMilliseconds: Int) {
        let deadline = Deadline(milliseconds: waitMilliseconds)
        while outstandingRequests > 0, !deadline.hasPassed {
            guard let event = rd_kafka_queue_poll(queue, Int32(clamping: min(100, deadline.remainingMilliseconds))) else {
                continue
            }
            settle(event)
            rd_kafka_event_destroy(event)
        }
    }

    /// Polls the queue until every request in `ids` is answered or the wait ends, handing each answer to
    /// `body`. Answers to committed-offset requests that arrive meanwhile are dropped (their group is asked
    /// again next time); requests in `ids` still unanswered at the end are marked abandoned, so their late
    /// answers are thrown away.
    private func drain(_ ids: Set<UInt>, waitMilliseconds: Int, handle body: (OpaquePointer) -> Void) {
        let deadline = Deadline(milliseconds: waitMilliseconds)
        var waiting = ids
        while !waiting.isEmpty, !deadline.hasPassed {
            guard let event = rd_kafka_queue_poll(queue, Int32(clamping: deadline.remainingMilliseconds)) else {
                continue
            }
            settle(event)
            if waiting.remove(UInt(bitPattern: rd_kafka_event_opaque(event))) != nil { body(event) }
            rd_kafka_event_destroy(event)
        }
        let unanswered = waiting
        state.withLock { $0.abandoned.formUnion(unanswered) }
    }

    // MARK: - Result parsing

    private static func eventError(_ event: OpaquePointer, context: String) -> KafkaError? {
        let err = rd_kafka_event_error(event)
        guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        let text = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? ""
        return KafkaError(err, context: "\(context): \(text)")
    }

    private static func error(_ error: OpaquePointer, context: String) -> KafkaError {
        let code = rd_kafka_error_code(error)
        let text = rd_kafka_error_string(error).map { String(cString: $0) } ?? ""
        var result = KafkaError(code, context: context)
        if !text.isEmpty { result = KafkaError(result.code, rdKafkaCode: code.rawValue, "\(context): \(text)") }
        return result
    }

    private static func parseListGroups(_ event: OpaquePointer) -> Result<[GroupListing], KafkaError> {
        if let error = eventError(event, context: "list groups") { return .failure(error) }
        guard let result = rd_kafka_event_ListConsumerGroups_result(event) else {
            return .failure(KafkaError(.broker, "list groups: unexpected event"))
        }
        var validCount = 0
        var errorCount = 0
        let valid = rd_kafka_ListConsumerGroups_result_valid(result, &validCount)
        let errors = rd_kafka_ListConsumerGroups_result_errors(result, &errorCount)
        var groups: [GroupListing] = []
        for index in 0..<validCount {
            guard let listing = valid?[index] else { continue }
            let state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(listing))
            groups.append(
                GroupListing(
                    name: String(cString: rd_kafka_ConsumerGroupListing_group_id(listing)),
                    state: state.map { String(cString: $0) } ?? "Unknown"))
        }
        // One error per broker that could not list; with no group listed at all, that is the answer.
        if errorCount > 0, groups.isEmpty, let first = errors?[0] {
            return .failure(error(first, context: "list groups"))
        }
        return .success(groups)
    }

    private static func parseDescribe(_ event: OpaquePointer) -> [String: Result<GroupDescription, KafkaError>] {
        guard eventError(event, context: "describe groups") == nil,
            let result = rd_kafka_event_DescribeConsumerGroups_result(event)
        else { return [:] }
        var count = 0
        guard let groups = rd_kafka_DescribeConsumerGroups_result_groups(result, &count) else { return [:] }
        var out: [String: Result<GroupDescription, KafkaError>] = [:]
        for index in 0..<count {
            guard let group = groups[index] else { continue }
            let name = String(cString: rd_kafka_ConsumerGroupDescription_group_id(group))
            if let err = rd_kafka_ConsumerGroupDescription_error(group) {
                out[name] = .failure(error(err, context: "describe group \(name)"))
                continue
            }
            var members: [GroupMember] = []
            for m in 0..<rd_kafka_ConsumerGroupDescription_member_count(group) {
                guard let member = rd_kafka_ConsumerGroupDescription_member(group, m) else { continue }
                let assigned = rd_kafka_MemberDescription_assignment(member)
                    .flatMap { rd_kafka_MemberAssignment_partitions($0) }
                    .map { PartitionList.read($0).map(\.0) } ?? []
                func text(_ pointer: UnsafePointer<CChar>?) -> String { pointer.map { String(cString: $0) } ?? "" }
                members.append(
                    GroupMember(
                        memberID: text(rd_kafka_MemberDescription_consumer_id(member)),
                        clientID: text(rd_kafka_MemberDescription_client_id(member)),
                        host: text(rd_kafka_MemberDescription_host(member)), assigned: assigned))
            }
            let state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(group))
            out[name] = .success(
                GroupDescription(name: name, state: state.map { String(cString: $0) } ?? "Unknown", members: members))
        }
        return out
    }

    private static func parseCommittedOffsets(
        _ event: OpaquePointer,
        group: String
    ) -> Result<PartitionMap<Int64?>, KafkaError> {
        let context = "committed offsets of group '\(group)'"
        if let error = eventError(event, context: context) { return .failure(error) }
        guard let result = rd_kafka_event_ListConsumerGroupOffsets_result(event) else {
            return .failure(KafkaError(.broker, "\(context): unexpected event"))
        }
        var count = 0
        guard let groups = rd_kafka_ListConsumerGroupOffsets_result_groups(result, &count), count > 0,
            let first = groups[0]
        else { return .failure(KafkaError(.broker, "\(context): empty result")) }
        if let err = rd_kafka_group_result_error(first) {
            return .failure(error(err, context: context))
        }
        var offsets: PartitionMap<Int64?> = [:]
        if let partitions = rd_kafka_group_result_partitions(first) {
            for (key, offset, err) in PartitionList.read(partitions) {
                guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    return .failure(KafkaError(err, context: "\(context), \(key.topic)/\(key.partition)"))
                }
                offsets[key] = offset >= 0 ? offset : nil
            }
        }
        return .success(offsets)
    }
}

/// Passes an array of C strings to `body`; the pointers are valid only inside it.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicates = strings.map { strdup($0) }
    defer { duplicates.forEach { free($0) } }
    var pointers = duplicates.map { UnsafePointer($0) }
    return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}
