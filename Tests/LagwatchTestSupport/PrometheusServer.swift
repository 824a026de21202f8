import Foundation

/// A real Prometheus server (Debian's `prometheus` package) on 127.0.0.1, scraping one target every second
/// with rule files loaded, queried over its HTTP API. Stopped and its data removed by ``stop()``.
public final class PrometheusServer: @unchecked Sendable {
    private let process: Process
    private let directory: String
    /// The port of its HTTP API.
    public let port: UInt16

    /// The server binary, if installed.
    public static func binary() -> String? { ProcessRunner.which("prometheus") }

    /// Starts Prometheus scraping `target` (`host:port`) as job `lagwatch` every second, evaluating `ruleFiles`
    /// every second, and waits until its API answers.
    public init(binary: String, target: String, ruleFiles: [String]) throws {
        port = try freeLoopbackPort()
        directory = NSTemporaryDirectory() + "lagwatch-prometheus-\(getpid())-\(port)"
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        let config = """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files: [\(ruleFiles.map { "\"\($0)\"" }.joined(separator: ", "))]
            scrape_configs:
              - job_name: lagwatch
                static_configs:
                  - targets: ["\(target)"]
            """
        try config.write(toFile: directory + "/prometheus.yml", atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--config.file=\(directory)/prometheus.yml", "--storage.tsdb.path=\(directory)/data",
            "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let ready = eventually(within: 30) { (try? TestHTTPClient.request(port: port, path: "/-/ready").status) == 200 }
        if !ready {
            stop()
            throw TestFailure("Prometheus did not become ready on port \(port) within 30 s")
        }
    }

    /// Stops the server and removes its data.
    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }

    /// Runs an instant query; returns the `data.result` array, or throws with Prometheus's error.
    public func query(_ promql: String) throws -> [[String: Any]] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = promql.addingPercentEncoding(withAllowedCharacters: allowed) ?? promql
        let object = try json("/api/v1/query?query=\(encoded)")
        guard object["status"] as? String == "success", let data = object["data"] as? [String: Any],
            let result = data["result"] as? [[String: Any]]
        else {
            throw TestFailure("query failed: \(promql): \(object["error"] ?? object)")
        }
        return result
    }

    /// The alerts Prometheus holds (pending or firing), each with its `labels` and `state`.
    public func alerts() throws -> [[String: Any]] {
        let object = try json("/api/v1/alerts")
        return ((object["data"] as? [String: Any])?["alerts"] as? [[String: Any]]) ?? []
    }

    private func json(_ path: String) throws -> [String: Any] {
        let response = try TestHTTPClient.request(port: port, path: path)
        guard let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            throw TestFailure("Prometheus answered \(response.status) with no JSON to \(path)")
        }
        return object
    }
}
