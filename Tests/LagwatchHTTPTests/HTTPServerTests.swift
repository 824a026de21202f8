import Foundation
import Glibc
import LagwatchHTTP
import LagwatchTestSupport
import LagwatchThreads
import Synchronization
import Testing

@Suite struct HTTPServerTests {
    @Test func servesHandlerResponsesOverARealSocket() throws {
        let server = try HTTPServer(listenAddress: "127.0.0.1:0") { request in
            .text(request.path == "/hello" ? 200 : 404, "\(request.method) \(request.path) gzip=\(request.acceptsGzip)")
        }
        defer { server.stop() }
        #expect(server.port > 0)
        let ok = try TestHTTPClient.request(port: server.port, path: "/hello", headers: ["Accept-Encoding": "br, gzip;q=0.8"])
        #expect(ok.status == 200)
        #expect(ok.text == "GET /hello gzip=true")
        #expect(ok.headers["content-type"] == "text/plain; charset=utf-8")
        #expect(ok.headers["x-content-type-options"] == "nosniff")
        let missing = try TestHTTPClient.request(port: server.port, path: "/nope")
        #expect(missing.status == 404)
        let refused = try TestHTTPClient.request(port: server.port, path: "/hello", headers: ["Accept-Encoding": "gzip;q=0"])
        #expect(refused.text.hasSuffix("gzip=false"))
    }

    @Test func anEmptyHostServesIPv4AndIPv6() throws {
        // The default listen address, ":9308", has an empty host; port 0 here so the test never collides.
        let server = try HTTPServer(listenAddress: ":0") { _ in .text(200, "both") }
        defer { server.stop() }
        #expect(try TestHTTPClient.request(port: server.port, path: "/").text == "both")
        #expect(try TestHTTPClient.request(port: server.port, path: "/", ipv6: true).text == "both")
    }

    @Test func aLoopbackHostServesOnlyItsFamily() throws {
        let server = try HTTPServer(listenAddress: "127.0.0.1:0") { _ in .text(200, "v4") }
        defer { server.stop() }
        #expect(try TestHTTPClient.request(port: server.port, path: "/").text == "v4")
        #expect(throws: TestFailure.self) { try TestHTTPClient.request(port: server.port, path: "/", ipv6: true) }
    }

    @Test func aFloodOfIdleConnectionsDoesNotKeepOutAFreshRequest() throws {
        let server = try HTTPServer(listenAddress: "127.0.0.1:0") { _ in .text(200, "still here") }
        defer { server.stop() }
        // 600 connections that never send a byte, each accepted by the kernel before the request below.
        var idle: [Int32] = []
        defer { for fd in idle { close(fd) } }
        for _ in 0..<600 { idle.append(try connectToLoopbackForTest(port: server.port)) }
        let answer = try TestHTTPClient.request(port: server.port, path: "/healthz", timeoutSeconds: 5)
        #expect(answer.text == "still here")
    }

    @Test func slowlorisConnectionsDoNotKeepOutAFreshRequest() throws {
        let server = try HTTPServer(listenAddress: "127.0.0.1:0") { _ in .text(200, "still here") }
        defer { server.stop() }
        // 300 requests whose headers never end (one more line each, as slowloris sends them).
        var slow: [Int32] = []
        defer { for fd in slow { close(fd) } }
        for index in 0..<300 {
            let fd = try connectToLoopbackForTest(port: server.port)
            slow.append(fd)
            let partial = Array("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-\(index): a\r\n".utf8)
            _ = send(fd, partial, partial.count, 0)
        }
        for fd in slow { _ = send(fd, Array("X-More: b\r\n".utf8), 11, 0) }
        let answer = try TestHTTPClient.request(port: server.port, path: "/healthz", timeoutSeconds: 5)
        #expect(answer.text == "still here")
    }

