import ArgumentParser
import FoundationEssentials
import Glibc
import LagwatchDaemon
import LagwatchHTTP
import LagwatchThreads
import Logging
import Synchronization

/// `lagwatch bench --hostile`: a child `lagwatch run` on the mock cluster of the bench's flags (basic auth
/// at bcrypt cost 12), and the latency of fresh scrapes (`/metrics` gzip with remembered credentials, and
/// `/healthz`, a new connection each) while hostile clients are at work: none, 1,000 idle connections, 300
/// slowloris requests, 8 clients sending wrong passwords from ever new addresses, 4 clients asking for pages;
/// then a second child serving TLS, with and without 300 handshakes that never finish (scraped with curl,
/// whose own time is reported). Prints p50, p99 and max per case.
struct HostileBench {
    let bench: Bench
    private static let password = "bench-Pa55"
    private var scrapes: Int { bench.scrapes }

    func run(logger: Logger) throws {
        // This process holds a connection per client it plays.
        _ = HTTPServer.raiseFileLimit(toFit: 2_000)
        let (mock, cluster) = try bench.buildCluster(logger: logger)
        defer { withExtendedLifetime(mock) {} }
        let directory = "/tmp/lagwatch-hostile-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try bench.servingConfiguration(cluster).write(toFile: directory + "/bench.yml", atomically: true, encoding: .utf8)
        guard let hash = BasicAuthenticator.bcryptHash(of: Self.password, cost: 12) else {
            throw ValidationError("the system's crypt made no bcrypt hash")
        }
        try "basic_auth_users:\n  prometheus: \(hash)\n".write(toFile: directory + "/auth.yml", atomically: true, encoding: .utf8)
        let port = UInt16(20_000 + Int(getpid() % 1000))
        try withChild(directory: directory, web: "auth.yml", port: port, answers: {
            (try? BenchHTTP.get(port: port, path: "/healthz", gzip: false)) != nil
        }) {
            try measureFloods(port: port)
        }
        guard let openssl = ChildProcess.find("openssl"), let curl = ChildProcess.find("curl") else {
            say("hostile, TLS: openssl or curl not installed — skipped")
            return
        }
        try makeCertificate(openssl: openssl, directory: directory)
        try "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
            .write(toFile: directory + "/tls.yml", atomically: true, encoding: .utf8)
        try withChild(directory: directory, web: "tls.yml", port: port + 1, answers: {
            httpsStatus(curl: curl, port: port + 1, certificate: directory + "/server.crt").status == "200"
        }) {
            try measureTLS(port: port + 1, curl: curl, certificate: directory + "/server.crt")
        }
    }

    /// Runs `body` while a child `lagwatch run` serves the bench configuration on `port` with the web
    /// configuration `web`, once it has completed two polls.
    private func withChild(
        directory: String, web: String, port: UInt16, answers: () -> Bool, _ body: () throws -> Void
    ) throws {
        let child = try ChildProcess(
            ChildProcess.currentExecutable(),
            ["run", "--config.file", directory + "/bench.yml", "--web.config.file", directory + "/" + web,
             "--web.listen-address", "127.0.0.1:\(port)", "--log.level", "error"])
        defer {
            child.terminate()
            child.wait()
        }
        let deadline = WallClock.now() + 120
        while !answers() {
            guard WallClock.now() < deadline else { throw ValidationError("the child lagwatch did not answer in 120 s") }
            OSThread.sleep(seconds: 0.2)
        }
        OSThread.sleep(seconds: 6)  // two polls or more, so /metrics and the pages have their full size
        try body()
    }

    private func measureFloods(port: UInt16) throws {
        let authorization = "Authorization: Basic " + base64("prometheus:" + Self.password)
        _ = try BenchHTTP.get(port: port, path: "/metrics", gzip: true, headers: [authorization])  // remembered from now on
        measure("no other client", port: port, authorization: authorization)
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        for _ in 0..<1_000 { if let fd = try? BenchHTTP.connect(port: port) { held.append(fd) } }
        measure("\(held.count) idle connections held", port: port, authorization: authorization)
        for fd in held { close(fd) }
        held = []
        for index in 0..<300 {
            guard let fd = try? BenchHTTP.connect(port: port) else { continue }
            held.append(fd)
            send(fd, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-\(index): a\r\n")
        }
        for fd in held { send(fd, "X-More: b\r\n") }
        measure("\(held.count) slowloris requests held", port: port, authorization: authorization)
        for fd in held { close(fd) }
        held = []
        // Every wrong password from a new loopback address: no failure budget runs out, each costs bcrypt.
        let wrong = "Authorization: Basic " + base64("prometheus:guess")
        let logins = flood(clients: 8) { client, round in
            _ = try? BenchHTTP.get(port: port, path: "/metrics", gzip: false, headers: [wrong], from: "127.0.\(1 + client).\(2 + round % 250)")
        } during: {
            measure("8 clients sending wrong passwords (bcrypt cost 12)", port: port, authorization: authorization)
        }
        say("hostile: \(logins) wrong-password requests answered during that case")
        let pages = flood(clients: 4) { client, round in
            let paths = ["/", "/api/v1/groups", "/", "/groups/\(bench.groupName(round % bench.groups))"]
            _ = try? BenchHTTP.get(port: port, path: paths[client], gzip: false, headers: [authorization])
        } during: {
            measure("4 clients asking for pages (\(bench.groups) groups)", port: port, authorization: authorization)
        }
        say("hostile: \(pages) pages served during that case")
    }

    private func measureTLS(port: UInt16, curl: String, certificate: String) throws {
        measureWithCurl("TLS, no other client", curl: curl, port: port, certificate: certificate)
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        // A TLS record header and the start of a ClientHello, never finished.
        let partialHello: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]
        for _ in 0..<300 {
            guard let fd = try? BenchHTTP.connect(port: port) else { continue }
            held.append(fd)
            _ = Glibc.send(fd, partialHello, partialHello.count, Int32(MSG_NOSIGNAL))
        }
        measureWithCurl("TLS, \(held.count) stalled handshakes held", curl: curl, port: port, certificate: certificate)
    }

