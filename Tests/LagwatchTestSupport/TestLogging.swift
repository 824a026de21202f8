public import Logging
public import Synchronization

/// A log handler that keeps every line in memory, so tests can assert on what was (or was not) logged.
public final class CollectingLogHandler: LogHandler, @unchecked Sendable {
    /// Everything logged so far, as `level message metadata` lines.
    public let lines = Mutex<[String]>([])
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init() {}

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let line = "\(event.level) \(event.message) \(merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"
        lines.withLock { $0.append(line) }
    }

    /// A copy of the lines logged so far.
    public var snapshot: [String] { lines.withLock { $0 } }
}

/// Loggers for tests.
public enum TestLogger {
    /// A logger that drops everything below warning (librdkafka is chatty when brokers go down).
    public static func quiet(_ label: String = "test") -> Logger {
        var logger = Logger(label: label) { _ in SwiftLogNoOpLogHandler() }
        logger.logLevel = .critical
        return logger
    }

    /// A logger whose lines are kept by the returned handler.
    public static func collecting(level: Logger.Level = .trace) -> (Logger, CollectingLogHandler) {
        let handler = CollectingLogHandler()
        handler.logLevel = level
        return (Logger(label: "test") { _ in handler }, handler)
    }
}
