import Foundation
import LagwatchConfig
import LagwatchDaemon
import LagwatchKafka
import LagwatchModel
import LagwatchTestSupport
import Testing

/// TLS and basic authentication from an exporter-toolkit web configuration, over real sockets with curl and
/// a test CA made with openssl.
@Suite(.serialized) struct WebSecurityTests {
    /// bcrypt (cost 4) of "s3cret-Pa55", made with the system's crypt through Python's `crypt` module.
    static let hash = "$2b$04$AYT6Gm5Nfa7PSwlLiYDYfOxV/IX/9ia046WqovKMsT.aqgyHI5Uu6"

    /// A CA and a server certificate for 127.0.0.1 signed by it, in a new directory.
    static func makeCertificates() throws -> String {
        let openssl = try #require(ProcessRunner.which("openssl"), "openssl is missing")
        let directory = NSTemporaryDirectory() + "lagwatch-tls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: directory + "/san.ext", atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=lagwatch test CA"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"],
            ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt",
             "-days", "1", "-extfile", "san.ext"],
            // A key of no certificate here, and the server's key encrypted with a passphrase.
            ["genrsa", "-out", "other.key", "2048"],
            ["pkey", "-in", "server.key", "-aes256", "-passout", "pass:secret", "-out", "encrypted.key"],
        ]
        for step in steps {
            let result = try ProcessRunner.run(openssl, step.map { $0.hasSuffix(".key") || $0.hasSuffix(".crt") || $0.hasSuffix(".csr") || $0.hasSuffix(".ext") ? directory + "/" + $0 : $0 })
            guard result.status == 0 else { throw TestFailure("openssl \(step.first!): \(result.stderr)") }
        }
        return directory
    }

    static func curl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let curl = try #require(ProcessRunner.which("curl"), "curl is missing")
        let result = try ProcessRunner.run(curl, ["-s", "--max-time", "10"] + arguments)
        return (result.status, result.text)
    }

    @Test func tlsAndBasicAuthGuardEveryEndpointButHealthz() throws {
        let directory = try Self.makeCertificates()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let webConfig = directory + "/web.yml"
        try """
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
            basic_auth_users:
              prometheus: \(Self.hash)
            """.write(toFile: webConfig, atomically: true, encoding: .utf8)
        var configuration = Configuration()
        configuration.listenAddress = "127.0.0.1:0"
        configuration.clusters = [ClusterConfiguration(name: "fake", bootstrapServers: ["fake:9092"])]
        configuration.webSecurity = try WebSecurity.load(path: webConfig)
        let fake = FakeClusterClient(metadata: fakeMetadata(["t": 1]))
        let daemon = try Daemon(configuration: configuration, logger: TestLogger.quiet()) { _ in { fake } }
        try daemon.start()
        defer { daemon.stop() }
        let url = "https://127.0.0.1:\(daemon.port)"
        let ca = ["--cacert", directory + "/ca.crt", "-o", "/dev/null", "-w", "%{http_code}"]

        #expect(try Self.curl(ca + ["\(url)/metrics"]).output == "401", "no credentials")
        #expect(try Self.curl(ca + ["-u", "prometheus:wrong", "\(url)/metrics"]).output == "401", "wrong password")
        #expect(try Self.curl(ca + ["-u", "nobody:s3cret-Pa55", "\(url)/metrics"]).output == "401", "unknown user")
        #expect(try Self.curl(ca + ["-u", "prometheus:s3cret-Pa55", "\(url)/metrics"]).output == "200", "right password")
        #expect(try Self.curl(ca + ["-u", "prometheus:s3cret-Pa55", "\(url)/api/v1/groups"]).output == "200")
        #expect(try Self.curl(ca + ["\(url)/api/v1/groups"]).output == "401")
        #expect(try Self.curl(ca + ["\(url)/"]).output == "401")
        #expect(try Self.curl(ca + ["\(url)/healthz"]).output == "200", "/healthz stays open")
        // The certificate is checked against the test CA: without it, curl refuses the handshake.
        #expect(try Self.curl(["-o", "/dev/null", "\(url)/healthz"]).status == 60)
        // Plain HTTP to the TLS port fails cleanly, and the server goes on serving TLS.
        let plain = try Self.curl(["-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(daemon.port)/healthz"])
        #expect(plain.status != 0 && plain.output != "200", "plain HTTP got \(plain)")
        #expect(try Self.curl(ca + ["\(url)/healthz"]).output == "200")
        // A flood of wrong passwords from one address is cut short (no bcrypt check per attempt): a wrong
        // password and an unknown user were tried above, the budget of 5 takes three more, then 429. The
        // remembered login still works.
        for _ in 0..<3 { #expect(try Self.curl(ca + ["-u", "prometheus:guess", "\(url)/metrics"]).output == "401") }
        #expect(try Self.curl(ca + ["-u", "prometheus:guess", "\(url)/metrics"]).output == "429")
        #expect(try Self.curl(ca + ["-u", "prometheus:s3cret-Pa55", "\(url)/metrics"]).output == "200")
    }

    @Test(arguments: [
        ("basic_auth_users:\n  alice: plaintext\n", "web.yml:2: basic_auth_users.alice: must be a bcrypt hash"),
        ("tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n", "web.yml:2: tls_server_config.cert_file: cannot read"),
        ("tls_server_config:\n  cert_file: server.crt\n", "web.yml:2: tls_server_config.key_file: is required"),
        ("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n",
         "web.yml:4: tls_server_config.client_auth_type: is not supported by lagwatch"),
        ("http_server_config:\n  http2: false\n", "web.yml:2: http_server_config: is not supported by lagwatch"),
        ("basic_auth_user:\n  alice: x\n", "web.yml:1: basic_auth_user: unknown key"),
        ("basic_auth_users:\n  alice: \"$2y$99$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n", "web.yml:2: basic_auth_users.alice: bcrypt cost 99 is above lagwatch's maximum of 14"),
        ("basic_auth_users:\n  alice: \"$2y$31$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n", "web.yml:2: basic_auth_users.alice: bcrypt cost 31 is above"),
        ("basic_auth_users:\n  alice: \"$2y$10$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\"\n", "web.yml:2: basic_auth_users.alice: is not a bcrypt hash: character 60"),
        ("basic_auth_users: {}\n", "web.yml:1: basic_auth_users: lists no user"),
        ("basic_auth_users:\n  \"ops:team\": \"$2y$10$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n", "web.yml:2: basic_auth_users.ops:team: a user name cannot contain ':'"),
        ("tls_server_config:\n  cert_file: server.crt\n  key_file: other.key\n",
         "web.yml: tls_server_config: the key 'other.key' was not accepted with the certificate 'server.crt'"),
        ("tls_server_config:\n  cert_file: server.crt\n  key_file: encrypted.key\n",
         "web.yml: tls_server_config: the key 'encrypted.key' was not accepted"),
    ])
    func malformedWebConfigurationsAreRefusedAtStart(text: String, expected: String) throws {
        let directory = try Self.makeCertificates()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/web.yml"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let (process, errors) = try OperationsTests.launch(
            ["run", "--kafka.server", "127.0.0.1:1", "--web.listen-address", "127.0.0.1:0", "--web.config.file", file])
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 2)
        #expect(message.contains(expected.replacingOccurrences(of: "web.yml", with: file)), "\(message)")
        #expect(!message.contains("BEGIN"), "no key material in the error")
    }
}
