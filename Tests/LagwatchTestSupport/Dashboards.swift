import Foundation

/// The shipped Grafana dashboards, read from `dashboards/*.json` for the lint and the Prometheus tests.
public struct ShippedDashboard: @unchecked Sendable {
    /// One panel: what the lint checks and the queries the Prometheus test runs.
    public struct Panel: @unchecked Sendable {
        public var id: Int?
        public var title: String
        public var datasource: [String: Any]?
        public var targets: [[String: Any]]
        /// Each target's PromQL, as written (with Grafana variables).
        public var expressions: [String] { targets.compactMap { $0["expr"] as? String } }
    }

    public var file: String
    public var object: [String: Any]
    public var panels: [Panel]
    /// Names of the template variables.
    public var variables: [String] {
        ((object["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    /// Every dashboard in the repository's `dashboards/` folder, by file name.
    public static func all() throws -> [ShippedDashboard] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("dashboards")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        return try files.map { file in
            let data = try Data(contentsOf: folder.appendingPathComponent(file))
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw TestFailure("\(file) is not a JSON object")
            }
            let panels = (object["panels"] as? [[String: Any]] ?? []).map { panel in
                Panel(
                    id: panel["id"] as? Int, title: panel["title"] as? String ?? "",
                    datasource: panel["datasource"] as? [String: Any], targets: panel["targets"] as? [[String: Any]] ?? [])
            }
            return ShippedDashboard(file: file, object: object, panels: panels)
        }
    }

    /// `expression` with Grafana's variables replaced by the values given, and its built-in intervals by `interval`.
    public static func substitute(_ expression: String, _ values: [String: String], interval: String) -> String {
        var text = expression
        for (name, value) in values { text = text.replacingOccurrences(of: "$" + name, with: value) }
        for builtin in ["$__rate_interval", "$__interval", "$__range"] {
            text = text.replacingOccurrences(of: builtin, with: interval)
        }
        return text
    }
}
