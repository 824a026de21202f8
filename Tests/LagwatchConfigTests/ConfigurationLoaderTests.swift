import Foundation
import LagwatchConfig
import Testing

private let goodFile = """
    poll_interval: 30s
    web:
      listen_address: "127.0.0.1:9400"
      telemetry_path: /kafka-metrics
    log:
      level: debug
      format: json
    clusters:
      - name: prod
        bootstrap_servers: [kafka-1:9092, kafka-2:9092]
        topics:
          include: ["^orders"]
        groups:
          discover: false
          static:
            - name: billing
              topics: [orders]
            - name: audit
        librdkafka:
          security.protocol: SASL_SSL
          sasl.password: ${env:KAFKA_PASSWORD}
        timeouts:
          metadata: 2s
          offsets: 1500ms
        max_in_flight_requests: 8
        watermark_batch_size: 500
      - name: dr
        bootstrap_servers: [dr-1:9092]
    """

@Suite struct ConfigurationLoaderTests {
    @Test func parsesAFullFile() throws {
        let config = try ConfigurationLoader.parse(goodFile, fileName: "f.yml", environment: ["KAFKA_PASSWORD": "s3cret"])
        #expect(config.pollIntervalSeconds == 30)
        #expect(config.listenAddress == "127.0.0.1:9400")
        #expect(config.telemetryPath == "/kafka-metrics")
        #expect(config.logLevel == .debug && config.logFormat == .json)
        #expect(config.clusters.map(\.name) == ["prod", "dr"])
        let prod = config.clusters[0]
        #expect(prod.bootstrapServers == ["kafka-1:9092", "kafka-2:9092"])
        #expect(prod.topics.accepts("orders.v1") && !prod.topics.accepts("clicks"))
        #expect(!prod.discoverGroups)
        #expect(prod.staticGroups.map(\.name) == ["billing", "audit"])
        #expect(prod.staticGroups[0].topics == ["orders"] && prod.staticGroups[1].topics == nil)
        #expect(prod.properties.map(\.name) == ["security.protocol", "sasl.password"])
        #expect(prod.properties[1].value == "s3cret")
        #expect(prod.metadataTimeoutMilliseconds == 2000 && prod.offsetsWaitMilliseconds == 1500)
        #expect(prod.maxInFlightRequests == 8)
        #expect(prod.watermarkBatchSize == 500 && config.clusters[1].watermarkBatchSize == 250)
        #expect(!config.clusters[1].topics.accepts("__consumer_offsets"))
    }

    @Test func yamlQuotingStylesAndCommentsReadAsTheirText() throws {
        let text = """
            --- # one explicit document is fine
            poll_interval: '1m'   # single-quoted
            clusters:
              - name: "team \\"a\\" \\u00e9"
                bootstrap_servers:
                  - kafka-1:9092
                  - 'kafka-2:9092'
                librdkafka:
                  client.id: >-
                    folded
                    text
                  sasl.username: |-
                    literal
              - {name: flow, bootstrap_servers: ["k:1"]}
            ...
            """
        let config = try ConfigurationLoader.parse(text, fileName: "f.yml", environment: [:])
        #expect(config.pollIntervalSeconds == 60)
        #expect(config.clusters.map(\.name) == ["team \"a\" é", "flow"])
        #expect(config.clusters[0].bootstrapServers == ["kafka-1:9092", "kafka-2:9092"])
        #expect(config.clusters[0].properties.map(\.value) == ["folded text", "literal"])
        #expect(config.clusters[1].bootstrapServers == ["k:1"])
    }

