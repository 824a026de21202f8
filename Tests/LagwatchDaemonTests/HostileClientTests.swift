import Foundation
import LagwatchConfig
import LagwatchDaemon
import LagwatchKafka
import LagwatchModel
import LagwatchTestSupport
import Synchronization
import Testing

/// Clients that try to blind the exporter: floods of wrong passwords, of pages, and TLS handshakes that never
/// finish. Each runs against a real daemon on loopback and asserts that a scrape made during the flood is
/// answered. Bounded in time and count; the timeouts are failure bounds, not speed targets.
@Suite(.serialized) struct HostileClientTests {
    /// bcrypt cost 14 (0.85 s a check on the build machine, the highest cost lagwatch accepts) of
    /// "s3cret-Pa55", made with the system's crypt through Python's `crypt` module.
    static let slowHash = "$2b$14$uweqZsZFO3jtv1JahYaQJO73ZCb8HvPXUKY46IqzOJjYXVlZEuhxm"
    static let rightCredentials = "Basic " + Data("prometheus:s3cret-Pa55".utf8).base64EncodedString()

    /// A daemon over a fake cluster of `groups` groups on one topic, with `web` as its web configuration.
    static func daemon(groups: Int, web: String? = nil, directory: String? = nil) throws -> Daemon {
        var configuration = EndToEndTests.configuration(
            ClusterConfiguration(name: "fake", bootstrapServers: ["fake:9092"]), interval: 60)
        configuration.listenAddress = "127.0.0.1:0"
        if let web, let directory {
            try web.write(toFile: directory + "/web.yml", atomically: true, encoding: .utf8)
            configuration.webSecurity = try WebSecurity.load(path: directory + "/web.yml")
        }
        let fake = FakeClusterClient(metadata: fakeMetadata(["orders": 4]))
        let names = (0..<groups).map { "group-\($0)" }
        fake.listing = .success(names.map { GroupListing(name: $0, state: "Empty") })
        fake.descriptions = Dictionary(uniqueKeysWithValues: names.map { ($0, GroupDescription(name: $0, state: "Empty", members: [])) })
        fake.committed = Dictionary(uniqueKeysWithValues: names.enumerated().map { index, name in
            (name, PartitionMap((0..<4).map { (TopicPartition("orders", $0), Int64?(Int64(index % 90))) }))
        })
        fake.watermarks = PartitionMap((0..<4).map { (TopicPartition("orders", $0), Watermarks(low: 0, high: 100)) })
        let daemon = try Daemon(configuration: configuration, logger: TestLogger.quiet()) { _ in { fake } }
        try daemon.start()
        return daemon
    }

    /// Runs `flood` on `clients` threads until `body` returns, then waits for them to end.
    static func during(flood clients: Int, _ flood: @escaping @Sendable (_ client: Int, _ round: Int) -> Void, _ body: () throws -> Void) rethrows {
        let stop = Atomic<Bool>(false)
        let ended = Atomic<Int>(0)
        for client in 0..<clients {
            Thread {
                var round = 0
                while !stop.load(ordering: .relaxed) {
                    flood(client, round)
                    round += 1
                }
                ended.add(1, ordering: .relaxed)
            }.start()
        }
        defer {
            stop.store(true, ordering: .relaxed)
            _ = eventually(within: 30) { ended.load(ordering: .relaxed) == clients }
        }
        try body()
    }

    @Test func aWrongPasswordFloodFromManyAddressesLeavesScrapesAnswered() throws {
        let directory = NSTemporaryDirectory() + "lagwatch-flood-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try Self.daemon(groups: 3, web: "basic_auth_users:\n  prometheus: \(Self.slowHash)\n", directory: directory)
        defer { daemon.stop(timeoutSeconds: 5) }
        let port = daemon.port
        let authorized = ["Authorization": Self.rightCredentials]
        // Prometheus's first scrape pays for bcrypt once; later ones are remembered.
        #expect(try TestHTTPClient.request(port: port, path: "/metrics", headers: authorized, timeoutSeconds: 10).status == 200)
        let refusals = Mutex<[Int: Int]>([:])
        // Four clients, each request from another loopback address, so no failure budget runs out: every one
        // costs a full cost-14 bcrypt check. On the server thread, four of them kept a scrape out for 3.4 s.
        let wrong = ["Authorization": "Basic " + Data("prometheus:guess".utf8).base64EncodedString()]
        try Self.during(flood: 4, { client, round in
            let source = "127.0.\(1 + client).\(2 + round % 250)"
            guard let response = try? TestHTTPClient.request(port: port, path: "/metrics", headers: wrong, timeoutSeconds: 30, from: source)
            else { return }
            refusals.withLock { $0[response.status, default: 0] += 1 }
        }) {
            #expect(eventually(within: 10) { daemon.waitingHTTPAnswers >= 2 }, "password checks are running")
            for _ in 0..<20 {
                let scrape = try TestHTTPClient.request(port: port, path: "/metrics", headers: authorized, timeoutSeconds: 2)
                #expect(scrape.status == 200)
                #expect(try TestHTTPClient.request(port: port, path: "/healthz", timeoutSeconds: 2).status == 200)
            }
        }
        #expect(refusals.withLock { Set($0.keys) }.isSubset(of: [401, 503]), "wrong passwords are refused, or turned away when too many wait")
    }

    @Test func aPageFloodLeavesScrapesAnswered() throws {
        let daemon = try Self.daemon(groups: 1_000)
        defer { daemon.stop(timeoutSeconds: 5) }
        let port = daemon.port
        #expect(try eventually(within: 15) { try TestHTTPClient.request(port: port, path: "/readyz").status == 200 })
        let pages = Atomic<Int>(0)
        try Self.during(flood: 4, { client, round in
            let path = [ "/", "/api/v1/groups", "/groups/group-\(round % 1000)", "/api/v1/groups/group-\(round % 1000)"][client]
            if (try? TestHTTPClient.request(port: port, path: path, timeoutSeconds: 30))?.status == 200 {
                pages.add(1, ordering: .relaxed)
            }
        }) {
            #expect(eventually(within: 10) { pages.load(ordering: .relaxed) >= 8 }, "pages are being built")
            for _ in 0..<20 {
                let scrape = try TestHTTPClient.request(port: port, path: "/metrics", timeoutSeconds: 2)
                #expect(scrape.status == 200 && scrape.text.contains("kafka_consumergroup_lag{"))
            }
        }
        #expect(pages.load(ordering: .relaxed) >= 8)
    }

    @Test func stalledTLSHandshakesLeaveScrapesAnswered() throws {
        let directory = try WebSecurityTests.makeCertificates()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try Self.daemon(groups: 3, web: "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n", directory: directory)
        defer { daemon.stop(timeoutSeconds: 5) }
        var stalled: [Int32] = []
        defer { for fd in stalled { close(fd) } }
        // 300 clients that open a TLS handshake (a record header and part of a ClientHello) and never finish it.
        let partialHello: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]
        for _ in 0..<300 {
            let fd = try connectToLoopbackForTest(port: daemon.port)
            stalled.append(fd)
            _ = send(fd, partialHello, partialHello.count, 0)
        }
        let ca = ["--cacert", directory + "/ca.crt"]
        for _ in 0..<5 {
            let answer = try WebSecurityTests.curl(ca + ["--max-time", "3", "-o", "/dev/null", "-w", "%{http_code}", "https://127.0.0.1:\(daemon.port)/healthz"])
            #expect(answer.output == "200")
        }
    }
}
