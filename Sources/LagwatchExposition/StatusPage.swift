public import LagwatchModel

/// The server-rendered status pages: an overview of every group, worst first, and a page per group. One
/// self-contained document each (inline CSS and SVG, no script, no external asset), written as well-formed
/// XML so that tests can parse it.
public enum StatusPage {
    /// Where a group's page lives; the name is percent-encoded after it.
    public static let groupPathPrefix = "/groups/"

    /// Links and settings the pages need besides the snapshots.
    public struct Context: Sendable {
        /// The configured clusters, in order, so one not polled yet still shows.
        public var clusterNames: [String]
        /// The metrics path, linked from the footer.
        public var telemetryPath: String
        /// How often the page reloads itself, in seconds (the poll interval).
        public var refreshSeconds: Int
        /// The time of the request, in seconds since the epoch.
        public var now: Double

        /// Creates a context.
        public init(clusterNames: [String], telemetryPath: String, refreshSeconds: Int, now: Double) {
            self.clusterNames = clusterNames
            self.telemetryPath = telemetryPath
            self.refreshSeconds = refreshSeconds
            self.now = now
        }
    }

    // MARK: - Pages

    /// The overview: clusters, then the groups `filter` accepts, worst first, a page at a time, with the
    /// count of each status among the groups the rest of the filter accepts (each a link that filters by
    /// it). A cluster that does not answer now is shown with its groups as they were in `lastGood`, its last
    /// poll that reached it, marked stale.
    public static func overview(
        _ snapshots: [ClusterSnapshot],
        lastGood: [String: ClusterSnapshot] = [:],
        filter: GroupFilter = GroupFilter(),
        context: Context
    ) -> String {
        let shown = ShownClusters(current: snapshots, lastGood: lastGood)
        var body = "<h1>lagwatch</h1>\n<section class=\"clusters\">\n"
        for name in context.clusterNames {
            body += clusterCard(
                name: name, snapshot: shown.latest[name], lastGood: shown.stale.contains(name) ? lastGood[name] : nil,
                now: context.now)
        }
        body += "</section>\n"
        var total = 0
        var counts: [String: Int] = [:]
        var rows: [Row] = []
        let snapshots = shown.snapshots
        for (clusterIndex, snapshot) in snapshots.enumerated() {
            let stale = shown.stale.contains(snapshot.clusterName)
            total += snapshot.groups.count
            for (groupIndex, group) in snapshot.groups.enumerated()
            where filter.acceptsIgnoringStatus(group, cluster: snapshot.clusterName) {
                let status = group.status
                let name = GroupFilter.statusName(status)
                counts[name, default: 0] += 1
                if filter.statuses?.contains(name) ?? true {
                    rows.append(Row(cluster: clusterIndex, group: groupIndex, in: snapshot, stale: stale, status: status))
                }
            }
        }
        rows.sort(by: Row.worstFirst)
        let pages = max(1, (rows.count + GroupFilter.pageSize - 1) / GroupFilter.pageSize)
        let page = filter.page ?? 1
        let first = min(rows.count, (page - 1) * GroupFilter.pageSize)
        let shownRows = rows[first..<min(rows.count, first + GroupFilter.pageSize)]
        body += "<h2>Consumer groups <span class=\"muted\">(\(count(Int64(rows.count))) "
            + (rows.count == total ? "" : "of \(count(Int64(total))) ") + "shown, worst first)</span></h2>\n"
        body += filterForm(filter, clusters: context.clusterNames)
        body += statusCounts(counts, filter: filter)
        if shownRows.isEmpty {
            body += "<p class=\"muted\">" + (total == 0 ? "No consumer group yet." : "No consumer group on this page matches.") + "</p>\n"
        } else {
            body += """
                <table class="groups"><thead><tr><th>Status</th><th>Group</th><th>Cluster</th>\
                <th class="num">Lag</th><th class="num">Lag time</th><th class="num">Catch-up</th>\
                <th class="num">Consumed</th><th>Trend</th><th class="num">Members</th></tr></thead><tbody>

                """
            for row in shownRows {
                body += groupRow(snapshots[row.cluster], snapshots[row.cluster].groups[row.group], stale: row.stale)
            }
            body += "</tbody></table>\n"
        }
        if pages > 1 || page > 1 { body += pageLinks(filter, page: page, pages: pages, first: first, shown: shownRows.count, of: rows.count) }
        return document(title: "lagwatch", body: body, context: context)
    }

