internal import CMicroHTTPD
import Glibc
import Synchronization

/// An HTTP/1.1 server on libmicrohttpd: one internal epoll thread, non-blocking sockets, bounded
/// connections and an idle timeout, so a slow or hostile client cannot hold up scrapes.
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
        var flags = MHD_USE_EPOLL_INTERNAL_THREAD.rawValue
        var storage = sockaddr_storage()
        guard let family = Self.socketAddress(host: host, port: port, into: &storage) else {
            throw StartError(description: "--web.listen-address '\(address)': cannot resolve host '\(host)'")
        }
        flags |= family
        let box = Unmanaged.passRetained(HandlerBox(handler))
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
        let started: OpaquePointer? = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                withVaList([
                    Int32(MHD_OPTION.CONNECTION_LIMIT.rawValue), connectionLimit,
                    Int32(MHD_OPTION.CONNECTION_TIMEOUT.rawValue), limits.idleTimeoutSeconds,
                    Int32(MHD_OPTION.SOCK_ADDR.rawValue), OpaquePointer(socketAddress),
                ] + tlsOptions + [Int32(MHD_OPTION.END.rawValue)]) { arguments in
                    MHD_start_daemon_va(UInt32(flags), port, nil, nil, accessHandler, box.toOpaque(), arguments)
                }
            }
        }
        guard let started else {
            box.release()
            for copy in copies { free(copy) }
            let reason = errno == EADDRINUSE ? "address already in use"
                : tls != nil && errno == 0 ? "the TLS certificate or key was not accepted" : String(cString: strerror(errno))
            throw StartError(description: "cannot listen on '\(address)': \(reason)")
        }
        self.port = CMicroHTTPD_bound_port(started)
        running = Mutex(Running(daemon: started, context: box, pemCopies: copies))
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

    /// Stops accepting, closes connections and joins the server thread. Idempotent.
    public func stop() {
        running.withLock { running in
            guard let stopping = running.take() else { return }
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

/// Holds the handler for the C callback; reached through the daemon's `cls` pointer.
private final class HandlerBox: Sendable {
    let handler: HTTPHandler
    init(_ handler: @escaping HTTPHandler) { self.handler = handler }
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
    if requestContext.pointee == nil {
        requestContext.pointee = withUnsafeMutablePointer(to: &firstCallMarker) { UnsafeMutableRawPointer($0) }
        return MHD_Result.YES
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
    let request = HTTPRequest(
        method: String(cString: method), path: String(cString: url),
        acceptsGzip: acceptsGzip(encoding), authorization: authorization, clientAddress: client)
    let handler = Unmanaged<HandlerBox>.fromOpaque(cls).takeUnretainedValue().handler
    // HEAD gets the GET response: libmicrohttpd sends its headers, Content-Length included, and no body.
    let response = handler(request)
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
