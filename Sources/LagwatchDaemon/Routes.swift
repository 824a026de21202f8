import LagwatchExposition
public import LagwatchHTTP
import LagwatchModel

/// lagwatch's HTTP endpoints, answered from the ``SnapshotStore`` alone: no request waits for Kafka.
///
/// - `GET <telemetry path>`: the Prometheus text format, gzip when the client accepts it;
/// - `GET /healthz`: 200 while the process runs;
/// - `GET /readyz`: 200 once every cluster has completed a poll within the last three poll intervals;
/// - `GET /api/v1/groups`: every group's summary as JSON, one group per line;
/// - `GET /api/v1/groups/{group}`: one group's partitions, members and summary in each cluster that has it,
///   or 404 with a JSON error;
/// - `GET /`: a page linking the above.
/// Other paths are 404; other methods than GET and HEAD are 405.
public struct Routes: Sendable {
    let store: SnapshotStore
    let telemetryPath: String
    let pollIntervalSeconds: Double
    let now: @Sendable () -> Double

    /// Creates the routes.
    public init(
        store: SnapshotStore,
        telemetryPath: String,
        pollIntervalSeconds: Double,
        now: @escaping @Sendable () -> Double = WallClock.now
    ) {
        self.store = store
        self.telemetryPath = telemetryPath
        self.pollIntervalSeconds = pollIntervalSeconds
        self.now = now
    }

    /// Answers one request.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let known = [telemetryPath, "/healthz", "/readyz", "/", Self.groupsPath]
        let groupName = request.path.hasPrefix(Self.groupsPath + "/")
            ? String(request.path.dropFirst(Self.groupsPath.count + 1)) : nil
        guard known.contains(request.path) || groupName != nil else {
            return .text(404, "404 not found: \(request.path)\nSee / for the endpoints.\n")
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            return .text(405, "405 method \(request.method) not allowed; use GET\n", headers: [("Allow", "GET, HEAD")])
        }
        if let groupName { return group(groupName) }
        switch request.path {
        case telemetryPath: return metrics(gzip: request.acceptsGzip)
        case "/healthz": return .text(200, "ok\n")
        case "/readyz": return readiness()
        case Self.groupsPath: return Self.json(200, GroupReport.summariesJSON(store.current.snapshots))
        default: return index()
        }
    }

    /// Where the JSON API lists groups.
    static let groupsPath = "/api/v1/groups"

    /// One group's detail; the name arrives percent-decoded (libmicrohttpd decodes the path), so a group
    /// named `a/b` is asked for as `/api/v1/groups/a%2Fb`.
    private func group(_ name: String) -> HTTPResponse {
        guard !name.isEmpty else {
            return Self.json(404, GroupReport.errorJSON("no group named; ask for \(Self.groupsPath)/NAME"))
        }
        guard let body = GroupReport.detailJSON(of: name, in: store.current.snapshots) else {
            return Self.json(404, GroupReport.errorJSON("no consumer group '\(name)' in the latest poll of any cluster"))
        }
        return Self.json(200, body)
    }

    private static func json(_ status: Int, _ body: [UInt8]) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")],
            body: [ByteBuffer(body)])
    }

    private func metrics(gzip: Bool) -> HTTPResponse {
        let rendered = store.current
        let age = TextRenderer.renderAge(
            of: rendered.snapshots.map { ($0.clusterName, $0.completedAt) }, now: now())
        var headers = [("Content-Type", TextRenderer.contentType), ("Vary", "Accept-Encoding")]
        if gzip {
            headers.append(("Content-Encoding", "gzip"))
            return HTTPResponse(status: 200, headers: headers, body: Gzip.member(prefix: rendered.gzip, tail: age))
        }
        return HTTPResponse(status: 200, headers: headers, stream: Gzip.plainStream(prefix: rendered.gzip, tail: age))
    }

    /// Ready once every cluster has a snapshot no older than three poll intervals.
    private func readiness() -> HTTPResponse {
        let snapshots = store.current.snapshots
        let limit = 3 * pollIntervalSeconds
        let time = now()
        var problems: [String] = []
        for name in store.clusterNames {
            guard let snapshot = snapshots.first(where: { $0.clusterName == name }) else {
                problems.append("cluster \(name): no poll completed yet")
                continue
            }
            let age = time - snapshot.completedAt
            if age > limit {
                problems.append("cluster \(name): last poll completed \(Int(age)) s ago (limit \(Int(limit)) s)")
            }
        }
        return problems.isEmpty ? .text(200, "ready\n") : .text(503, problems.joined(separator: "\n") + "\n")
    }

    private func index() -> HTTPResponse {
        let snapshots = store.current.snapshots
        var rows = ""
        for name in store.clusterNames {
            let snapshot = snapshots.first { $0.clusterName == name }
            let state = snapshot.map { $0.up ? "up" : "down" } ?? "not polled yet"
            let groups = snapshot.map { String($0.groups.count) } ?? "–"
            let topics = snapshot.map { String($0.topics.count) } ?? "–"
            rows += "<tr><td>\(html(name))</td><td>\(state)</td><td>\(topics)</td><td>\(groups)</td></tr>\n"
        }
        let page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>lagwatch</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}
            table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}</style>
            </head><body><h1>lagwatch</h1><p>Kafka consumer lag exporter.</p>
            <ul><li><a href="\(html(telemetryPath))">\(html(telemetryPath))</a> (Prometheus metrics)</li>
            <li><a href="/healthz">/healthz</a> (process alive)</li>
            <li><a href="/readyz">/readyz</a> (recent poll of every cluster)</li></ul>
            <table><tr><th>Cluster</th><th>State</th><th>Topics</th><th>Groups</th></tr>
            \(rows)</table></body></html>

            """
        return HTTPResponse(
            status: 200, headers: [("Content-Type", "text/html; charset=utf-8")], body: [ByteBuffer(Array(page.utf8))])
    }

    private func html(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
