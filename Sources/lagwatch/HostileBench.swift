import ArgumentParser
import Glibc
import LagwatchDaemon
import LagwatchKafka

/// `lagwatch bench --hostile`: a child `lagwatch demo` on a loopback port, and the latency of fresh
/// scrapes (`/metrics` gzip and `/healthz`, a new connection each) while clients that never finish hold
/// connections open: none, 1,000 idle connections, then 300 slowloris requests (headers sent a line at a
/// time, never ended). Prints p50, p99 and max per case.
struct HostileBench {
    let scrapes: Int

    func run() throws {
        raiseOwnFileLimit()
        let port = UInt16(20_000 + Int(getpid() % 1000))
        let child = try ChildProcess(
            ChildProcess.currentExecutable(),
            ["demo", "--web.listen-address", "127.0.0.1:\(port)", "--log.level", "error"])
        defer {
            child.terminate()
            child.wait()
        }
        let deadline = WallClock.now() + 60
        while (try? BenchHTTP.get(port: port, path: "/healthz", gzip: false)) == nil {
            guard WallClock.now() < deadline else { throw ValidationError("the child lagwatch did not answer in 60 s") }
            OSThread.sleep(seconds: 0.2)
        }
        OSThread.sleep(seconds: 6)  // a demo poll or two, so /metrics has its full body
        measure("no other client", port: port)
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        for _ in 0..<1_000 { if let fd = connect(port) { held.append(fd) } }
        measure("\(held.count) idle connections held", port: port)
        for fd in held { close(fd) }
        held = []
        for index in 0..<300 {
            guard let fd = connect(port) else { continue }
            held.append(fd)
            send(fd, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-\(index): a\r\n")
        }
        for fd in held { send(fd, "X-More: b\r\n") }
        measure("\(held.count) slowloris requests held", port: port)
    }

    /// Prints the latency of `scrapes` fresh `/metrics` (gzip) and `/healthz` requests.
    private func measure(_ label: String, port: UInt16) {
        for (path, gzip) in [("/metrics", true), ("/healthz", false)] {
            var latencies: [Double] = []
            var failures = 0
            for _ in 0..<scrapes {
                var clock = Stopwatch()
                if (try? BenchHTTP.get(port: port, path: path, gzip: gzip)) == nil { failures += 1 }
                latencies.append(clock.lap() * 1000)
            }
            latencies.sort()
            say("hostile, \(label): \(path) \(scrapes) requests, \(failures) failed; p50 \(decimal(latencies[scrapes / 2])) ms, "
                + "p99 \(decimal(latencies[scrapes * 99 / 100])) ms, max \(decimal(latencies.last!)) ms")
        }
    }

    private func connect(_ port: UInt16) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    private func send(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL))
    }

    /// This process holds a connection per client it plays: raise its own soft file limit to the hard one.
    private func raiseOwnFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
