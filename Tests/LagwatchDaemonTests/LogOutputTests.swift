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

    @Test func millisecondsAreRoundedNotTruncatedAcrossASecond() {
        #expect(LogOutput.format(.json, time: 1_700_000_000.9996, level: .info, message: "m", metadata: [:])
            .contains("\"2023-11-14T22:13:21.000Z\""))
        #expect(LogOutput.format(.json, time: 0, level: .info, message: "m", metadata: [:])
            .contains("\"1970-01-01T00:00:00.000Z\""))
    }
}
