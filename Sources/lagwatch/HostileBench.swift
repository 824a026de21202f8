import ArgumentParser
import Glibc
import LagwatchDaemon
import LagwatchHTTP
import LagwatchKafka

/// `lagwatch bench --hostile`: a child `lagwatch demo` on a loopback port, and the latency of fresh
/// scrapes (`/metrics` gzip and `/healthz`, a new connection each) while clients that never finish hold
/// connections open: none, 1,000 idle connections, then 300 slowloris requests (headers sent a line at a
/// time, never ended). Prints p50, p99 and max per case.
struct HostileBench {
    let scrapes: Int

    func run() throws {
        // This process holds a connection per client it plays.
        _ = HTTPServer.raiseFileLimit(toFit: 2_000)
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
        for _ in 0..<1_000 { if let fd = try? BenchHTTP.connect(port: port) { held.append(fd) } }
        measure("\(held.count) idle connections held", port: port)
        for fd in held { close(fd) }
        held = []
        for index in 0..<300 {
            guard let fd = try? BenchHTTP.connect(port: port) else { continue }
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

    private func send(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL))
    }
}
