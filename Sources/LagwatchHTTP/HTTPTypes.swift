/// One HTTP request, as much of it as lagwatch's handlers look at.
public struct HTTPRequest: Sendable {
    /// The method, such as `GET`.
    public var method: String
    /// The path, without the query string.
    public var path: String
    /// True when `Accept-Encoding` lists gzip.
    public var acceptsGzip: Bool
    /// The `Authorization` header, when sent.
    public var authorization: String?
    /// The client's IP address as text, when known.
    public var clientAddress: String?
    /// The query string's arguments, percent-decoded, in the order sent (a key without `=` has an empty value).
    public var query: [(name: String, value: String)]

    /// Creates a request.
    public init(
        method: String,
        path: String,
        acceptsGzip: Bool,
        authorization: String? = nil,
        clientAddress: String? = nil,
        query: [(name: String, value: String)] = []
    ) {
        self.query = query
        self.method = method
        self.path = path
        self.acceptsGzip = acceptsGzip
        self.authorization = authorization
        self.clientAddress = clientAddress
    }
}

/// A body produced a block at a time while it is sent. Called on the server thread, one block per call:
/// each call must be quick.
public protocol HTTPBodyStream: AnyObject, Sendable {
    /// The total length in bytes, sent as `Content-Length`.
    var length: UInt64 { get }
    /// Writes the next bytes into `buffer` and returns how many; 0 means the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int
}

/// A response: status, headers and a body made of pieces sent one after another without copying, or
/// produced as it is sent.
public struct HTTPResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Header names and values; `Content-Type` belongs here.
    public var headers: [(String, String)]
    /// The body's pieces, in order (ignored when ``stream`` is set).
    public var body: [ByteBuffer]
    /// A body produced while it is sent, instead of ``body``.
    public var stream: (any HTTPBodyStream)?

    /// Creates a response.
    public init(status: Int, headers: [(String, String)], body: [ByteBuffer]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Creates a response whose body is produced as it is sent.
    public init(status: Int, headers: [(String, String)], stream: any HTTPBodyStream) {
        self.status = status
        self.headers = headers
        self.body = []
        self.stream = stream
    }

    /// The whole body as bytes, reading ``stream`` to its end if there is one (for tests and small bodies).
    public func collectBody() -> [UInt8] {
        guard let stream else { return body.flatMap(\.bytes) }
        var out: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = block.withUnsafeMutableBytes { stream.read(into: $0) }
            if count == 0 { return out }
            out.append(contentsOf: block[0..<count])
        }
    }

    /// A short plain-text response.
    public static func text(_ status: Int, _ text: String, headers: [(String, String)] = []) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: [("Content-Type", "text/plain; charset=utf-8")] + headers,
            body: [ByteBuffer(Array(text.utf8))])
    }
}

/// What a handler answers: a response ready now, or the work that will make one, for answers too slow to
/// build on the server thread (a password check, a page). The server runs that work on one of its worker
/// threads while it goes on serving other connections, then sends the response it returns.
public enum HTTPAnswer: Sendable {
    /// Send this response.
    case now(HTTPResponse)
    /// Run this on a worker thread and send what it returns.
    case later(@Sendable () -> HTTPResponse)

    /// A short plain-text response, now.
    public static func text(_ status: Int, _ text: String, headers: [(String, String)] = []) -> HTTPAnswer {
        .now(.text(status, text, headers: headers))
    }
}

/// Answers requests. Called on the server's own thread, one request at a time: it must return quickly and
/// never wait for Kafka; anything slower than handing out a prebuilt body belongs in ``HTTPAnswer/later(_:)``.
public typealias HTTPHandler = @Sendable (HTTPRequest) -> HTTPAnswer
