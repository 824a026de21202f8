import LagwatchDaemon
import LagwatchExposition
import LagwatchHTTP
import LagwatchTestSupport
import Testing

/// Whatever path a client sends (libmicrohttpd has percent-decoded it already), the routes answer with a
/// status from the documented set and never crash; names echoed in JSON cannot read as markup.
@Suite struct RoutePropertyTests {
    @Test func anyPathGetsADocumentedAnswer() throws {
        let store = SnapshotStore(clusterNames: ["c"], info: ExporterInfo(version: "t", librdkafkaVersion: "t"))
        let routes = Routes(store: store, telemetryPath: "/metrics", pollIntervalSeconds: { 15 })
        var random = SeededRandom(seed: 3)
        let alphabet = Array("/?#%&=.:;'\"<>\\ \u{0}\u{7F}éaz09-_~") + ["\u{1F600}"]
        let prefixes = ["", "/", "/api/v1/groups/", "/groups/", "/metrics", "/healthz", "/readyz", "//", "/api/v1/groups"]
        for _ in 0..<3_000 {
            let path = prefixes.randomElement(using: &random)! + random.string(from: alphabet, maximumLength: 24)
            for method in ["GET", "HEAD", "POST"] {
                let response = routes.handle(HTTPRequest(method: method, path: path, acceptsGzip: Bool.random(using: &random)))
                #expect([200, 404, 405, 503].contains(response.status), "\(method) \(path): \(response.status)")
                if response.headers.contains(where: { $0.0 == "Content-Type" && $0.1.hasPrefix("application/json") }) {
                    let zipped = response.headers.contains { $0.0 == "Content-Encoding" && $0.1 == "gzip" }
                    let body = zipped ? try TestHTTPClient.gunzip(response.collectBody()) : response.collectBody()
                    #expect(!body.contains(UInt8(ascii: "<")), "\(path)")
                }
            }
        }
    }

    /// Only what is prebuilt is answered on the server thread; pages and JSON, built per request, go to a
    /// worker, so that no client asking for them can delay a scrape.
    @Test func pagesAndJSONAreBuiltOnAWorkerAndScrapesAreNot() {
        let store = SnapshotStore(clusterNames: ["c"], info: ExporterInfo(version: "t", librdkafkaVersion: "t"))
        let routes = Routes(store: store, telemetryPath: "/metrics", pollIntervalSeconds: { 15 })
        func onWorker(_ method: String, _ path: String) -> Bool {
            if case .later = routes.answer(HTTPRequest(method: method, path: path, acceptsGzip: false)) { return true }
            return false
        }
        for path in ["/", "/api/v1/groups", "/api/v1/groups/billing", "/groups/billing", "/groups/"] {
            #expect(onWorker("GET", path), "\(path)")
            #expect(onWorker("HEAD", path), "\(path)")
            #expect(!onWorker("POST", path), "405 needs no worker: \(path)")
        }
        for path in ["/metrics", "/healthz", "/readyz", "/nope", "/favicon.ico"] {
            #expect(!onWorker("GET", path), "\(path)")
        }
    }

    @Test func aQueryItDoesNotUnderstandIs400AndPagesAreGzipWhenAsked() throws {
        let store = SnapshotStore(clusterNames: ["c"], info: ExporterInfo(version: "t", librdkafkaVersion: "t"))
        let routes = Routes(store: store, telemetryPath: "/metrics", pollIntervalSeconds: { 15 })
        let page = routes.handle(HTTPRequest(method: "GET", path: "/", acceptsGzip: false, query: [("stauts", "STOP")]))
        #expect(page.status == 400)
        #expect(String(decoding: page.collectBody(), as: UTF8.self).contains("unknown parameter &#39;stauts&#39;"))
        let api = routes.handle(HTTPRequest(method: "GET", path: "/api/v1/groups", acceptsGzip: false, query: [("page", "-1")]))
        #expect(api.status == 400 && String(decoding: api.collectBody(), as: UTF8.self).contains("page '-1'"))
        let zipped = routes.handle(HTTPRequest(method: "GET", path: "/", acceptsGzip: true, query: [("status", "stop")]))
        #expect(zipped.status == 200 && zipped.headers.contains { $0 == ("Content-Encoding", "gzip") })
        let html = String(decoding: try TestHTTPClient.gunzip(zipped.collectBody()), as: UTF8.self)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<form class=\"filter\""))
    }
}
