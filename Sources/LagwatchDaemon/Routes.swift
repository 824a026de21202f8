import LagwatchExposition
public import LagwatchHTTP
import LagwatchModel

/// lagwatch's HTTP endpoints, answered from the ``SnapshotStore`` alone: no request waits for Kafka.
///
/// - `GET <telemetry path>`: the Prometheus text format, gzip when the client accepts it;
/// - `GET /healthz`: 200 while the process runs;
/// - `GET /readyz`: 200 once every cluster has completed a poll within the last three poll intervals;
/// - `GET /api/v1/groups`: every group's summary as JSON, one group per line, filtered by the query string
///   (``GroupFilter``: `q`, `cluster`, `status`, `topic`, `page`); 400 for a query it does not understand;
/// - `GET /api/v1/groups/{group}`: one group's partitions, members and summary in each cluster that has it,
///   or 404 with a JSON error;
/// - `GET /`: the status page, groups worst first, 100 a page, with the same filters; `GET /groups/{group}`:
///   a group's page. Pages and JSON are gzip when the client accepts it.
/// Other paths are 404; other methods than GET and HEAD are 405.
public struct Routes: Sendable {
    let store: SnapshotStore
    let telemetryPath: String
    let pollIntervalSeconds: @Sendable () -> Double
    let now: @Sendable () -> Double

    /// Creates the routes.
    public init(
        store: SnapshotStore,
        telemetryPath: String,
        pollIntervalSeconds: @escaping @Sendable () -> Double,
        now: @escaping @Sendable () -> Double = WallClock.now
    ) {
        self.store = store
        self.telemetryPath = telemetryPath
        self.pollIntervalSeconds = pollIntervalSeconds
        self.now = now
    }

    /// Answers one request: at once for `/metrics`, `/healthz`, `/readyz` and errors, which only hand out
    /// what is already built; pages and JSON, which are built per request, on an HTTP worker.
    public func answer(_ request: HTTPRequest) -> HTTPAnswer {
        Self.isBuiltPerRequest(request) ? .later { handle(request) } : .now(handle(request))
    }

    /// True for the pages and JSON documents (built from the snapshot for each request).
    static func isBuiltPerRequest(_ request: HTTPRequest) -> Bool {
        guard request.method == "GET" || request.method == "HEAD" else { return false }
        return request.path == "/" || request.path == groupsPath || request.path.hasPrefix(groupsPath + "/")
            || request.path.hasPrefix(StatusPage.groupPathPrefix)
    }

    /// Answers one request on the calling thread.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let known = [telemetryPath, "/healthz", "/readyz", "/", Self.groupsPath]
        let groupName = request.path.hasPrefix(Self.groupsPath + "/")
            ? String(request.path.dropFirst(Self.groupsPath.count + 1)) : nil
        let pageName = request.path.hasPrefix(StatusPage.groupPathPrefix)
            ? String(request.path.dropFirst(StatusPage.groupPathPrefix.count)) : nil
        guard known.contains(request.path) || groupName != nil || pageName != nil else {
            return .text(404, "404 not found: \(request.path)\nSee / for the endpoints.\n")
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            return .text(405, "405 method \(request.method) not allowed; use GET\n", headers: [("Allow", "GET, HEAD")])
        }
        let gzip = request.acceptsGzip
        if let groupName { return group(groupName, gzip: gzip) }
        if let pageName { return groupPage(pageName, gzip: gzip) }
        switch request.path {
        case telemetryPath: return metrics(gzip: gzip)
        case "/healthz": return .text(200, "ok\n")
        case "/readyz": return readiness()
        case Self.groupsPath:
            let filter: GroupFilter
            do { filter = try GroupFilter(query: request.query) } catch {
                return Self.json(400, GroupReport.errorJSON("\(error)"), gzip: gzip)
            }
            let rendered = store.current
            return Self.json(200, GroupReport.summariesJSON(rendered.snapshots, lastGood: rendered.lastGood, filter: filter), gzip: gzip)
        default:
            do { return overview(try GroupFilter(query: request.query), gzip: gzip) } catch {
                return Self.html(400, StatusPage.notFound("Bad query: \(error).", context: pageContext), gzip: gzip)
            }
        }
    }

    /// Where the JSON API lists groups.
    static let groupsPath = "/api/v1/groups"

    /// One group's detail; the name arrives percent-decoded (libmicrohttpd decodes the path), so a group
    /// named `a/b` is asked for as `/api/v1/groups/a%2Fb`.
    private func group(_ name: String, gzip: Bool) -> HTTPResponse {
        guard !name.isEmpty else {
            return Self.json(404, GroupReport.errorJSON("no group named; ask for \(Self.groupsPath)/NAME"), gzip: gzip)
        }
        let rendered = store.current
        guard let body = GroupReport.detailJSON(of: name, in: rendered.snapshots, lastGood: rendered.lastGood) else {
            return Self.json(404, GroupReport.errorJSON("no consumer group '\(name)' in the latest poll of any cluster"), gzip: gzip)
        }
        return Self.json(200, body, gzip: gzip)
    }

    private static func json(_ status: Int, _ body: [UInt8], gzip: Bool) -> HTTPResponse {
        built(status, body, type: "application/json", gzip: gzip)
    }

    /// A body built for this request, gzip when the client takes it (pages at thousands of groups are
    /// hundreds of KB, and compress about tenfold).
    private static func built(_ status: Int, _ body: [UInt8], type: String, gzip: Bool) -> HTTPResponse {
        var headers = [("Content-Type", type), ("Cache-Control", "no-store"), ("Vary", "Accept-Encoding")]
        guard gzip else { return HTTPResponse(status: status, headers: headers, body: [ByteBuffer(body)]) }
        headers.append(("Content-Encoding", "gzip"))
        return HTTPResponse(status: status, headers: headers, body: Gzip.compress(body))
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
        let limit = 3 * pollIntervalSeconds()
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

    private var pageContext: StatusPage.Context {
        StatusPage.Context(
            clusterNames: store.clusterNames, telemetryPath: telemetryPath,
            refreshSeconds: max(5, Int(pollIntervalSeconds().rounded())), now: now())
    }

    private func overview(_ filter: GroupFilter, gzip: Bool) -> HTTPResponse {
        let rendered = store.current
        let page = StatusPage.overview(rendered.snapshots, lastGood: rendered.lastGood, filter: filter, context: pageContext)
        return Self.html(200, page, gzip: gzip)
    }

    private func groupPage(_ name: String, gzip: Bool) -> HTTPResponse {
        let context = pageContext
        let rendered = store.current
        guard let page = StatusPage.group(name, in: rendered.snapshots, lastGood: rendered.lastGood, context: context) else {
            return Self.html(
                404, StatusPage.notFound("No consumer group '\(name)' in the latest poll of any cluster.", context: context), gzip: gzip)
        }
        return Self.html(200, page, gzip: gzip)
    }

    private static func html(_ status: Int, _ page: String, gzip: Bool) -> HTTPResponse {
        built(status, Array(page.utf8), type: "text/html; charset=utf-8", gzip: gzip)
    }
}