    @Test(arguments: [
        ("pol_interval: 15s\n", "f.yml:1: pol_interval: unknown key"),
        ("poll_interval: 15\n", "f.yml:1: poll_interval: must be a duration"),
        ("poll_interval: 0s\n", "f.yml:1: poll_interval: must be a duration"),
        ("poll_interval: 1m\nrates:\n  window: 90s\n", "f.yml:3: rates.window: the rate window (1m30s) must be at least twice the poll interval (1m)"),
        ("rates:\n  windw: 5m\n", "f.yml:2: rates.windw: unknown key"),
        ("time_lag:\n  history_points: 2\n", "f.yml:2: time_lag.history_points: must be a whole number from 3"),
        ("time_lag:\n  points: 20\n", "f.yml:2: time_lag.points: unknown key"),
        ("time_lag:\n  exact_groups: [\"(\"]\n", "f.yml:2: time_lag.exact_groups: invalid regular expression '('"),
        ("time_lag:\n  exact_timeout: 5\n", "f.yml:2: time_lag.exact_timeout: must be a duration"),
        ("status:\n  window_polls: 2\n", "f.yml:2: status.window_polls: must be a whole number from 3"),
        ("status:\n  partition_series: sometimes\n", "f.yml:2: status.partition_series: must be true or false"),
        ("rates:\n  window: 1s\n", "f.yml:2: rates.window: must be a duration"),
        ("web:\n  listen_adress: :1\n", "f.yml:2: web.listen_adress: unknown key"),
        ("web:\n  listen_address: nowhere\n", "f.yml:2: web.listen_address: 'nowhere' is not [HOST]:PORT"),
        ("web:\n  telemetry_path: metrics\n", "f.yml:2: web.telemetry_path:"),
        ("log:\n  level: loud\n", "f.yml:2: log.level: must be one of"),
        ("clusters:\n  - name: a\n", "f.yml:2: clusters[0].bootstrap_servers: is required"),
        ("clusters:\n  - name: a\n    bootstrap_servers: [kafka]\n", "f.yml:3: clusters[0].bootstrap_servers: 'kafka' is not HOST:PORT"),
        ("clusters:\n  - bootstrap_servers: [k:1]\n    topics:\n      include: [\"(\"]\n", "f.yml:4: clusters[0].topics.include: invalid regular expression '('"),
        ("clusters:\n  - bootstrap_servers: [k:1]\n    groups:\n      discover: maybe\n", "f.yml:4: clusters[0].groups.discover: must be true or false"),
        ("clusters:\n  - bootstrap_servers: [k:1]\n    groups:\n      static:\n        - topics: [a]\n", "f.yml:5: clusters[0].groups.static[0].name: is required"),
        ("clusters:\n  - bootstrap_servers: [k:1]\n    librdkafka:\n      sasl.password: ${env:NOPE}\n", "f.yml:4: clusters[0].librdkafka.sasl.password: environment variable NOPE is not set"),
        ("clusters:\n  - bootstrap_servers: [k:1]\n    librdkafka:\n      group.id: x\n", "f.yml:4: clusters[0].librdkafka.group.id: is set by lagwatch"),
        ("clusters:\n  - bootstrap_servers: [k:1]\n    librdkafka:\n      isolation.level: read_committed\n",
         "f.yml:4: clusters[0].librdkafka.isolation.level: is set by lagwatch, which reads both"),
        ("transactions:\n  hanging_after: 1s\n", "f.yml:2: transactions.hanging_after: must be"),
        ("poll_interval: 15s\nlog:\n  level: info\npoll_interval: 20s\n", "f.yml:4: poll_interval: appears twice (first on line 1)"),
        ("clusters:\n  - bootstrap_servers: [k:1]\n    librdkafka:\n      sasl.password: ${env:HOME\n",
         "f.yml:4: clusters[0].librdkafka.sasl.password: '${' is not closed"),
        ("web:\n  config_file: /nonexistent/web.yml\n", "f.yml:2: web.config_file: cannot read '/nonexistent/web.yml'"),
        ("transactions:\n  hanging: 5m\n", "f.yml:2: transactions.hanging: unknown key"),
        ("clusters:\n  - bootstrap_servers: [k:1]\n  - name: default\n    bootstrap_servers: [k:2]\n", "f.yml:3: clusters[1].name: a second cluster named 'default'"),
        ("clusters:\n  - bootstrap_servers: [k:1]\n    max_in_flight_requests: 0\n", "f.yml:3: clusters[0].max_in_flight_requests: must be a whole number from 1"),
        ("clusters: [\n", "f.yml: not valid YAML: line"),
        ("- a\n- b\n", "f.yml:1: the document: must be a mapping"),
        // The YAML reader (Debian's libyaml) is narrower than YAML on purpose: no aliases, so no document
        // expands past its own size; one document; bounded nesting.
        ("a: &x [1, 2]\nb: *x\n", "f.yml: not valid YAML: line 2: aliases (*name) are not supported"),
        ("poll_interval: 15s\n---\npoll_interval: 20s\n", "f.yml: not valid YAML: line 2: a second document"),
        ("clusters: " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "\n",
         "f.yml: not valid YAML: line 1: nested more than 32 levels deep"),
        ("clusters:\n  - bootstrap_servers: [k:1]\n  bad indent: x\n  - y\n", "f.yml: not valid YAML: line 3: did not find expected '-' indicator"),
        ("\"unterminated: x\n", "f.yml: not valid YAML: line"),
    ])
    func badFilesNameTheLineAndKey(text: String, expected: String) {
        #expect {
            _ = try ConfigurationLoader.parse(text, fileName: "f.yml", environment: [:])
        } throws: { error in
            "\(error)".hasPrefix(expected)
        }
    }

    @Test func secretsNeverAppearInErrors() {
        let text = "clusters:\n  - bootstrap_servers: [k:1]\n    librdkafka:\n      sasl.password: ${nonsense:hunter2}\n"
        #expect {
            _ = try ConfigurationLoader.parse(text, fileName: "f.yml", environment: [:])
        } throws: { error in
            !"\(error)".contains("hunter2") && "\(error)".contains("sasl.password")
        }
    }

    @Test func flagsDefineAClusterAndOverrideTheFile() throws {
        var flags = CommandLineSettings()
        flags.kafkaServers = ["k1:9092", "k2:9092"]
        flags.groups = ["billing:orders,payments", "audit"]
        flags.pollInterval = "1m30s"
        flags.listenAddress = ":0"
        let config = try ConfigurationLoader.load(flags, environment: [:])
        #expect(config.clusters.count == 1)
        #expect(config.clusters[0].name == "default")
        #expect(config.clusters[0].staticGroups.map(\.name) == ["billing", "audit"])
        #expect(config.clusters[0].staticGroups[0].topics == ["orders", "payments"])
        #expect(config.pollIntervalSeconds == 90)
        #expect(config.listenAddress == ":0")
    }

    @Test(arguments: [
        (["--kafka.server": "nohost"], "--kafka.server: 'nohost' is not HOST:PORT"),
        (["--kafka.server": "k:1", "--group": ":t"], "--group: ':t' has no group name"),
        (["--kafka.server": "k:1", "--group": "g:a,,b"], "--group: 'g:a,,b' has an empty topic name"),
        (["--group": "g"], "--group: needs a cluster"),
        (["--poll.interval": "fast"], "--poll.interval: must be a duration"),
        (["--rates.window": "soon"], "--rates.window: must be a duration"),
        (["--rates.window": "20s"], "--rates.window: the rate window (20s) must be at least twice the poll interval (15s)"),
        (["--rates.window": "1m", "--poll.interval": "45s"], "--rates.window: the rate window (1m) must be at least twice"),
        (["--log.level": "verbose"], "--log.level: must be one of"),
        (["--log.format": "xml"], "--log.format: must be one of"),
        (["--web.listen-address": "9308"], "--web.listen-address: '9308' is not [HOST]:PORT"),
        (["--web.telemetry-path": "/healthz"], "--web.telemetry-path:"),
        (["--config.file": "/nonexistent/lagwatch.yml"], "--config.file: cannot read '/nonexistent/lagwatch.yml'"),
    ])
    func badFlagsAreNamed(flags: [String: String], expected: String) {
        var settings = CommandLineSettings()
        settings.kafkaServers = flags["--kafka.server"].map { [$0] } ?? []
        settings.groups = flags["--group"].map { [$0] } ?? []
        settings.pollInterval = flags["--poll.interval"]
        settings.rateWindow = flags["--rates.window"]
        settings.logLevel = flags["--log.level"]
        settings.logFormat = flags["--log.format"]
        settings.listenAddress = flags["--web.listen-address"]
        settings.telemetryPath = flags["--web.telemetry-path"]
        settings.configFile = flags["--config.file"]
        #expect {
            _ = try ConfigurationLoader.load(settings, environment: [:])
        } throws: { error in
            "\(error)".hasPrefix(expected)
        }
    }

    @Test func aFileWithoutAWebSectionListensOnPort9308OfEveryAddress() throws {
        // kafka_exporter's port, and an empty host: IPv4 and IPv6 (HTTPServerTests shows both answer).
        let config = try ConfigurationLoader.parse("poll_interval: 15s\n", fileName: "f", environment: [:])
        #expect(config.listenAddress == ":9308")
    }

    @Test func theRateWindowDefaultsToFiveMinutesOrFourPollsAndCanBeSet() throws {
        #expect(try ConfigurationLoader.parse("poll_interval: 15s\n", fileName: "f", environment: [:]).rateWindowSeconds == 300)
        #expect(try ConfigurationLoader.parse("poll_interval: 10m\n", fileName: "f", environment: [:]).rateWindowSeconds == 2400)
        let set = try ConfigurationLoader.parse("rates:\n  window: 1m\ntime_lag:\n  history_points: 100\n", fileName: "f", environment: [:])
        #expect(set.rateWindowSeconds == 60)
        #expect(set.analysis.timelinePoints == 100)
        #expect(set.analysis.exact.groups == nil, "no group is on the exact method by default")
        let exact = try ConfigurationLoader.parse(
            "time_lag:\n  exact_groups: [\"^billing$\"]\n  exact_max_partitions: 50\n  exact_timeout: 500ms\n", fileName: "f", environment: [:])
        #expect(exact.analysis.exact.groups?.accepts("billing") == true && exact.analysis.exact.groups?.accepts("other") == false)
        #expect(exact.analysis.exact.maxPartitions == 50 && exact.analysis.exact.timeoutMilliseconds == 500)
        let status = try ConfigurationLoader.parse(
            "status:\n  window_polls: 20\n  min_lag: 5\n  partition_series: true\n", fileName: "f", environment: [:])
        #expect(status.analysis.statusWindowPolls == 20 && status.analysis.exportsPartitionStatus)
        #expect(status.analysis.statusMinLag == 5)
        #expect(status.analysis.hangingTransactionSeconds == 900, "Kafka's default transaction.max.timeout.ms")
        #expect(status.analysis.inactiveAfterSeconds == 86_400, "a day by default")
        #expect(try ConfigurationLoader.parse("status:\n  inactive_after: 7d\n", fileName: "f", environment: [:])
            .analysis.inactiveAfterSeconds == 604_800)
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.parse("status:\n  inactive_after: 10s\n", fileName: "f", environment: [:])
        }
        let transactions = try ConfigurationLoader.parse("transactions:\n  hanging_after: 5m\n", fileName: "f", environment: [:])
        #expect(transactions.analysis.hangingTransactionSeconds == 300)
        var flags = CommandLineSettings()
        flags.pollInterval = "1s"
        flags.rateWindow = "2s"
        #expect(try ConfigurationLoader.load(flags, environment: [:]).rateWindowSeconds == 2)
    }

    @Test func granularityAndTheFamilyFilterArePerCluster() throws {
        let text = """
            clusters:
              - name: big
                bootstrap_servers: ["k:9092"]
                granularity: topic
                metrics:
                  exclude: ["^kafka_topic_partition_(leader|replicas)"]
              - name: small
                bootstrap_servers: ["s:9092"]
            """
        let configuration = try ConfigurationLoader.parse(text, fileName: "f", environment: [:])
        #expect(!configuration.clusters[0].groupPartitionSeries && configuration.clusters[1].groupPartitionSeries)
        #expect(!configuration.clusters[0].metricFamilies.accepts("kafka_topic_partition_leader"))
        #expect(configuration.clusters[0].metricFamilies.accepts("kafka_consumergroup_lag_sum"))
        #expect(configuration.clusters[1].metricFamilies.accepts("kafka_topic_partition_leader"))
        #expect {
            try ConfigurationLoader.parse(
                "clusters:\n  - name: a\n    bootstrap_servers: [\"k:9092\"]\n    granularity: group\n", fileName: "f", environment: [:])
        } throws: { "\($0)".contains("f:4") && "\($0)".contains("granularity") && "\($0)".contains("partition, topic") }
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.parse(
                "clusters:\n  - name: a\n    bootstrap_servers: [\"k:9092\"]\n    metrics:\n      drop: [x]\n", fileName: "f", environment: [:])
        }
    }

    @Test func durationsAreWrittenAsTheyAreRead() {
        for text in ["5m", "1m30s", "1h30m", "500ms", "1500ms", "2h"] {
            #expect(DurationParser.format(DurationParser.seconds(text)!) == text)
        }
    }

    @Test func durations() {
        #expect(DurationParser.seconds("15s") == 15)
        #expect(DurationParser.seconds("500ms") == 0.5)
        #expect(DurationParser.seconds("1h30m") == 5400)
        #expect(DurationParser.seconds("15") == nil)
        #expect(DurationParser.seconds("s") == nil)
        #expect(DurationParser.seconds("") == nil)
    }

    @Test func fileSecretsAreRead() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lagwatch-secret-\(getpid())").path
        try "from-file\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = "clusters:\n  - bootstrap_servers: [k:1]\n    librdkafka:\n      sasl.password: ${file:\(path)}\n"
        let config = try ConfigurationLoader.parse(text, fileName: "f.yml", environment: [:])
        #expect(config.clusters[0].properties[0].value == "from-file")
    }
}