    /// Runs `work` on `clients` threads in a loop while `body` runs; returns how many rounds completed.
    private func flood(clients: Int, _ work: @escaping @Sendable (Int, Int) -> Void, during body: () -> Void) -> Int {
        let stop = Atomic<Bool>(false)
        let rounds = Atomic<Int>(0)
        let jobs: [@Sendable () -> Void] = (0..<clients).map { client in
            {
                var round = 0
                while !stop.load(ordering: .relaxed) {
                    work(client, round)
                    round += 1
                    rounds.add(1, ordering: .relaxed)
                }
            }
        }
        OSThread.detach(name: "bench-flood") { OSThread.runAll(name: "bench-client", jobs) }
        OSThread.sleep(seconds: 2)  // let the flood reach its pace
        body()
        stop.store(true, ordering: .relaxed)
        OSThread.sleep(seconds: 1)
        return rounds.load(ordering: .relaxed)
    }

    /// Prints the latency of `scrapes` fresh `/metrics` (gzip, with `authorization`) and `/healthz` requests.
    private func measure(_ label: String, port: UInt16, authorization: String) {
        for (path, gzip) in [("/metrics", true), ("/healthz", false)] {
            var latencies: [Double] = []
            var failures = 0
            for _ in 0..<scrapes {
                var clock = Stopwatch()
                let body = try? BenchHTTP.get(port: port, path: path, gzip: gzip, headers: [authorization])
                if body == nil || body!.count < 2 { failures += 1 }
                latencies.append(clock.lap() * 1000)
            }
            report(label, path, latencies, failures: failures)
        }
    }

    /// Prints the time curl reports for `scrapes` / 3 fresh HTTPS `/healthz` requests (its own process start
    /// is not counted).
    private func measureWithCurl(_ label: String, curl: String, port: UInt16, certificate: String) {
        var latencies: [Double] = []
        var failures = 0
        let count = max(10, scrapes / 3)
        for _ in 0..<count {
            let (status, seconds) = httpsStatus(curl: curl, port: port, certificate: certificate)
            if status != "200" { failures += 1 }
            latencies.append(seconds * 1000)
        }
        report(label, "/healthz over HTTPS", latencies, failures: failures)
    }

    /// The status of one HTTPS `/healthz` request made with curl, and the time curl reports for it (5 s, its
    /// limit, when it got no answer).
    private func httpsStatus(curl: String, port: UInt16, certificate: String) -> (status: String, seconds: Double) {
        let output = (try? ChildProcess.output(
            curl, ["-s", "-o", "/dev/null", "--max-time", "5", "--cacert", certificate, "-w", "%{http_code} %{time_total}",
                   "https://127.0.0.1:\(port)/healthz"])) ?? ""
        let parts = output.split(separator: " ")
        return (parts.first.map(String.init) ?? "", parts.count == 2 ? Double(parts[1]) ?? 5 : 5)
    }

    private func report(_ label: String, _ path: String, _ sorted: [Double], failures: Int) {
        let latencies = sorted.sorted()
        let count = latencies.count
        say("hostile, \(label): \(path) \(count) requests, \(failures) failed; p50 \(decimal(latencies[count / 2])) ms, "
            + "p99 \(decimal(latencies[count * 99 / 100])) ms, max \(decimal(latencies.last!)) ms")
    }

    private func makeCertificate(openssl: String, directory: String) throws {
        _ = try ChildProcess.output(openssl, [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", directory + "/server.key", "-out",
            directory + "/server.crt", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ])
        guard FileManager.default.fileExists(atPath: directory + "/server.key") else {
            throw ValidationError("openssl made no certificate")
        }
    }

    private func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    private func send(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL))
    }
}