    @Test func aSlowAnswerDoesNotHoldUpAQuickOne() throws {
        // The slow answer waits on a gate the test opens only after the quick one has arrived: built on the
        // server thread, it would keep the quick request out until the gate opened (the failure seen before
        // answers could be built on a worker).
        let gate = CountingSemaphore()
        let server = try HTTPServer(listenAddress: "127.0.0.1:0") { request in
            guard request.path == "/slow" else { return .text(200, "quick") }
            return .later {
                gate.wait()
                return .text(200, "slow")
            }
        }
        defer { server.stop() }
        defer { gate.signal() }  // before stop, however the test ends
        let slow = Mutex<TestHTTPResponse?>(nil)
        let port = server.port
        Thread {
            let response = try? TestHTTPClient.request(port: port, path: "/slow")
            slow.withLock { $0 = response }
        }.start()
        #expect(eventually(within: 10) { server.waitingAnswers == 1 })
        let quick = try TestHTTPClient.request(port: port, path: "/healthz", timeoutSeconds: 3)
        #expect(quick.text == "quick")
        #expect(slow.withLock { $0 == nil })
        gate.signal()
        #expect(eventually(within: 10) { slow.withLock { $0?.text == "slow" } })
        #expect(server.waitingAnswers == 0)
    }

    @Test func answersPastTheWorkerQueueGet503AndStopAbandonsTheRest() throws {
        var limits = HTTPServer.Limits()
        limits.workerThreads = 1
        limits.workerQueue = 1
        let gate = CountingSemaphore()
        let server = try HTTPServer(listenAddress: "127.0.0.1:0", limits: limits) { _ in
            .later {
                gate.wait()
                return .text(200, "built")
            }
        }
        let port = server.port
        let outcomes = Mutex<[String]>([])
        // The first occupies the one worker, the second waits in the queue of one, the third finds it full.
        for expected in 1...2 {
            Thread {
                let outcome = (try? TestHTTPClient.request(port: port, path: "/")).map { "\($0.status)" } ?? "closed"
                outcomes.withLock { $0.append(outcome) }
            }.start()
            #expect(eventually(within: 10) { server.waitingAnswers == expected })
        }
        let third = try TestHTTPClient.request(port: port, path: "/", timeoutSeconds: 3)
        #expect(third.status == 503)
        #expect(third.headers["retry-after"] == "1")
        #expect(server.waitingAnswers == 2)
        // Stopping does not wait for the gate (a password check, in the daemon): the two waiting connections
        // are resumed and the server ends while the first answer is still being built. A resumed connection
        // either gets "503 shutting down" (libmicrohttpd served it once more before stopping) or is closed;
        // which one is a race, and both are right. Neither gets the answer being built.
        server.stop()
        #expect(eventually(within: 10) { outcomes.withLock { $0.count == 2 } })
        #expect(outcomes.withLock { $0.allSatisfy { $0 == "closed" || $0 == "503" } }, "\(outcomes.withLock { $0 })")
        #expect(server.waitingAnswers == 0)
        gate.signal()
    }

    @Test func headRequestsGetHeadersOnly() throws {
        let server = try HTTPServer(listenAddress: "127.0.0.1:0") { _ in .text(200, "body") }
        defer { server.stop() }
        let head = try TestHTTPClient.request(port: server.port, method: "HEAD", path: "/")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        // The length GET would send, not 0.
        #expect(head.headers["content-length"] == "4")
        #expect(head.headers["x-content-type-options"] == "nosniff")
    }

