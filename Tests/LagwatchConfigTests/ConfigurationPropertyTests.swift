import Foundation
import LagwatchConfig
import LagwatchTestSupport
import Testing

/// Property tests with a seeded generator, bounded in count: whatever the input, the configuration readers
/// either accept it or throw a ``ConfigurationError`` that names where the problem is — they never crash.
@Suite struct ConfigurationPropertyTests {
    static let valid = """
        poll_interval: 15s
        rates:
          window: 5m
        time_lag:
          history_points: 32
          exact_groups: ["^billing$"]
        status:
          window_polls: 10
        transactions:
          hanging_after: 15m
        log:
          level: info
          format: json
        clusters:
          - name: prod
            bootstrap_servers: ["kafka-1:9092", "kafka-2:9092"]
            topics:
              exclude: ["^__"]
            groups:
              static:
                - name: billing
                  topics: [orders]
            librdkafka:
              client.id: lagwatch
            timeouts:
              offsets: 5s
        """
    static let yamlAlphabet = Array(" \n\t:-[]{}\"'#&*!|>%@`,?0123456789abcdefmsxyz^$.\\")

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func mutatedFilesAreReadOrRefusedByName(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        for _ in 0..<750 {
            let text = random.mutate(Self.valid, edits: 4, alphabet: Self.yamlAlphabet)
            do {
                _ = try ConfigurationLoader.parse(text, fileName: "f.yml", environment: [:])
            } catch let error as ConfigurationError {
                #expect(error.description.hasPrefix("f.yml"), "seed \(seed): \(error) for:\n\(text)")
            } catch {
                Issue.record("seed \(seed): not a ConfigurationError: \(error) for:\n\(text)")
            }
        }
    }

    @Test func durationsReadBackWhatTheyWriteAndAnythingElseIsRefusedWithoutACrash() {
        var random = SeededRandom(seed: 7)
        for _ in 0..<5_000 {
            let text = random.string(from: Array("0123456789.mshx -"), maximumLength: 12)
            if let seconds = DurationParser.seconds(text) {
                #expect(seconds.isFinite && seconds >= 0, "'\(text)' read as \(seconds)")
                _ = DurationParser.format(seconds)
            }
        }
        for _ in 0..<5_000 {
            let milliseconds = Int.random(in: 1...1_000_000_000, using: &random)
            let seconds = Double(milliseconds) / 1000
            #expect(DurationParser.seconds(DurationParser.format(seconds)) == seconds)
        }
        for extreme in [Double.greatestFiniteMagnitude, 1e300, 1e20, .infinity, .nan, -5] {
            _ = DurationParser.format(extreme)
        }
    }

    @Test func mutatedWebConfigurationsAreReadOrRefusedByName() throws {
        let directory = NSTemporaryDirectory() + "lagwatch-webprop-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/web.yml"
        let valid = "basic_auth_users:\n  prometheus: \"$2b$04$AYT6Gm5Nfa7PSwlLiYDYfOxV/IX/9ia046WqovKMsT.aqgyHI5Uu6\"\n"
        var random = SeededRandom(seed: 11)
        for _ in 0..<500 {
            let text = random.mutate(valid, edits: 3, alphabet: Self.yamlAlphabet)
            try text.write(toFile: file, atomically: false, encoding: .utf8)
            do {
                _ = try WebSecurity.load(path: file)
            } catch let error as ConfigurationError {
                #expect(error.description.hasPrefix(file), "\(error) for:\n\(text)")
            }
        }
    }
}
