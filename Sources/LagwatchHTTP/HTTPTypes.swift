/// One HTTP request, as much of it as lagwatch's handlers look at.
public struct HTTPRequest: Sendable {
    /// The method, such as `GET`.
    public var method: String
    /// The path, without the query string.
    public var path: String
    /// True when `Accept-Encoding` lists gzip.
    public var acceptsGzip: Bool

    /// Creates a request.
    public init(method: String, path: String, acceptsGzip: Bool) {
        self.method = method
        self.path = path
        self.acceptsGzip = acceptsGzip
    }
}

/// A response: status, headers and a body made of pieces sent one after another without copying.
public struct HTTPResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Header names and values; `Content-Type` belongs here.
    public var headers: [(String, String)]
    /// The body's pieces, in order.
    public var body: [ByteBuffer]

    /// Creates a response.
    public init(status: Int, headers: [(String, String)], body: [ByteBuffer]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A short plain-text response.
    public static func text(_ status: Int, _ text: String, headers: [(String, String)] = []) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: [("Content-Type", "text/plain; charset=utf-8")] + headers,
            body: [ByteBuffer(Array(text.utf8))])
    }
}

/// Answers requests. Called on the server's own thread, one request at a time: it must return quickly and
/// never wait for Kafka.
public typealias HTTPHandler = @Sendable (HTTPRequest) -> HTTPResponse