    @Test func aSecondServerOnTheSamePortFailsWithAClearError() throws {
        let first = try HTTPServer(listenAddress: "127.0.0.1:0") { _ in .text(200, "") }
        defer { first.stop() }
        #expect {
            _ = try HTTPServer(listenAddress: "127.0.0.1:\(first.port)") { _ in .text(200, "") }
        } throws: { error in
            "\(error)".contains("address already in use") && "\(error)".contains("127.0.0.1:\(first.port)")
        }
    }

    @Test func aBadAddressIsNamed() {
        #expect { _ = try HTTPServer(listenAddress: "localhost") { _ in .text(200, "") } } throws: {
            "\($0)".contains("'localhost' is not [HOST]:PORT")
        }
    }

    @Test func largeBodiesArriveWhole() throws {
        let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let server = try HTTPServer(listenAddress: "127.0.0.1:0") { _ in
            .now(HTTPResponse(status: 200, headers: [], body: [ByteBuffer(big.prefix(123_457)), ByteBuffer(big.dropFirst(123_457))]))
        }
        defer { server.stop() }
        let response = try TestHTTPClient.request(port: server.port, path: "/")
        #expect(response.body == big)
    }
}

@Suite struct GzipTests {
    @Test func prefixAndTailMakeOneValidMember() throws {
        let body = Array(String(repeating: "kafka_consumergroup_lag{topic=\"t\"} 42\n", count: 5000).utf8)
        let tail = Array("lagwatch_snapshot_age_seconds 1.5\n".utf8)
        let pieces = Gzip.member(prefix: Gzip.prefix(body), tail: tail)
        let compressed = pieces.flatMap(\.bytes)
        #expect(compressed.count < body.count / 20)
        #expect(try TestHTTPClient.gunzip(compressed) == body + tail)
    }

    @Test func emptyPartsStillMakeAValidMember() throws {
        #expect(try TestHTTPClient.gunzip(Gzip.member(prefix: Gzip.prefix([]), tail: []).flatMap(\.bytes)) == [])
        #expect(try TestHTTPClient.gunzip(Gzip.compress(Array("x".utf8)).flatMap(\.bytes)) == Array("x".utf8))
    }

    @Test func aPrefixBuiltInChunksReadsBackAsPlainTextWithItsTail() throws {
        let text = Array(String(repeating: "lagwatch_up{cluster_name=\"a\"} 1\n", count: 40_000).utf8)
        let builder = GzipPrefixBuilder()
        for start in stride(from: 0, to: text.count, by: 7_777) { builder.append(Array(text[start..<min(text.count, start + 7_777)])) }
        let prefix = builder.finish()
        #expect(prefix.length == UInt64(text.count))
        let tail = Array("tail 1\n".utf8)
        let response = HTTPResponse(status: 200, headers: [], stream: Gzip.plainStream(prefix: prefix, tail: tail))
        #expect(response.stream?.length == UInt64(text.count + tail.count))
        #expect(response.collectBody() == text + tail)
        #expect(try TestHTTPClient.gunzip(Gzip.member(prefix: prefix, tail: tail).flatMap(\.bytes)) == text + tail)
    }

    @Test func aStreamedBodyArrivesWholeOverTheSocket() throws {
        let text = Array(String(repeating: "0123456789abcdef\n", count: 50_000).utf8)
        let prefix = Gzip.prefix(text)
        let server = try HTTPServer(listenAddress: "127.0.0.1:0") { _ in
            .now(HTTPResponse(status: 200, headers: [], stream: Gzip.plainStream(prefix: prefix, tail: Array("end\n".utf8))))
        }
        defer { server.stop() }
        let response = try TestHTTPClient.request(port: server.port, path: "/")
        #expect(response.headers["content-length"] == "\(text.count + 4)")
        #expect(response.body == text + Array("end\n".utf8))
    }

    @Test func gunzipAgreesWithTheSystemTool() throws {
        let body = Array("hello from lagwatch\n".utf8)
        let compressed = Gzip.member(prefix: Gzip.prefix(body), tail: Array("tail\n".utf8)).flatMap(\.bytes)
        let output = try ProcessRunner.run("/bin/gzip", ["-dc"], input: compressed)
        #expect(output.status == 0)
        #expect(output.stdout == Array("hello from lagwatch\ntail\n".utf8))
    }
}
