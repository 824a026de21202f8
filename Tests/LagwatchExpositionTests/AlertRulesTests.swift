import Foundation
import LagwatchExposition
import LagwatchTestSupport
import Testing

/// The shipped Prometheus rules, checked with the real promtool (Debian's `prometheus` package) and linted
/// against lagwatch's own metric catalog.
@Suite struct AlertRulesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let rules = root.appendingPathComponent("alerts/lagwatch-rules.yml")
    static let tests = root.appendingPathComponent("alerts/tests/lagwatch-rules.test.yml")

    static func promtool() throws -> String {
        try #require(ProcessRunner.which("promtool"), "promtool is missing: apt-get install prometheus")
    }

    @Test func promtoolAcceptsTheRules() throws {
        let result = try ProcessRunner.run(try Self.promtool(), ["check", "rules", Self.rules.path])
        #expect(result.status == 0, "promtool: \(result.text) \(result.stderr)")
    }

    @Test func promtoolUnitTestsPass() throws {
        let result = try ProcessRunner.run(try Self.promtool(), ["test", "rules", Self.tests.path])
        #expect(result.status == 0, "promtool: \(result.text) \(result.stderr)")
    }

    @Test func everyAlertHasACaseThatFiresAndOneThatMustNot() throws {
        let rules = try String(contentsOf: Self.rules, encoding: .utf8)
        let alerts = rules.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.hasPrefix("- alert: ") ? String(trimmed.dropFirst("- alert: ".count)) : nil
        }
        #expect(alerts.count >= 14)
        let lines = try String(contentsOf: Self.tests, encoding: .utf8).split(separator: "\n").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        var fires = Set<String>(), staysQuiet = Set<String>()
        for (index, line) in lines.enumerated() where line.hasPrefix("alertname: ") && index + 1 < lines.count {
            let name = String(line.dropFirst("alertname: ".count))
            if lines[index + 1] == "exp_alerts: []" { staysQuiet.insert(name) } else { fires.insert(name) }
        }
        for alert in alerts {
            #expect(fires.contains(alert), "\(alert) has no case where it fires")
            #expect(staysQuiet.contains(alert), "\(alert) has no case where it must not fire")
        }
    }

    @Test func everyMetricTheRulesUseIsExportedOrRecorded() throws {
        let rules = try String(contentsOf: Self.rules, encoding: .utf8)
        let exported = Set(MetricCatalog.all.map(\.name))
        var recorded = Set<String>()
        var used = Set<String>()
        for line in rules.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("- record: ") { recorded.insert(String(trimmed.dropFirst("- record: ".count))) }
            if trimmed.hasPrefix("#") || trimmed.hasPrefix("summary:") || trimmed.hasPrefix("description:") { continue }
            for token in trimmed.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }) {
                if token.hasPrefix("kafka_") || token.hasPrefix("lagwatch_") || token.hasPrefix("lagwatch:") {
                    used.insert(String(token))
                }
            }
        }
        // Per-group thresholds are the user's own rules (see the file's header); everything else must exist.
        for name in used where !name.hasSuffix(":by_group") {
            #expect(exported.contains(name) || recorded.contains(name), "\(name) is neither exported nor recorded")
        }
        #expect(used.contains("kafka_consumergroup_status") && used.contains("lagwatch_snapshot_age_seconds"))
    }
}

/// A lint of the shipped Grafana dashboards.
@Suite struct DashboardLintTests {
    @Test func thereAreTheThreeDashboardsAndAProvisioningFile() throws {
        let files = try ShippedDashboard.all().map(\.file)
        #expect(files == ["lagwatch-consumer-group.json", "lagwatch-overview.json", "lagwatch-topic.json"])
        let provisioning = AlertRulesTests.root.appendingPathComponent("dashboards/provisioning/lagwatch.yml")
        #expect(try String(contentsOf: provisioning, encoding: .utf8).contains("type: file"))
    }

    @Test func panelsHaveUniqueIDsTitlesAndTheDatasourceVariable() throws {
        for dashboard in try ShippedDashboard.all() {
            #expect(dashboard.variables.first == "datasource", "\(dashboard.file): the datasource is a variable")
            #expect(dashboard.variables.contains("cluster"), "\(dashboard.file)")
            let ids = dashboard.panels.compactMap(\.id)
            #expect(ids.count == dashboard.panels.count && Set(ids).count == ids.count, "\(dashboard.file): panel ids")
            for panel in dashboard.panels {
                #expect(!panel.title.isEmpty, "\(dashboard.file): panel \(panel.id ?? -1) has no title")
                #expect(panel.datasource?["uid"] as? String == "${datasource}", "\(dashboard.file): \(panel.title)")
                #expect(!panel.expressions.isEmpty, "\(dashboard.file): \(panel.title) has no query")
                for target in panel.targets {
                    #expect((target["datasource"] as? [String: Any])?["uid"] as? String == "${datasource}")
                }
            }
        }
    }

    @Test func everyMetricAPanelQueriesIsOneLagwatchExports() throws {
        let exported = Set(MetricCatalog.all.map(\.name))
        var checked = 0
        for dashboard in try ShippedDashboard.all() {
            for panel in dashboard.panels {
                for expression in panel.expressions {
                    for token in expression.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") })
                    where token.hasPrefix("kafka_") || token.hasPrefix("lagwatch_") {
                        #expect(exported.contains(String(token)), "\(dashboard.file): \(panel.title) uses \(token)")
                        checked += 1
                    }
                }
            }
        }
        #expect(checked > 30)
    }

    @Test func everyTemplateVariableQueriesAnExportedMetric() throws {
        let exported = Set(MetricCatalog.all.map(\.name))
        for dashboard in try ShippedDashboard.all() {
            let variables = (dashboard.object["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
            for variable in variables where variable["type"] as? String == "query" {
                let query = (variable["query"] as? [String: Any])?["query"] as? String ?? ""
                // label_values(METRIC{…}, LABEL)
                let metric = query.dropFirst("label_values(".count).prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                #expect(query.hasPrefix("label_values(") && exported.contains(String(metric)), "\(dashboard.file): \(query)")
                #expect((variable["datasource"] as? [String: Any])?["uid"] as? String == "${datasource}")
            }
        }
    }
}
