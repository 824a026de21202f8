internal import CMicroHTTPD
import Glibc
import Synchronization

/// An HTTP/1.1 server on libmicrohttpd: one internal epoll thread, non-blocking sockets, bounded
/// connections and an idle timeout, so a slow or hostile client cannot hold up scrapes.
///
/// Answers a handler gives ``HTTPAnswer/now(_:)`` are sent from the server thread. For
/// ``HTTPAnswer/later(_:)`` the connection is suspended (libmicrohttpd stops watching it), the work goes to
/// a ``WorkerPool``, and the worker resumes the connection with its response; meanwhile the server thread
/// serves every other connection.
///
/// Owns the `MHD_Daemon`. Call ``stop()`` before releasing it; `deinit` only checks that it was called.
/// ``stop()`` may come from any thread: the daemon pointer and the PEM copies are under one lock.
public final class HTTPServer: Sendable {
    /// Limits that keep one client from starving the others.
    public struct Limits: Sendable {
        /// Connections open at once; more wait in the kernel's listen queue. High on purpose: an idle or
        /// slow connection costs one file descriptor and a few KiB on the one epoll thread, while a low
        /// limit is what let a few hundred idle clients keep every scrape out (128 did, at 150 slowloris
        /// connections). The process's file limit is raised to fit it (see ``raiseFileLimit(toFit:)``).
        public var maxConnections: UInt32 = 4096
        /// Seconds a connection may sit idle before it is closed.
        public var idleTimeoutSeconds: UInt32 = 15
        /// Threads that build ``HTTPAnswer/later(_:)`` answers. Two: a bcrypt check or a page at a time each,
        /// leaving the second core to the server thread and the poll.
        public var workerThreads = 2
        /// ``HTTPAnswer/later(_:)`` answers that may wait for a worker; past that the request gets 503.
        public var workerQueue = 64
        /// Creates the defaults.
        public init() {}
    }

    /// Why the server could not start.
    public struct StartError: Error, CustomStringConvertible, Sendable {
        /// What went wrong, naming the address.
        public let description: String
    }

    /// A certificate chain and its private key, both PEM, for HTTPS.
    public struct TLS: Sendable {
        /// The server certificate, followed by any intermediates.
        public var certificatePEM: String
        /// The certificate's private key.
        public var keyPEM: String
        /// Creates TLS settings.
        public init(certificatePEM: String, keyPEM: String) {
            self.certificatePEM = certificatePEM
            self.keyPEM = keyPEM
        }
    }

    /// What ``stop()`` releases (`nil` once stopped): the running daemon, the handler box it calls, and
    /// the C copies of the PEM texts handed to libmicrohttpd.
    private struct Running {
        var daemon: OpaquePointer
        var context: Unmanaged<HandlerBox>
        var pemCopies: [UnsafeMutablePointer<CChar>]
    }
    private let running: Mutex<Running?>
    /// The port bound, useful when the configured port was 0.
    public let port: UInt16

