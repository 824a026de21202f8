import Dispatch
import LagwatchConfig
import LagwatchDaemon
import LagwatchModel
import LagwatchTestSupport
import Testing

/// A daemon (not started) polling one cluster, "fake", through `fake`, every 15 s, on a free loopback port.
private func fakeClusterDaemon(_ fake: FakeClusterClient) throws -> Daemon {
    var cluster = ClusterConfiguration(name: "fake", bootstrapServers: ["fake:1"])
    cluster.discoverGroups = false
    return try Daemon(
        configuration: EndToEndTests.configuration(cluster, interval: 15), logger: TestLogger.quiet(),
        makeClient: { _ in { fake } })
}

/// `/readyz` answers 503 until the first poll has published a snapshot, and 200 after; `/healthz` is 200
/// throughout. The first poll is held inside the fake client's metadata call, so the order is certain.
@Suite struct ReadinessTests {
    @Test func notReadyUntilTheFirstPollHasFinished() throws {
        let fake = FakeClusterClient(metadata: fakeMetadata(["t": 1]))
        fake.watermarks = [TopicPartition("t", 0): Watermarks(low: 0, high: 3)]
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let metadata = fakeMetadata(["t": 1])
        fake.onMetadata = {
            entered.signal()
            release.wait()
            return metadata
        }
        let daemon = try fakeClusterDaemon(fake)
        try daemon.start()
        defer {
            release.signal()
            daemon.stop()
        }
        #expect(entered.wait(timeout: .now() + 10) == .success)
        #expect(try TestHTTPClient.request(port: daemon.port, path: "/readyz").status == 503)
        #expect(try TestHTTPClient.request(port: daemon.port, path: "/healthz").status == 200)
        // Later polls must not block either.
        fake.onMetadata = { metadata }
        release.signal()
        #expect(try eventually(within: 15) { try TestHTTPClient.request(port: daemon.port, path: "/readyz").status == 200 })
    }
}

/// A daemon starts once: a second start, or a start after stop, is refused without binding or polling.
@Suite struct DaemonLifecycleTests {
    @Test func aSecondStartIsRefusedAndTheFirstKeepsServing() throws {
        let fake = FakeClusterClient(metadata: fakeMetadata(["t": 1]))
        let daemon = try fakeClusterDaemon(fake)
        #expect(daemon.port == 0)
        try daemon.start()
        let port = daemon.port
        #expect(port != 0)
        #expect(throws: Daemon.AlreadyStarted.self) { try daemon.start() }
        #expect(daemon.port == port)
        #expect(try TestHTTPClient.request(port: port, path: "/healthz").status == 200)
        daemon.stop()
        #expect(daemon.port == 0)
        #expect(throws: Daemon.AlreadyStarted.self) { try daemon.start() }
        #expect(throws: (any Error).self) { try TestHTTPClient.request(port: port, path: "/healthz") }
    }
}
