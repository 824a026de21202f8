import Glibc
public import LagwatchConfig
public import Logging

/// Writes log events to standard error as text, logfmt or JSON, one line each. Values come from lagwatch's
/// own metadata, which never carries secrets (librdkafka property values are never logged).
public struct LogOutput: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let format: LogFormat
    private let output: Int32

    /// Creates a handler writing to the file descriptor `output` (2, standard error, unless a test says).
    public init(label: String, format: LogFormat, level: Logger.Level, output: Int32 = 2) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.output = output
    }

    /// Bootstraps swift-log with this handler for the whole process.
    public static func bootstrap(format: LogFormat, level: LogLevel) {
        let swiftLevel: Logger.Level =
            switch level {
            case .debug: .debug
            case .info: .info
            case .warning: .warning
            case .error: .error
            }
        LoggingSystem.bootstrap { label in LogOutput(label: label, format: format, level: swiftLevel) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let line = Self.format(
            format, time: WallClock.now(), level: event.level, message: "\(event.message)", metadata: merged)
        // One write(2) per line, so lines from several threads never interleave.
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { _ = write(output, $0.baseAddress, $0.count) }
    }

    /// Formats one event as a line ending in a newline.
    public static func format(
        _ format: LogFormat,
        time: Double,
        level: Logger.Level,
        message: String,
        metadata: Logger.Metadata
    ) -> String {
        let timestamp = isoTime(time)
        let pairs = metadata.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") }
        switch format {
        case .text:
            let rest = pairs.map { "\($0.0)=\(logfmtValue($0.1))" }.joined(separator: " ")
            let levelText = level.rawValue.uppercased().padding(7)
            return "\(timestamp) \(levelText) \(message)\(rest.isEmpty ? "" : "  \(rest)")\n"
        case .logfmt:
            let head = "time=\(timestamp) level=\(level.rawValue) msg=\(logfmtValue(message))"
            return ([head] + pairs.map { "\($0.0)=\(logfmtValue($0.1))" }).joined(separator: " ") + "\n"
        case .json:
            let fields = [("time", timestamp), ("level", level.rawValue), ("msg", message)] + pairs
            return "{" + fields.map { "\(jsonString($0.0)):\(jsonString($0.1))" }.joined(separator: ",") + "}\n"
        }
    }

    static func logfmtValue(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0.isNewline }
        guard needsQuotes else { return value }
        return "\"" + value.replacingAll(["\\": "\\\\", "\"": "\\\"", "\n": "\\n"]) + "\""
    }

    static func jsonString(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// RFC 3339 UTC with milliseconds.
    static func isoTime(_ time: Double) -> String {
        // Milliseconds rounded from the whole time: the fraction of a Double time is rarely exact (…0.123
        // is stored as …0.12299…), and truncating it would print the millisecond before.
        let total = Int64((time * 1000).rounded())
        var seconds = time_t(total / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = Int(total % 1000)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let ms = millis < 10 ? "00\(millis)" : (millis < 100 ? "0\(millis)" : "\(millis)")
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(ms)Z"
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    fileprivate func replacingAll(_ replacements: [Character: String]) -> String {
        var out = ""
        for character in self { out += replacements[character] ?? String(character) }
        return out
    }
}
