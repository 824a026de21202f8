import Foundation
import LagwatchExposition
import LagwatchModel
import LagwatchTestSupport
import Testing

/// The dashboards read as a Grafana user would (Grafana cannot run here): what each panel shows must be
/// readable whatever the variables select. Each rule is one the trial found broken: colours mapped from
/// status names while the value is always 1; hundreds of tiles or lines labelled only `{{status}}` or
/// `{{topic}}` with "All" selected; top-10 bars that lead nowhere; members and seconds on one axis.
@Suite struct DashboardReadingTests {
    /// Labels of a panel query's series, as far as its outer shape tells (an outer aggregation's `by`, none
    /// for an aggregation without one, else the first metric's own labels).
    static func resultLabels(_ expression: String) -> Set<String> {
        let labelsOf = Dictionary(uniqueKeysWithValues: MetricCatalog.all.map { ($0.name, Set($0.labels + ["cluster_name"])) })
        var text = Substring(expression.trimmingCharacters(in: .whitespaces))
        for wrapper in ["topk(", "bottomk("] where text.hasPrefix(wrapper) {
            text = text.drop { $0 != "," }.dropFirst().drop { $0 == " " }
        }
        let aggregations = ["sum", "count", "max", "min", "avg"]
        for name in aggregations {
            if text.hasPrefix(name + " by (") {
                let list = text.dropFirst(name.count + 5).prefix { $0 != ")" }
                return Set(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            }
            if text.hasPrefix(name + "(") { return [] }
        }
        let metric = String(text.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" })
        return labelsOf[metric] ?? []
    }

    /// Labels a query pins to one value: `label="value"`, or `label=~"$var"` for a single-value variable.
    static func pinned(_ expression: String, singleVariables: Set<String>) -> Set<String> {
        var result: Set<String> = []
        let scanner = expression
        for match in scanner.matches(of: /([a-z_]+)=(~?)"([^"]*)"/) {
            let (label, regex, value) = (String(match.1), match.2 == "~", String(match.3))
            if !regex || (value.hasPrefix("$") && singleVariables.contains(String(value.dropFirst()))) { result.insert(label) }
        }
        return result
    }

    private func panels() throws -> [(dashboard: ShippedDashboard, panel: [String: Any], singles: Set<String>)] {
        try ShippedDashboard.all().flatMap { dashboard in
            let variables = (dashboard.object["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
            let singles = Set(variables.filter { ($0["multi"] as? Bool) == false }.compactMap { $0["name"] as? String })
            return (dashboard.object["panels"] as? [[String: Any]] ?? []).map { (dashboard, $0, singles) }
        }
    }

    @Test func valueMappingsAreKeyedByValuesAQueryReturns() throws {
        for (dashboard, panel, _) in try panels() {
            let defaults = (panel["fieldConfig"] as? [String: Any])?["defaults"] as? [String: Any] ?? [:]
            for mapping in defaults["mappings"] as? [[String: Any]] ?? [] where mapping["type"] as? String == "value" {
                let keys = (mapping["options"] as? [String: Any] ?? [:]).keys
                for key in keys {
                    #expect(Double(key) != nil, "\(dashboard.file): \(panel["title"] ?? ""): maps '\(key)', but a query returns numbers")
                }
            }
        }
    }

    @Test func everyLegendNamesEveryLabelThatCanVary() throws {
        for (dashboard, panel, singles) in try panels() where panel["type"] as? String != "table" {
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                let expression = target["expr"] as? String ?? ""
                let legend = target["legendFormat"] as? String ?? ""
                let varying = Self.resultLabels(expression).subtracting(Self.pinned(expression, singleVariables: singles))
                for label in varying.sorted() {
                    #expect(legend.contains("{{\(label)}}"), "\(dashboard.file): \(panel["title"] ?? ""): legend '\(legend)' lacks \(label) of \(expression)")
                }
            }
        }
    }

    @Test func onePanelOneUnit() throws {
        func unit(_ expression: String) -> String {
            let metric = expression.firstMatch(of: /(kafka|lagwatch)[a-z_:]*/).map { String($0.0) } ?? ""
            return metric.hasSuffix("_seconds") ? "seconds" : metric.hasSuffix("_per_second") ? "rate" : "count"
        }
        for (dashboard, panel, _) in try panels() {
            let expressions = (panel["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String }
            let overrides = (panel["fieldConfig"] as? [String: Any])?["overrides"] as? [Any] ?? []
            guard overrides.isEmpty, panel["type"] as? String != "table" else { continue }
            #expect(Set(expressions.map(unit)).count <= 1, "\(dashboard.file): \(panel["title"] ?? ""): several units on one axis")
        }
    }

    @Test func listsOfGroupsAndTopicsLinkToTheirDashboards() throws {
        for (dashboard, panel, singles) in try panels() {
            let varying = (panel["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String }
                .reduce(into: Set<String>()) { $0.formUnion(Self.resultLabels($1).subtracting(Self.pinned($1, singleVariables: singles))) }
            let links = ((panel["fieldConfig"] as? [String: Any])?["defaults"] as? [String: Any])?["links"] as? [[String: Any]] ?? []
            let urls = links.compactMap { $0["url"] as? String }
            if varying.contains("consumergroup"), dashboard.file != "lagwatch-consumer-group.json" {
                #expect(urls.contains { $0.contains("/d/lagwatch-consumer-group/") && $0.contains("var-consumergroup=${__field.labels.consumergroup}") },
                        "\(dashboard.file): \(panel["title"] ?? ""): groups listed without a link to their dashboard")
            }
            if varying.contains("topic"), dashboard.file != "lagwatch-topic.json" {
                #expect(urls.contains { $0.contains("/d/lagwatch-topic/") && $0.contains("var-topic=${__field.labels.topic}") },
                        "\(dashboard.file): \(panel["title"] ?? ""): topics listed without a link to their dashboard")
            }
        }
    }

    @Test func theLabelReaderReadsTheShapesTheDashboardsUse() {
        #expect(Self.resultLabels("topk(10, max by (cluster_name, consumergroup) (x{a=\"b\"}))") == ["cluster_name", "consumergroup"])
        #expect(Self.resultLabels("count(kafka_consumergroup_status{s=\"x\"} == 1) or vector(0)") == [])
        #expect(Self.resultLabels("kafka_consumergroup_lag_sum{cluster_name=~\"$cluster\"}") == ["cluster_name", "consumergroup", "topic"])
        #expect(Self.pinned("m{cluster_name=~\"$cluster\",status=\"STOP\",topic=~\"$topic\"}", singleVariables: ["cluster"]) == ["cluster_name", "status"])
    }
}
