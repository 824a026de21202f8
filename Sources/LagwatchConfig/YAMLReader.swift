/// Walks a YAML document, checking every key against the ones the caller reads, so that an unknown or
/// misspelt key is an error naming its line instead of being ignored.
struct YAMLMapping {
    let fileName: String
    let path: String
    let node: YAMLNode
    private let pairs: [(key: String, keyNode: YAMLNode, value: YAMLNode)]

    /// The top-level mapping of a YAML document.
    ///
    /// - Throws: ``ConfigurationError`` for an empty file, invalid YAML (with its line) or a top level that is
    ///   not a mapping.
    static func document(_ text: String, fileName: String) throws -> YAMLMapping {
        let root: YAMLNode
        do {
            guard let node = try YAMLComposer.compose(text) else {
                throw ConfigurationError(location: fileName, "the file is empty")
            }
            root = node
        } catch let error as YAMLSyntaxError {
            throw ConfigurationError(location: fileName, "not valid YAML: line \(error.line): \(error.problem)")
        }
        return try YAMLMapping(root, fileName: fileName, path: "")
    }

    init(_ node: YAMLNode, fileName: String, path: String) throws {
        self.fileName = fileName
        self.path = path
        self.node = node
        guard case .mapping(let mapping, _) = node else {
            throw Self.error(fileName, node, path.isEmpty ? "the document" : path, "must be a mapping of keys to values")
        }
        pairs = try mapping.map { key, value in
            guard case .scalar(let text, _) = key else {
                throw Self.error(fileName, key, path, "keys must be plain strings")
            }
            return (text, key, value)
        }
        var seen: [String: Int] = [:]
        for pair in pairs {
            if let first = seen[pair.key] {
                throw Self.error(fileName, pair.keyNode, keyPath(pair.key), "appears twice (first on line \(first))")
            }
            seen[pair.key] = pair.keyNode.line
        }
    }

    /// Throws for the first key not in `known`.
    func rejectUnknownKeys(_ known: [String]) throws {
        for pair in pairs where !known.contains(pair.key) {
            throw Self.error(
                fileName, pair.keyNode, keyPath(pair.key),
                "unknown key; expected one of: \(known.joined(separator: ", "))")
        }
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func value(_ key: String) -> YAMLNode? { pairs.first { $0.key == key }?.value }

    func string(_ key: String) throws -> String? {
        guard let node = value(key) else { return nil }
        guard case .scalar(let text, _) = node else {
            throw Self.error(fileName, node, keyPath(key), "must be a single value")
        }
        return text
    }

    func bool(_ key: String) throws -> Bool? {
        guard let text = try string(key) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw Self.error(fileName, value(key)!, keyPath(key), "must be true or false, not '\(text)'")
        }
    }

    func int(_ key: String, range: ClosedRange<Int>) throws -> Int? {
        guard let text = try string(key) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            throw Self.error(
                fileName, value(key)!, keyPath(key),
                "must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return number
    }

    func seconds(_ key: String, range: ClosedRange<Double>) throws -> Double? {
        guard let text = try string(key) else { return nil }
        guard let seconds = DurationParser.seconds(text), range.contains(seconds) else {
            throw Self.error(
                fileName, value(key)!, keyPath(key),
                "must be a duration such as 15s, 500ms or 1m, from \(range.lowerBound)s to \(range.upperBound)s, "
                    + "not '\(text)'")
        }
        return seconds
    }

    /// A list of plain strings; a single string is not accepted in its place.
    func strings(_ key: String) throws -> [String]? {
        guard let node = value(key) else { return nil }
        guard case .sequence(let sequence, _) = node else {
            throw Self.error(fileName, node, keyPath(key), "must be a list")
        }
        return try sequence.enumerated().map { index, item in
            guard case .scalar(let text, _) = item else {
                throw Self.error(fileName, item, "\(keyPath(key))[\(index)]", "must be a single value")
            }
            return text
        }
    }

    func mapping(_ key: String) throws -> YAMLMapping? {
        guard let node = value(key) else { return nil }
        return try YAMLMapping(node, fileName: fileName, path: keyPath(key))
    }

    func sequence(_ key: String) throws -> [YAMLNode]? {
        guard let node = value(key) else { return nil }
        guard case .sequence(let sequence, _) = node else {
            throw Self.error(fileName, node, keyPath(key), "must be a list")
        }
        return sequence
    }

    /// The keys in document order, with their nodes.
    var entries: [(key: String, keyNode: YAMLNode, value: YAMLNode)] { pairs }

    func error(at key: String, _ message: String) -> ConfigurationError {
        Self.error(fileName, value(key) ?? node, keyPath(key), message)
    }

    static func error(_ fileName: String, _ node: YAMLNode, _ path: String, _ message: String) -> ConfigurationError {
        ConfigurationError(location: "\(fileName):\(node.line): \(path)", message)
    }
}
