public import LagwatchModel

/// Which groups a page or the JSON API lists, from the query string: `q` (a substring of the group's name,
/// any case), `cluster`, `status` (one status or several, comma-separated; UNKNOWN for a group whose offsets
/// could not be fetched), `topic` (a topic the group has offsets on), and `page` (1-based, ``pageSize``
/// groups each). `?status=STOP&q=orders&page=2`.
public struct GroupFilter: Sendable, Equatable {
    /// Groups per page of the status page.
    public static let pageSize = 100
    /// The parameters understood, in the order links write them.
    public static let parameters = ["q", "cluster", "status", "topic", "page"]

    /// Lower-cased substring the name must contain; nil for any name.
    public var text: String?
    public var cluster: String?
    /// Status names accepted (OK, STOP, …, UNKNOWN); nil for any.
    public var statuses: Set<String>?
    public var topic: String?
    /// The page asked for, from 1; nil when none was (the JSON API then lists every group).
    public var page: Int?

    /// No filter: every group.
    public init() {}

    /// A query string's arguments that are not a filter, or not a valid one.
    public struct Invalid: Error, CustomStringConvertible, Sendable {
        /// Names the parameter and what is wrong with it.
        public let description: String
    }

    /// Reads `arguments` (name, value); an unknown name, a repeated one, an unknown status or a page that is
    /// not a positive number is refused, naming it. Empty values mean "any".
    public init(query arguments: [(name: String, value: String)]) throws(Invalid) {
        var seen: Set<String> = []
        for (name, value) in arguments {
            guard Self.parameters.contains(name) else {
                throw Invalid(description: "unknown parameter '\(name)'; use \(Self.parameters.joined(separator: ", "))")
            }
            guard seen.insert(name).inserted else { throw Invalid(description: "parameter '\(name)' given twice") }
            guard !value.isEmpty else { continue }
            switch name {
            case "q": text = value.lowercased()
            case "cluster": cluster = value
            case "topic": topic = value
            case "status":
                let names = Set(value.split(separator: ",").map { $0.filter { $0 != " " }.uppercased() })
                let known = Set(ConsumerStatus.allCases.map(\.rawValue) + ["UNKNOWN"])
                if let wrong = names.subtracting(known).sorted().first {
                    throw Invalid(description: "status '\(wrong)' is not one of \(ConsumerStatus.allCases.map(\.rawValue).joined(separator: ", ")), UNKNOWN")
                }
                statuses = names
            default:
                guard let number = Int(value), number >= 1, number <= 1_000_000 else {
                    throw Invalid(description: "page '\(value)' is not a page number (1, 2, …)")
                }
                page = number
            }
        }
    }

    /// The status a filter and the pages name a group's by: its own, or UNKNOWN when its offsets could not be
    /// fetched.
    public static func statusName(_ status: ConsumerStatus?) -> String { status?.rawValue ?? "UNKNOWN" }

    /// Whether the group passes every part but the status.
    public func acceptsIgnoringStatus(_ group: GroupLag, cluster clusterName: String) -> Bool {
        if let cluster, cluster != clusterName { return false }
        if let text, !group.name.lowercased().contains(text) { return false }
        if let topic, !group.topics.contains(where: { $0.topic == topic }) { return false }
        return true
    }

    /// Whether the group passes every part.
    public func accepts(_ group: GroupLag, cluster clusterName: String) -> Bool {
        guard acceptsIgnoringStatus(group, cluster: clusterName) else { return false }
        return statuses.map { $0.contains(Self.statusName(group.status)) } ?? true
    }

    /// The query string (with its `?`, or empty) of this filter with `change` applied, for links.
    public func query(_ change: (inout GroupFilter) -> Void = { _ in }) -> String {
        var filter = self
        change(&filter)
        var parts: [String] = []
        if let text = filter.text { parts.append("q=" + percentEncoded(text)) }
        if let cluster = filter.cluster { parts.append("cluster=" + percentEncoded(cluster)) }
        if let statuses = filter.statuses {
            let order = ConsumerStatus.allCases.map(\.rawValue) + ["UNKNOWN"]
            parts.append("status=" + order.filter(statuses.contains).joined(separator: ","))
        }
        if let topic = filter.topic { parts.append("topic=" + percentEncoded(topic)) }
        if let page = filter.page, page > 1 { parts.append("page=\(page)") }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }
}

/// `text` with every byte but unreserved ones percent-encoded (RFC 3986), for a path segment or a query value.
func percentEncoded(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            out.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = Array("0123456789ABCDEF".utf8)
            out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
        }
    }
    return out
}
