package import CRdKafka

/// A failure of a Kafka request or of a librdkafka client, in Swift terms.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: Sendable, Hashable {
        /// A librdkafka configuration property was rejected; the message names it.
        case configuration
        /// librdkafka could not create a client.
        case clientCreation
        /// A request did not complete in time.
        case timeout
        /// The broker or librdkafka answered with an error code.
        case broker
        /// The broker does not support the request, or refused it (ACLs).
        case unsupported
    }

    /// The kind of failure.
    public let code: Code
    /// librdkafka's error code, when there is one.
    public let rdKafkaCode: Int32?
    /// A message naming what failed.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, rdKafkaCode: Int32? = nil, _ message: String) {
        self.code = code
        self.rdKafkaCode = rdKafkaCode
        self.message = message
    }

    public var description: String { message }

    /// True when the same request may succeed on a later poll.
    public var isRetriable: Bool { code == .timeout || code == .broker }

    package init(_ err: rd_kafka_resp_err_t, context: String) {
        let text = String(cString: rd_kafka_err2str(err))
        let code: Code
        switch err {
        case RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT: code = .timeout
        case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE, RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION,
            RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
            code = .unsupported
        default: code = .broker
        }
        self.init(code, rdKafkaCode: err.rawValue, "\(context): \(text)")
    }
}
