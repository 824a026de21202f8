/// One sample of a Prometheus text exposition.
public struct Sample: Hashable, Sendable, CustomStringConvertible {
    /// The metric name.
    public var name: String
    /// Labels, unescaped.
    public var labels: [String: String]
    /// The value as written.
    public var value: String

    public var description: String { "\(name)\(labels.sorted { $0.key < $1.key }) \(value)" }
}

/// A small, independent parser of the text format, written for the tests from the format's specification,
/// so that what the renderer writes is read back by code that does not share its logic.
public struct Exposition: Sendable {
    /// Every sample, in order.
    public let samples: [Sample]
    /// `# TYPE` per family.
    public let types: [String: String]
    /// `# HELP` per family.
    public let helps: [String: String]

    /// Parses `text`; throws on a line that is not a comment, blank, or a sample.
    public init(_ text: String) throws {
        var samples: [Sample] = []
        var types: [String: String] = [:]
        var helps: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1)
                guard types[String(parts[0])] == nil else { throw TestFailure("second TYPE for \(parts[0])") }
                types[String(parts[0])] = String(parts[1])
            } else if line.hasPrefix("# HELP ") {
                let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1)
                helps[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            } else if line.hasPrefix("#") {
                continue
            } else {
                samples.append(try Self.sample(String(line)))
            }
        }
        self.samples = samples
        self.types = types
        self.helps = helps
    }

    static func sample(_ line: String) throws -> Sample {
        var name = ""
        var labels: [String: String] = [:]
        var index = line.startIndex
        while index < line.endIndex, line[index] != "{", line[index] != " " {
            name.append(line[index])
            index = line.index(after: index)
        }
        if index < line.endIndex, line[index] == "{" {
            index = line.index(after: index)
            while line[index] != "}" {
                var key = ""
                while line[index] != "=" {
                    key.append(line[index])
                    index = line.index(after: index)
                }
                index = line.index(index, offsetBy: 2)  // ="
                var value = ""
                while line[index] != "\"" {
                    if line[index] == "\\" {
                        index = line.index(after: index)
                        switch line[index] {
                        case "n": value.append("\n")
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        default: throw TestFailure("bad escape in \(line)")
                        }
                    } else {
                        value.append(line[index])
                    }
                    index = line.index(after: index)
                }
                index = line.index(after: index)
                if line[index] == "," { index = line.index(after: index) }
                labels[key] = value
            }
            index = line.index(after: index)
        }
        guard index < line.endIndex, line[index] == " " else { throw TestFailure("no value in \(line)") }
        let value = String(line[line.index(after: index)...])
        guard !value.contains(" ") else { throw TestFailure("timestamp or junk after value in \(line)") }
        return Sample(name: name, labels: labels, value: value)
    }

    /// Samples of one family whose labels include `matching`.
    public func samples(_ name: String, _ matching: [String: String] = [:]) -> [Sample] {
        samples.filter { sample in
            sample.name == name && matching.allSatisfy { sample.labels[$0.key] == $0.value }
        }
    }

    /// The value of the one sample of `name` with labels including `matching`, as a number; `nil` when there
    /// is not exactly one.
    public func value(_ name: String, _ matching: [String: String] = [:]) -> Double? {
        let found = samples(name, matching)
        guard found.count == 1 else { return nil }
        return Double(found[0].value)
    }
}
