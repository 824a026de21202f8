import Foundation
import Glibc
import LagwatchConfig
import LagwatchDaemon
import LagwatchModel
import LagwatchTestSupport
import Testing

/// A Unix datagram socket standing in for systemd's notification socket.
private final class NotifySocket {
    let path: String
    let fd: Int32

    init() throws {
        path = NSTemporaryDirectory() + "lagwatch-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw TestFailure("cannot bind \(path)") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The next datagram, or nil after 5 s.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : nil
    }

    deinit {
        close(fd)
        unlink(path)
    }
}

@Suite(.serialized) struct SystemdNotifierTests {
    @Test func readyStatusWatchdogAndStoppingReachTheNotifySocket() throws {
        let socket = try NotifySocket()
        let fake = FakeClusterClient(metadata: fakeMetadata(["t": 2]))
        fake.watermarks = [TopicPartition("t", 0): Watermarks(low: 0, high: 1), TopicPartition("t", 1): Watermarks(low: 0, high: 1)]
        var configuration = Configuration()
        var cluster = ClusterConfiguration(name: "fake", bootstrapServers: ["fake:1"])
        cluster.discoverGroups = false
        configuration.clusters = [cluster]
        configuration.listenAddress = "127.0.0.1:0"
        let daemon = try Daemon(
            configuration: configuration, logger: TestLogger.quiet(), notifier: SystemdNotifier(socketPath: socket.path),
            watchdogPingSeconds: 0.05, makeClient: { _ in { fake } })
        try daemon.start()
        var messages: [String] = []
        while messages.filter({ $0 == "WATCHDOG=1" }).count < 2 || !messages.contains(where: { $0.hasPrefix("STATUS=cluster") }),
            let message = socket.receive()
        {
            messages.append(message)
        }
        #expect(!messages.contains("STOPPING=1"))
        daemon.stop()
        // STOPPING=1 comes once stop() is called; a watchdog ping already under way may still arrive. The
        // socket's 5 s receive timeout ends the loop if STOPPING=1 never comes.
        var afterStop: [String] = []
        while let message = socket.receive() {
            afterStop.append(message)
            if message == "STOPPING=1" { break }
        }
        #expect(afterStop.last == "STOPPING=1", "\(afterStop)")
        #expect(afterStop.dropLast().allSatisfy { $0 == "WATCHDOG=1" || $0.hasPrefix("STATUS=") }, "\(afterStop)")
        // READY comes once the listener is up, before any watchdog ping.
        let ready = try #require(messages.firstIndex { $0.hasPrefix("READY=1\n") })
        #expect(messages[..<ready].allSatisfy { $0.hasPrefix("STATUS=cluster") })
        #expect(messages.contains { $0.hasPrefix("STATUS=cluster fake up: 1 brokers, 2 partitions, 0 groups, poll ") })
        #expect(messages.filter { $0 == "WATCHDOG=1" }.count >= 2)
    }

    @Test func withoutNotifySocketNothingIsSent() {
        #expect(!SystemdNotifier.fromEnvironment([:]).notify("READY=1"))
        #expect(!SystemdNotifier(socketPath: "").notify("READY=1"))
    }

    @Test func theWatchdogIntervalIsHalfOfWatchdogUsecForThisProcessOnly() {
        #expect(SystemdNotifier.watchdogPingInterval(["WATCHDOG_USEC": "60000000"]) == 30)
        #expect(SystemdNotifier.watchdogPingInterval(["WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "\(getpid())"]) == 30)
        #expect(SystemdNotifier.watchdogPingInterval(["WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "1"]) == nil)
        #expect(SystemdNotifier.watchdogPingInterval(["WATCHDOG_USEC": "nonsense"]) == nil)
        #expect(SystemdNotifier.watchdogPingInterval([:]) == nil)
    }
}