    /// Binds `address` (`[HOST]:PORT`; empty host means all addresses) and starts serving with `handler`.
    ///
    /// - Throws: ``StartError`` when the address cannot be parsed or bound (for example, already in use).
    public init(
        listenAddress address: String,
        limits: Limits = Limits(),
        tls: TLS? = nil,
        handler: @escaping HTTPHandler
    ) throws {
        let (host, port) = try Self.split(address)
        if tls != nil, MHD_is_feature_supported(MHD_FEATURE.FEATURE_TLS) != MHD_Result.YES {
            throw StartError(description: "this libmicrohttpd was built without TLS support")
        }
        let connectionLimit = Self.raiseFileLimit(toFit: limits.maxConnections)
        // Suspend and resume need libmicrohttpd's inter-thread channel, which this flag turns on.
        var flags = MHD_USE_EPOLL_INTERNAL_THREAD.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
        var storage = sockaddr_storage()
        guard let family = Self.socketAddress(host: host, port: port, into: &storage) else {
            throw StartError(description: "--web.listen-address '\(address)': cannot resolve host '\(host)'")
        }
        flags |= family
        let box = Unmanaged.passRetained(HandlerBox(
            handler, workers: WorkerPool(threads: limits.workerThreads, capacity: limits.workerQueue, name: "lagwatch-web")))
        var copies: [UnsafeMutablePointer<CChar>] = []
        var tlsOptions: [any CVarArg] = []
        if let tls {
            flags |= MHD_USE_TLS.rawValue
            // strdup'd so the texts outlive this call; libmicrohttpd reads them when it starts.
            let key = strdup(tls.keyPEM)!, certificate = strdup(tls.certificatePEM)!
            copies = [key, certificate]
            tlsOptions = [
                Int32(MHD_OPTION.HTTPS_MEM_KEY.rawValue), UnsafePointer(key),
                Int32(MHD_OPTION.HTTPS_MEM_CERT.rawValue), UnsafePointer(certificate),
            ]
        }
        // The completion callback, then its closure argument (none: a null pointer, as a 64-bit zero).
        let completion: [any CVarArg] = [
            Int32(MHD_OPTION.NOTIFY_COMPLETED.rawValue), unsafeBitCast(requestCompleted, to: OpaquePointer.self), Int(0),
        ]
        let started: OpaquePointer? = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                let options: [any CVarArg] = [
                    Int32(MHD_OPTION.CONNECTION_LIMIT.rawValue), connectionLimit,
                    Int32(MHD_OPTION.CONNECTION_TIMEOUT.rawValue), limits.idleTimeoutSeconds,
                    Int32(MHD_OPTION.SOCK_ADDR.rawValue), OpaquePointer(socketAddress),
                ]
                return withVaList(options + completion + tlsOptions + [Int32(MHD_OPTION.END.rawValue)]) { arguments in
                    MHD_start_daemon_va(UInt32(flags), port, nil, nil, accessHandler, box.toOpaque(), arguments)
                }
            }
        }
        guard let started else {
            box.takeUnretainedValue().workers.stop()
            box.release()
            for copy in copies { free(copy) }
            let reason = errno == EADDRINUSE ? "address already in use"
                : tls != nil && errno == 0 ? "the TLS certificate or key was not accepted" : String(cString: strerror(errno))
            throw StartError(description: "cannot listen on '\(address)': \(reason)")
        }
        self.port = CMicroHTTPD_bound_port(started)
        running = Mutex(Running(daemon: started, context: box, pemCopies: copies))
    }

    /// Requests whose answer a worker is building or will build (their connections are suspended).
    public var waitingAnswers: Int {
        running.withLock { $0?.context.takeUnretainedValue().suspendedCount ?? 0 }
    }

    /// Raises the soft limit on open files so that `connections` fit beside what the rest of the process
    /// keeps open (Kafka sockets, log and data files: 512 are left for them), as far as the hard limit allows
    /// (systemd's default soft limit is 1,024). Returns the connection limit that fits.
    public static func raiseFileLimit(toFit connections: UInt32) -> UInt32 {
        let reserve: rlim_t = 512
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return connections }
        let wanted = rlim_t(connections) + reserve
        if limit.rlim_cur < wanted {
            var raised = limit
            raised.rlim_cur = min(limit.rlim_max, wanted)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return UInt32(clamping: min(rlim_t(connections), limit.rlim_cur > reserve * 2 ? limit.rlim_cur - reserve : limit.rlim_cur / 2))
    }

    /// Fills `storage` with the address to bind and returns the flags its family needs: every address of
    /// both families for an empty host (one dual-stack IPv6 socket), else the host's first address.
    /// `nil` when the host does not resolve.
    private static func socketAddress(host: String, port: UInt16, into storage: inout sockaddr_storage) -> UInt32? {
        guard host.isEmpty else {
            guard resolve(host, port: port, into: &storage) else { return nil }
            return storage.ss_family == sa_family_t(AF_INET6) ? MHD_USE_IPv6.rawValue : 0
        }
        var address6 = sockaddr_in6()
        address6.sin6_family = sa_family_t(AF_INET6)
        address6.sin6_port = port.bigEndian
        address6.sin6_addr = in6addr_any
        withUnsafeBytes(of: address6) { raw in
            withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: raw) }
        }
        return MHD_USE_DUAL_STACK.rawValue
    }

    /// Stops accepting, closes connections (those waiting for a worker too) and joins the server thread; it
    /// does not wait for the workers (a password check still running is abandoned).
    /// Idempotent.
    public func stop() {
        running.withLock { running in
            guard let stopping = running.take() else { return }
            let box = stopping.context.takeUnretainedValue()
            // libmicrohttpd must not be stopped with a connection suspended: resume them all first.
            box.closeSuspended()
            box.workers.stop()
            MHD_stop_daemon(stopping.daemon)
            stopping.context.release()
            for copy in stopping.pemCopies { free(copy) }
        }
    }

    deinit {
        assert(running.withLock { $0 == nil }, "HTTPServer released without stop()")
    }

    // MARK: - Address parsing

    static func split(_ address: String) throws -> (host: String, port: UInt16) {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...])
        else {
            throw StartError(description: "--web.listen-address '\(address)' is not [HOST]:PORT")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    private static func resolve(_ host: String, port: UInt16, into storage: inout sockaddr_storage) -> Bool {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else { return false }
        defer { freeaddrinfo(result) }
        withUnsafeMutableBytes(of: &storage) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: Int(first.pointee.ai_addrlen)))
        }
        return true
    }
}

