/// Appends Prometheus text-format (0.0.4) lines to one growing byte buffer.
///
/// Label values are escaped here and nowhere else: backslash, double quote and line feed, as the format
/// requires, so no label value can end a series early or inject another.
struct ExpositionWriter {
    private(set) var bytes: [UInt8] = []
    /// Where full chunks go when streaming; `nil` keeps everything in ``bytes``.
    private let sink: (([UInt8]) -> Void)?
    private let chunkSize: Int

    init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
        sink = nil
        chunkSize = .max
    }

    /// A writer that hands ``bytes`` to `sink` whenever a line ends past `chunkSize` bytes, so a large body
    /// is never held whole. Call ``flush()`` at the end.
    init(chunkSize: Int, sink: @escaping ([UInt8]) -> Void) {
        bytes.reserveCapacity(chunkSize + 4096)
        self.sink = sink
        self.chunkSize = chunkSize
    }

    /// Hands what is buffered to the sink, if streaming.
    mutating func flush() {
        guard let sink, !bytes.isEmpty else { return }
        sink(bytes)
        bytes.removeAll(keepingCapacity: true)
    }

    private mutating func lineEnded() {
        bytes.append(0x0A)
        if bytes.count >= chunkSize { flush() }
    }

    /// Writes the `# HELP` and `# TYPE` lines of a family.
    mutating func header(_ family: MetricFamily) {
        append("# HELP ")
        append(family.name)
        bytes.append(0x20)
        for byte in family.help.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): append("\\\\")
            case UInt8(ascii: "\n"): append("\\n")
            default: bytes.append(byte)
            }
        }
        append("\n# TYPE ")
        append(family.name)
        bytes.append(0x20)
        append(family.type.rawValue)
        lineEnded()
    }

    /// Writes one sample: `name{labels} value`. `labels` is a pre-rendered, already escaped label list
    /// without braces (see ``labelList(_:)``); `extra` is appended after it, also pre-escaped.
    mutating func sample(_ family: MetricFamily, labels: [UInt8], extra: [UInt8] = [], value: Int64) {
        sampleStart(family, labels: labels, extra: extra)
        appendInteger(value)
        lineEnded()
    }

    /// Writes one sample with a floating-point value.
    mutating func sample(_ family: MetricFamily, labels: [UInt8], extra: [UInt8] = [], value: Double) {
        sampleStart(family, labels: labels, extra: extra)
        if value.isNaN {
            append("NaN")
        } else if value.isInfinite {
            append(value > 0 ? "+Inf" : "-Inf")
        } else if value == value.rounded(), abs(value) < 1e15 {
            appendInteger(Int64(value))
        } else {
            append(value.description)
        }
        lineEnded()
    }

    private mutating func sampleStart(_ family: MetricFamily, labels: [UInt8], extra: [UInt8]) {
        append(family.name)
        if !labels.isEmpty || !extra.isEmpty {
            bytes.append(UInt8(ascii: "{"))
            bytes.append(contentsOf: labels)
            if !labels.isEmpty && !extra.isEmpty { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: extra)
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(0x20)
    }

    mutating func append(_ string: String) {
        bytes.append(contentsOf: string.utf8)
    }

    mutating func appendInteger(_ value: Int64) {
        Self.appendInteger(value, to: &bytes)
    }

    /// Decimal digits of `value`, without going through `String`.
    static func appendInteger(_ value: Int64, to bytes: inout [UInt8]) {
        if value == 0 {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        var magnitude = value.magnitude
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let start = bytes.count
        while magnitude > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        }
        bytes[start...].reverse()
    }

    /// Renders `name="value",…` with values escaped; the result is reused for every series that shares it.
    static func labelList(_ pairs: KeyValuePairs<String, String>) -> [UInt8] {
        var out: [UInt8] = []
        for (index, pair) in pairs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: pair.key.utf8)
            out.append(contentsOf: "=\"".utf8)
            appendEscapedLabelValue(pair.value, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        return out
    }

    /// Renders `name="N"` for an integer label such as `partition`.
    static func integerLabel(_ name: String, _ value: Int64) -> [UInt8] {
        var out = Array(name.utf8)
        out.append(contentsOf: "=\"".utf8)
        appendInteger(value, to: &out)
        out.append(UInt8(ascii: "\""))
        return out
    }

    /// Escapes a label value: `\` → `\\`, `"` → `\"`, line feed → `\n`.
    static func appendEscapedLabelValue(_ value: String, to out: inout [UInt8]) {
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\n"): out.append(contentsOf: "\\n".utf8)
            default: out.append(byte)
            }
        }
    }
}
