import Foundation
import LagwatchConfig
import LagwatchDaemon
import Logging
import Testing

/// The three log formats, line by line: what a log shipper parses.
@Suite struct LogOutputTests {
    /// 2023-11-14T22:13:20.123Z; not exactly representable as a Double, as most times are not.
    let time = 1_700_000_000.123
    let metadata: Logger.Metadata = ["cluster": "prod", "error": "broker \"b1\" down\nretrying", "empty": ""]

    @Test func jsonLinesParseWithEveryFieldAndEscapedValues() throws {
        let line = LogOutput.format(.json, time: time, level: .warning, message: "Poll failed\t(partial)", metadata: metadata)
        #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object == [
            "time": "2023-11-14T22:13:20.123Z", "level": "warning", "msg": "Poll failed\t(partial)",
            "cluster": "prod", "error": "broker \"b1\" down\nretrying", "empty": "",
        ])
    }

    @Test func logfmtQuotesWhatWouldSplitAField() {
        let line = LogOutput.format(.logfmt, time: time, level: .info, message: "Polled", metadata: metadata)
        #expect(line == "time=2023-11-14T22:13:20.123Z level=info msg=Polled cluster=prod empty=\"\" "
            + "error=\"broker \\\"b1\\\" down\\nretrying\"\n")
    }

    @Test func textIsOneReadableLine() {
        let line = LogOutput.format(.text, time: time, level: .error, message: "Stopping", metadata: ["signal": "SIGTERM"])
        #expect(line == "2023-11-14T22:13:20.123Z ERROR   Stopping  signal=SIGTERM\n")
    }

    @Test func aLoggerWritesOneLinePerEventWithItsOwnAndTheEventsMetadata() throws {
        var pipe: [Int32] = [0, 0]
        #expect(Glibc.pipe(&pipe) == 0)
        defer { close(pipe[0]) }
        var logger = Logger(label: "test") { label in LogOutput(label: label, format: .json, level: .info, output: pipe[1]) }
        logger[metadataKey: "kafka.cluster"] = "prod"
        logger.debug("not written: below the level")
        logger.info("Poll stage failed", metadata: ["poll.stage": "watermarks", "kafka.cluster": "dr"])
        logger.error("control \u{01} character")
        close(pipe[1])
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while case let count = read(pipe[0], &buffer, buffer.count), count > 0 { bytes += buffer[0..<count] }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: String])
        // The event's metadata wins over the logger's for the same key.
        #expect(first["msg"] == "Poll stage failed" && first["level"] == "info")
        #expect(first["poll.stage"] == "watermarks" && first["kafka.cluster"] == "dr")
        #expect(lines[1].contains("control \\u0001 character"), "control characters are escaped in JSON")
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: String])
        #expect(second["msg"] == "control \u{01} character" && second["kafka.cluster"] == "prod")
    }

    @Test func millisecondsAreRoundedNotTruncatedAcrossASecond() {
        #expect(LogOutput.format(.json, time: 1_700_000_000.9996, level: .info, message: "m", metadata: [:])
            .contains("\"2023-11-14T22:13:21.000Z\""))
        #expect(LogOutput.format(.json, time: 0, level: .info, message: "m", metadata: [:])
            .contains("\"1970-01-01T00:00:00.000Z\""))
    }
}