    /// The filter's form: a GET to `/` with the same parameters.
    private static func filterForm(_ filter: GroupFilter, clusters: [String]) -> String {
        var html = "<form class=\"filter\" method=\"get\" action=\"/\">"
        html += "<input type=\"search\" name=\"q\" placeholder=\"group name contains\" value=\"\(escape(filter.text ?? ""))\"/>"
        html += "<select name=\"cluster\"><option value=\"\">all clusters</option>"
        for name in clusters {
            html += "<option\(filter.cluster == name ? " selected=\"selected\"" : "")>\(escape(name))</option>"
        }
        html += "</select><select name=\"status\"><option value=\"\">any status</option>"
        for status in ConsumerStatus.allCases.reversed().map(\.rawValue) + ["UNKNOWN"] {
            html += "<option\(filter.statuses == [status] ? " selected=\"selected\"" : "")>\(status)</option>"
        }
        html += "</select><input type=\"text\" name=\"topic\" placeholder=\"topic\" value=\"\(escape(filter.topic ?? ""))\"/>"
        html += "<button type=\"submit\">Filter</button> <a href=\"/\">clear</a></form>\n"
        return html
    }

    /// One link per status present, worst first, with its count: each shows only that status.
    private static func statusCounts(_ counts: [String: Int], filter: GroupFilter) -> String {
        guard !counts.isEmpty else { return "" }
        let order = ["UNKNOWN"] + ConsumerStatus.allCases.reversed().map(\.rawValue)
        var html = "<p class=\"counts\">"
        for status in order {
            guard let number = counts[status] else { continue }
            let link = "/" + filter.query { $0.statuses = [status]; $0.page = nil }
            html += "<a class=\"badge \(status)\" href=\"\(escape(link))\">\(status) \(count(Int64(number)))</a> "
        }
        let all = "/" + filter.query { $0.statuses = nil; $0.page = nil }
        html += "<a href=\"\(escape(all))\">all \(count(Int64(counts.values.reduce(0, +))))</a></p>\n"
        return html
    }

    /// "Groups 101–200 of 10,000 · page 2 of 100", with links to the pages before and after.
    private static func pageLinks(_ filter: GroupFilter, page: Int, pages: Int, first: Int, shown: Int, of total: Int) -> String {
        var html = "<p class=\"pages\">"
        if page > 1 {
            html += "<a href=\"\(escape("/" + filter.query { $0.page = min(page - 1, pages) }))\">← previous</a> · "
        }
        html += shown > 0 ? "groups \(count(Int64(first + 1)))–\(count(Int64(first + shown))) of \(count(Int64(total))) · " : ""
        html += "page \(page) of \(pages)"
        if page < pages { html += " · <a href=\"\(escape("/" + filter.query { $0.page = page + 1 }))\">next →</a>" }
        return html + "</p>\n"
    }

    /// A group's page, or `nil` when no cluster has the group (a cluster down now counts with `lastGood`).
    public static func group(
        _ name: String,
        in snapshots: [ClusterSnapshot],
        lastGood: [String: ClusterSnapshot] = [:],
        context: Context
    ) -> String? {
        let shown = ShownClusters(current: snapshots, lastGood: lastGood)
        let found = shown.snapshots.compactMap { snapshot in snapshot.groups.first { $0.name == name }.map { (snapshot, $0) } }
        guard !found.isEmpty else { return nil }
        var body = "<p><a href=\"/\">← all groups</a></p>\n<h1>\(escape(name))</h1>\n"
        for (snapshot, group) in found {
            if shown.stale.contains(snapshot.clusterName) { body += staleNotice(snapshot, now: context.now) }
            body += groupSection(group, in: snapshot, now: context.now)
        }
        return document(title: "\(name) · lagwatch", body: body, context: context)
    }

    /// A page saying `message`, for 404 answers.
    public static func notFound(_ message: String, context: Context) -> String {
        document(title: "not found · lagwatch", body: "<p><a href=\"/\">← all groups</a></p>\n<h1>Not found</h1>\n<p>\(escape(message))</p>\n", context: context)
    }

    // MARK: - Pieces

    /// Says that `snapshot`'s cluster does not answer, and since when its figures are.
    private static func staleNotice(_ snapshot: ClusterSnapshot, now: Double) -> String {
        "<p class=\"warn\">Cluster \(escape(snapshot.clusterName)) does not answer: shown as last seen, "
            + "\(clockTime(snapshot.completedAt)) UTC (\(duration(max(0, now - snapshot.completedAt))) ago).</p>\n"
    }

    /// `HH:MM:SS` of a time in seconds since the epoch, UTC.
    static func clockTime(_ time: Double) -> String {
        let seconds = Int(time.rounded(.down)) % 86_400
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
    }

    private static func clusterCard(name: String, snapshot: ClusterSnapshot?, lastGood: ClusterSnapshot?, now: Double) -> String {
        guard let snapshot else {
            return "<div class=\"card\"><h3>\(escape(name))</h3><p class=\"muted\">not polled yet</p></div>\n"
        }
        let state = snapshot.up ? "<span class=\"badge OK\">up</span>" : "<span class=\"badge STOP\">down</span>"
        let failed = snapshot.stageErrors.keys.map(\.rawValue).sorted()
        var card = "<div class=\"card\"><h3>\(escape(name)) \(state)</h3><p>"
        card += "\(snapshot.brokers.count) brokers · \(snapshot.topics.count) topics · \(snapshot.groups.count) groups"
        card += "<br/>polled \(duration(max(0, now - snapshot.completedAt))) ago in \(duration(snapshot.pollDurationSeconds))"
        if !failed.isEmpty { card += "<br/><span class=\"warn\">failing: \(escape(failed.joined(separator: ", ")))</span>" }
        if let lastGood {
            card += "<br/><span class=\"warn\">unreachable; last seen \(clockTime(lastGood.completedAt)) UTC, "
            card += "\(duration(max(0, now - lastGood.completedAt))) ago: its groups are shown as they were then</span>"
        }
        let hanging = snapshot.topics.flatMap { topic in
            topic.partitions.filter { $0.openTransaction?.hanging == true }.map { "\(topic.name)/\($0.metadata.partition)" }
        }
        if !hanging.isEmpty {
            card += "<br/><span class=\"warn\">hanging transaction on \(escape(hanging.prefix(5).joined(separator: ", ")))"
            card += hanging.count > 5 ? " and \(hanging.count - 5) more" : ""
            card += ": read_committed consumers are blocked</span>"
        }
        return card + "</p></div>\n"
    }

    private static func groupRow(_ snapshot: ClusterSnapshot, _ group: GroupLag, stale: Bool) -> String {
        let summary = GroupSummary(group, in: snapshot, stale: stale)
        var row = "<tr><td>\(badge(group.status))</td>"
        row += "<td><a href=\"\(groupPath(group.name))\">\(escape(group.name))</a></td>"
        row += "<td>\(escape(snapshot.clusterName))\(stale ? " <span class=\"warn\">stale</span>" : "")</td>"
        row += "<td class=\"num\">\(summary.lag.map(count) ?? "–")</td>"
        row += "<td class=\"num\">\(group.maxLagTime.map { duration($0.seconds) } ?? "–")</td>"
        row += "<td class=\"num\">\(catchUp(group.catchUpSeconds, unknown: "–"))</td>"
        row += "<td class=\"num\">\(summary.consumeRate.map(rate) ?? "–")</td>"
        row += "<td>\(sparkline(group.lagTrend, width: 120, height: 22))</td>"
        row += "<td class=\"num\">\(group.memberCount.map(String.init) ?? "–")</td></tr>\n"
        return row
    }

    private static func groupSection(_ group: GroupLag, in snapshot: ClusterSnapshot, now: Double) -> String {
        let detail = GroupDetail(group, in: snapshot)
        let summary = detail.summary
        var html = "<section class=\"group\"><h2>\(badge(group.status)) in cluster \(escape(snapshot.clusterName))</h2>\n"
        html += "<dl>"
        html += "<dt>State</dt><dd>\(escape(group.state ?? "not described"))</dd>"
        html += "<dt>Members</dt><dd>\(group.memberCount.map(String.init) ?? "–")</dd>"
        html += "<dt>Lag</dt><dd>\(summary.lag.map { count($0) + " messages" } ?? "–")</dd>"
        html += "<dt>Largest lag time</dt><dd>\(group.maxLagTime.map { "\(duration($0.seconds)) (\($0.method.rawValue))" } ?? "–")</dd>"
        html += "<dt>Catch-up</dt><dd>\(catchUp(group.catchUpSeconds, unknown: "not catching up (or too few polls to tell)"))</dd>"
        html += "<dt>Consumed</dt><dd>\(summary.consumeRate.map(rate) ?? "–")</dd>"
        html += "<dt>Polled</dt><dd>\(duration(max(0, now - snapshot.completedAt))) ago</dd>"
        html += "</dl>\n"
        if let error = group.fetchError { html += "<p class=\"warn\">Offsets not fetched in the last poll: \(escape(error))</p>\n" }
        // The label above its chart, each on a line of its own.
        html += "<figure class=\"trend\"><figcaption>Total lag, last \(group.lagTrend.count) polls</figcaption>"
            + "\(sparkline(group.lagTrend, width: 360, height: 48))</figure>\n"
        html += """
            <table><thead><tr><th>Topic</th><th class="num">Partition</th><th>Status</th><th class="num">Committed</th>\
            <th class="num">High watermark</th><th class="num">Lag</th><th class="num">Lag time</th>\
            <th class="num">Consumed</th><th class="num">Produced</th></tr></thead><tbody>

            """
        for topic in detail.topics {
            for partition in topic.partitions {
                html += "<tr><td>\(escape(topic.topic))</td><td class=\"num\">\(partition.partition)</td>"
                html += "<td>\(badge(partition.status.flatMap(ConsumerStatus.init(rawValue:)), unknown: "–"))</td>"
                html += "<td class=\"num\">\(count(partition.committed))"
                html += partition.pastLogEnd ? " <span class=\"warn\">past the log end</span></td>" : "</td>"
                html += "<td class=\"num\">\(partition.highWatermark.map(count) ?? "–")"
                if let stable = partition.lastStableOffset, let seconds = partition.openTransactionSeconds {
                    let (what, style) = partition.hangingTransaction == true ? ("hanging transaction", "warn") : ("open transaction", "muted")
                    html += " <span class=\"\(style)\">\(what) since \(count(stable)), \(duration(seconds))</span>"
                }
                html += "</td>"
                html += "<td class=\"num\">\(partition.lag.map(count) ?? "–")</td>"
                let method = partition.lagSecondsMethod == LagTimeMethod.extrapolation.rawValue ? " *" : ""
                html += "<td class=\"num\">\(partition.lagSeconds.map { duration($0) + method } ?? "–")</td>"
                html += "<td class=\"num\">\(partition.consumeRate.map(rate) ?? "–")</td>"
                html += "<td class=\"num\">\(partition.produceRate.map(rate) ?? "–")</td></tr>\n"
            }
        }
        html += "</tbody></table>\n<p class=\"muted\">* extrapolated before the oldest watermark lagwatch has seen.</p>\n"
        if let members = detail.members, !members.isEmpty {
            html += "<h3>Members</h3>\n<table><thead><tr><th>Member</th><th>Client</th><th>Host</th><th>Assigned</th></tr></thead><tbody>\n"
            for member in members {
                html += "<tr><td>\(escape(member.memberId))</td><td>\(escape(member.clientId))</td><td>\(escape(member.host))</td>"
                html += "<td>\(member.assigned.isEmpty ? "<span class=\"warn\">nothing</span>" : escape(member.assigned.joined(separator: ", ")))</td></tr>\n"
            }
            html += "</tbody></table>\n"
        }
        return html + "</section>\n"
    }

    private static func document(title: String, body: String, context: Context) -> String {
        """
        <!DOCTYPE html>
        <html lang="en" xmlns="http://www.w3.org/1999/xhtml"><head><meta charset="utf-8"/>
        <title>\(escape(title))</title>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <meta http-equiv="refresh" content="\(context.refreshSeconds)"/>
        <style>\(style)</style>
        </head><body>
        \(body)<footer><a href="\(escape(context.telemetryPath))">metrics</a> · <a href="/api/v1/groups">JSON</a> · \
        <a href="/healthz">healthz</a> · <a href="/readyz">readyz</a> · this page reloads every \(context.refreshSeconds) s</footer>
        </body></html>

        """
    }

    private static let style = """
        :root{--fg:#1d232b;--muted:#6b7480;--line:#e3e7ec;--bg:#f7f8fa}
        body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);\
        max-width:78rem;margin:0 auto;padding:1.5rem 2rem}
        h1{font-size:1.6rem;margin:.2rem 0 1rem}h2{font-size:1.2rem;margin:1.6rem 0 .6rem}h3{margin:0 0 .3rem;font-size:1.05rem}
        a{color:#1f5fbf;text-decoration:none}a:hover{text-decoration:underline}
        .clusters{display:flex;flex-wrap:wrap;gap:1rem}
        .card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:.8rem 1rem;min-width:16rem}
        .card p{margin:0;color:var(--muted)}
        table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line);border-radius:8px}
        th,td{padding:.42rem .7rem;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
        th{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600}
        tbody tr:hover{background:#f2f5f9}
        .num{text-align:right;font-variant-numeric:tabular-nums}
        .muted{color:var(--muted);font-weight:normal}.warn{color:#b45309}
        .badge{display:inline-block;min-width:4.2rem;text-align:center;border-radius:4px;padding:.05rem .4rem;\
        font-size:.78rem;font-weight:700;letter-spacing:.03em;color:#fff}
        .OK{background:#2f855a}.WARN{background:#d69e2e}.REWIND{background:#5a67d8}.STALL{background:#dd6b20}
        .STOP{background:#c53030}.ERR{background:#822727}.UNKNOWN{background:#718096}.INACTIVE{background:#a0aec0}.NOTFOUND{background:#805ad5}
        form.filter{margin:.5rem 0;display:flex;gap:.5rem;flex-wrap:wrap;align-items:center}
        form.filter input,form.filter select,form.filter button{font:inherit;padding:.2rem .4rem}
        p.counts a.badge{text-decoration:none;margin-right:.2rem}p.pages{color:var(--muted)}
        dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0 1rem}
        dt{color:var(--muted)}dd{margin:0}
        svg.trend{vertical-align:middle}figure.trend{margin:1em 0}figure.trend svg{display:block;margin-top:.3em}svg.trend polyline{fill:none;stroke:#1f5fbf;stroke-width:1.5}
        footer{margin-top:2rem;color:var(--muted);font-size:.85rem}
        """

    // MARK: - Formatting

    /// One line of the overview: where its group is, and what it is sorted by, computed once. Small on
    /// purpose: the group's figures are computed properties over its partitions, and the snapshot and group
    /// are structs full of arrays; read in every comparison, or moved by every swap, they made sorting
    /// 10,000 groups take 130 ms.
    private struct Row {
        /// Indexes of the snapshot, and of the group in it.
        let cluster: Int
        let group: Int
        /// True when the group's cluster does not answer now and the row is from its last poll that did.
        let stale: Bool
        /// The status's place from best to worst; a group whose offsets could not be fetched ranks above ERR.
        let rank: Int
        let lagSeconds: Double
        let lag: Int64
        let name: String
        let clusterName: String

        init(cluster: Int, group index: Int, in snapshot: ClusterSnapshot, stale: Bool, status: ConsumerStatus?) {
            let group = snapshot.groups[index]
            self.cluster = cluster
            self.group = index
            self.stale = stale
            rank = status.flatMap { ConsumerStatus.allCases.firstIndex(of: $0) } ?? ConsumerStatus.allCases.count
            lagSeconds = group.maxLagTime?.seconds ?? -1
            lag = group.totalLag ?? -1
            name = group.name
            clusterName = snapshot.clusterName
        }

        /// Worst status first, then the largest lag time, then the largest lag, then by name and cluster.
        static func worstFirst(_ a: Row, _ b: Row) -> Bool {
            if a.rank != b.rank { return a.rank > b.rank }
            if a.lagSeconds != b.lagSeconds { return a.lagSeconds > b.lagSeconds }
            if a.lag != b.lag { return a.lag > b.lag }
            return (a.name, a.clusterName) < (b.name, b.clusterName)
        }
    }

    /// "caught up" for 0, the time left while catching up, `unknown` when neither.
    private static func catchUp(_ seconds: Double?, unknown: String) -> String {
        guard let seconds else { return unknown }
        return seconds == 0 ? "caught up" : "in " + duration(seconds)
    }

    private static func badge(_ status: ConsumerStatus?, unknown: String = "UNKNOWN") -> String {
        guard let status else { return unknown == "UNKNOWN" ? "<span class=\"badge UNKNOWN\">UNKNOWN</span>" : unknown }
        return "<span class=\"badge \(status.rawValue)\">\(status.rawValue)</span>"
    }

    /// An inline SVG line of `values` scaled to their maximum; unknown values break the line.
    static func sparkline(_ values: [Int64?], width: Int, height: Int) -> String {
        let known = values.compactMap { $0 }
        guard values.count >= 2, let top = known.max() else {
            return "<span class=\"muted\">–</span>"
        }
        let scale = top > 0 ? Double(height - 2) / Double(top) : 0
        let step = Double(width) / Double(values.count - 1)
        var lines: [String] = []
        var points: [String] = []
        for (index, value) in values.enumerated() {
            guard let value else {
                if points.count > 1 { lines.append(points.joined(separator: " ")) }
                points = []
                continue
            }
            let x = Double(index) * step
            let y = Double(height - 1) - Double(value) * scale
            points.append("\(format(x)),\(format(y))")
        }
        if points.count > 1 { lines.append(points.joined(separator: " ")) }
        let title = "lag from \(known.first.map(count) ?? "–") to \(known.last.map(count) ?? "–") over \(values.count) polls"
        var svg = "<svg class=\"trend\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
        svg += "viewBox=\"0 0 \(width) \(height)\" role=\"img\"><title>\(title)</title>"
        for line in lines { svg += "<polyline points=\"\(line)\"/>" }
        return svg + "</svg>"
    }

    private static func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    /// `1234567` → `1,234,567`.
    static func count(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return value < 0 ? "-" + out : out
    }

    /// `12.345` → `12.3/s`; whole numbers without decimals.
    static func rate(_ value: Double) -> String {
        value >= 100 || value == value.rounded() ? "\(count(Int64(value.rounded())))/s" : "\(format(value))/s"
    }

    /// Seconds as `42 s`, `4 min 12 s`, `3 h 5 min`, `2 d 4 h`.
    static func duration(_ seconds: Double) -> String {
        if seconds < 10 { return seconds < 1 && seconds > 0 ? "\(Int((seconds * 1000).rounded())) ms" : "\(format(seconds)) s" }
        let total = Int(seconds.rounded())
        let (days, hours, minutes, rest) = (total / 86_400, total % 86_400 / 3600, total % 3600 / 60, total % 60)
        if days > 0 { return hours > 0 ? "\(days) d \(hours) h" : "\(days) d" }
        if hours > 0 { return minutes > 0 ? "\(hours) h \(minutes) min" : "\(hours) h" }
        if minutes > 0 { return rest > 0 ? "\(minutes) min \(rest) s" : "\(minutes) min" }
        return "\(rest) s"
    }

    /// The path of a group's page: unreserved characters kept, everything else percent-encoded.
    public static func groupPath(_ name: String) -> String { groupPathPrefix + percentEncoded(name) }

    /// Escapes text for HTML content and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