/// Holds the handler, the workers and the suspended connections for the C callbacks; reached through the
/// daemon's `cls` pointer.
private final class HandlerBox: Sendable {
    let handler: HTTPHandler
    let workers: WorkerPool
    /// The connections suspended while a worker builds their answer, and whether the server is closing (then
    /// nothing more is suspended). Whoever removes a connection from here resumes it, exactly once; the lock
    /// is held while it does, so ``closeSuspended()`` cannot miss a resumption in flight.
    private let suspended = Mutex<(closing: Bool, connections: [ObjectIdentifier: OpaquePointer])>((false, [:]))

    init(_ handler: @escaping HTTPHandler, workers: WorkerPool) {
        self.handler = handler
        self.workers = workers
    }

    /// Suspends `connection` and hands `work` to a worker, which resumes it with `pending`'s response.
    /// False when the server is closing (nothing was suspended).
    func suspend(_ connection: OpaquePointer, until work: @escaping @Sendable () -> HTTPResponse, pending: PendingAnswer) -> Bool {
        let suspendedNow = suspended.withLock { state in
            guard !state.closing else { return false }
            state.connections[ObjectIdentifier(pending)] = connection
            MHD_suspend_connection(connection)
            return true
        }
        guard suspendedNow else { return false }
        let submitted = workers.submit { [self] in resume(pending, with: work()) }
        if !submitted {
            resume(pending, with: .text(503, "503 busy: too many requests waiting; try again\n", headers: [("Retry-After", "1")]))
        }
        return true
    }

    /// Gives `pending` its response and resumes its connection, unless ``closeSuspended()`` did already.
    func resume(_ pending: PendingAnswer, with response: HTTPResponse) {
        pending.response.withLock { $0 = response }
        suspended.withLock { state in
            guard let connection = state.connections.removeValue(forKey: ObjectIdentifier(pending)) else { return }
            MHD_resume_connection(connection)
        }
    }

    /// Connections suspended now.
    var suspendedCount: Int { suspended.withLock { $0.connections.count } }

    /// Resumes every suspended connection (libmicrohttpd then closes them as it stops) and suspends no more.
    func closeSuspended() {
        suspended.withLock { state in
            state.closing = true
            for connection in state.connections.values { MHD_resume_connection(connection) }
            state.connections = [:]
        }
    }
}

/// The answer a worker builds for a suspended connection; the server thread sends it once the connection
/// is resumed. Stored (retained) in the request's context pointer until libmicrohttpd says the request ended.
private final class PendingAnswer: Sendable {
    /// Set by the worker (or left nil when the server closed first: then 503 is sent).
    let response = Mutex<HTTPResponse?>(nil)
}

