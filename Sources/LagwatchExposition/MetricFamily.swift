/// The Prometheus type of a metric family.
public enum MetricType: String, Sendable {
    /// A value that goes up and down.
    case gauge
    /// A value that only goes up (reset on restart); its name ends in `_total`.
    case counter
    /// No type; used only for kafka_exporter's two `_sum` gauges, which promtool rejects when typed `gauge`.
    case untyped
}

/// The name, type, labels and HELP of one metric family: the single place each is written down.
public struct MetricFamily: Sendable, Hashable {
    /// The metric name.
    public let name: String
    /// The Prometheus type.
    public let type: MetricType
    /// Label names, in the order they are written.
    public let labels: [String]
    /// The HELP text.
    public let help: String

    /// Creates a family description.
    public init(_ name: String, _ type: MetricType, labels: [String], help: String) {
        self.name = name
        self.type = type
        self.labels = labels
        self.help = help
    }
}