/// Keeps a response's body alive until libmicrohttpd has sent it, then is released by `releaseBody`.
private final class BodyBox {
    let pieces: [ByteBuffer]
    init(_ pieces: [ByteBuffer]) { self.pieces = pieces }
}

/// A marker for "first call for this request seen": its address is stored in `*con_cls`.
nonisolated(unsafe) private var firstCallMarker: UInt8 = 0

/// libmicrohttpd's access handler, called on the server thread (parameter types must match the C import).
/// The first call of a request only marks it; the response is queued on a later call, which lets
/// libmicrohttpd keep the connection alive (answering on the first call makes it send `Connection: close`).
private func accessHandler(
    _ cls: UnsafeMutableRawPointer?,
    _ connection: OpaquePointer?,
    _ url: UnsafePointer<CChar>?,
    _ method: UnsafePointer<CChar>?,
    _ version: UnsafePointer<CChar>?,
    _ uploadData: UnsafePointer<CChar>?,
    _ uploadDataSize: UnsafeMutablePointer<Int>?,
    _ requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> MHD_Result {
    guard let cls, let connection, let url, let method, let requestContext else { return MHD_Result.NO }
    let marker = withUnsafeMutablePointer(to: &firstCallMarker) { UnsafeMutableRawPointer($0) }
    guard let context = requestContext.pointee else {
        requestContext.pointee = marker
        return MHD_Result.YES
    }
    if context != marker {
        // Resumed after a worker built the answer (or after the server began closing).
        let pending = Unmanaged<PendingAnswer>.fromOpaque(context).takeUnretainedValue()
        let response = pending.response.withLock { $0.take() }
            ?? .text(503, "503 shutting down\n")
        return queue(response, on: connection)
    }
    // Discard any request body; no endpoint takes one.
    if let uploadDataSize, uploadDataSize.pointee != 0 {
        uploadDataSize.pointee = 0
        return MHD_Result.YES
    }
    let encoding = MHD_lookup_connection_value(connection, MHD_ValueKind.HEADER_KIND, "Accept-Encoding")
        .map { String(cString: $0) } ?? ""
    let authorization = MHD_lookup_connection_value(connection, MHD_ValueKind.HEADER_KIND, "Authorization")
        .map { String(cString: $0) }
    var address = [CChar](repeating: 0, count: 64)
    let client = CMicroHTTPD_client_address(connection, &address, socklen_t(address.count)) == 1
        ? String(decoding: address.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
    var arguments = QueryArguments()
    withUnsafeMutablePointer(to: &arguments) { pointer in
        _ = MHD_get_connection_values(connection, MHD_ValueKind.GET_ARGUMENT_KIND, collectArgument, pointer)
    }
    let request = HTTPRequest(
        method: String(cString: method), path: String(cString: url),
        acceptsGzip: acceptsGzip(encoding), authorization: authorization, clientAddress: client,
        query: arguments.pairs)
    let box = Unmanaged<HandlerBox>.fromOpaque(cls).takeUnretainedValue()
    switch box.handler(request) {
    case .now(let response):
        return queue(response, on: connection)
    case .later(let work):
        let pending = PendingAnswer()
        requestContext.pointee = Unmanaged.passRetained(pending).toOpaque()  // released by requestCompleted
        guard box.suspend(connection, until: work, pending: pending) else {
            return queue(.text(503, "503 shutting down\n"), on: connection)
        }
        return MHD_Result.YES
    }
}

/// The query arguments of one request, gathered by ``collectArgument`` (as many as fit in libmicrohttpd's
/// per-connection memory, which bounds the request line).
private struct QueryArguments {
    var pairs: [(name: String, value: String)] = []
}

/// libmicrohttpd's iterator over a request's query arguments (already percent-decoded).
private let collectArgument: @convention(c) (
    UnsafeMutableRawPointer?, MHD_ValueKind, UnsafePointer<CChar>?, UnsafePointer<CChar>?
) -> MHD_Result = { context, _, key, value in
    guard let context, let key else { return MHD_Result.YES }
    let arguments = context.assumingMemoryBound(to: QueryArguments.self)
    arguments.pointee.pairs.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
    return MHD_Result.YES
}

/// Called by libmicrohttpd when a request has ended, however it ended: releases a ``PendingAnswer``.
private let requestCompleted: @convention(c) (
    UnsafeMutableRawPointer?, OpaquePointer?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?, MHD_RequestTerminationCode
) -> Void = { _, _, requestContext, _ in
    guard let requestContext, let context = requestContext.pointee else { return }
    requestContext.pointee = nil
    let marker = withUnsafeMutablePointer(to: &firstCallMarker) { UnsafeMutableRawPointer($0) }
    if context != marker { Unmanaged<PendingAnswer>.fromOpaque(context).release() }
}

/// Hands `response` to libmicrohttpd for `connection`. HEAD gets the GET response: libmicrohttpd sends its
/// headers, Content-Length included, and no body.
private func queue(_ response: HTTPResponse, on connection: OpaquePointer) -> MHD_Result {
    let mhdResponse: OpaquePointer?
    if let stream = response.stream {
        let box = Unmanaged.passRetained(StreamBox(stream))
        mhdResponse = MHD_create_response_from_callback(stream.length, 64 * 1024, readStream, box.toOpaque(), releaseStream)
        if mhdResponse == nil { box.release() }
    } else {
        let body = Unmanaged.passRetained(BodyBox(response.body))
        let vectors = response.body.map { MHD_IoVec(iov_base: UnsafeRawPointer($0.storage.baseAddress), iov_len: $0.count) }
        mhdResponse = vectors.withUnsafeBufferPointer { buffer in
            MHD_create_response_from_iovec(buffer.baseAddress, UInt32(buffer.count), releaseBody, body.toOpaque())
        }
        if mhdResponse == nil { body.release() }
    }
    guard let mhdResponse else { return MHD_Result.NO }
    for (name, value) in response.headers {
        _ = MHD_add_response_header(mhdResponse, name, value)
    }
    // Every answer says what it is: no browser may guess HTML into a JSON or text body.
    _ = MHD_add_response_header(mhdResponse, "X-Content-Type-Options", "nosniff")
    let result = MHD_queue_response(connection, UInt32(response.status), mhdResponse)
    MHD_destroy_response(mhdResponse)
    return result
}

/// Keeps a streamed body alive until libmicrohttpd has sent it.
private final class StreamBox {
    let stream: any HTTPBodyStream
    init(_ stream: any HTTPBodyStream) { self.stream = stream }
}

/// libmicrohttpd's content reader, called on the server thread for each block of a streamed body.
private func readStream(_ context: UnsafeMutableRawPointer?, _ position: UInt64, _ buffer: UnsafeMutablePointer<CChar>?, _ max: Int) -> Int {
    guard let context, let buffer else { return -1 }
    let stream = Unmanaged<StreamBox>.fromOpaque(context).takeUnretainedValue().stream
    let count = stream.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: max))
    // MHD_CONTENT_READER_END_OF_STREAM is (ssize_t)-1.
    return count > 0 ? count : -1
}

private func releaseStream(_ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    Unmanaged<StreamBox>.fromOpaque(context).release()
}

/// Called by libmicrohttpd when a response's body is no longer needed.
private func releaseBody(_ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    Unmanaged<BodyBox>.fromOpaque(context).release()
}

/// True when an `Accept-Encoding` value lists gzip (with any quality but 0).
func acceptsGzip(_ header: String) -> Bool {
    header.split(separator: ",").contains { entry in
        let parts = entry.split(separator: ";").map { $0.filter { $0 != " " && $0 != "\t" }.lowercased() }
        return parts.first == "gzip" && !parts.dropFirst().contains { $0 == "q=0" || $0 == "q=0.0" || $0 == "q=0.000" }
    }
}
