internal import CYaml

/// One node of a YAML document, as the configuration reader needs it: scalars as their text, mappings with
/// their keys in document order, lists; each with the 1-based line it starts on, for error messages.
indirect enum YAMLNode {
    case scalar(String, line: Int)
    case mapping([(key: YAMLNode, value: YAMLNode)], line: Int)
    case sequence([YAMLNode], line: Int)

    var line: Int {
        switch self {
        case .scalar(_, let line), .mapping(_, let line), .sequence(_, let line): return line
        }
    }
}

/// A document that is not YAML lagwatch reads, with the line of the problem.
struct YAMLSyntaxError: Error {
    var line: Int
    var problem: String
}

/// Builds ``YAMLNode``s from libyaml's event parser (Debian's libyaml).
///
/// Deliberately narrower than YAML: one document; no aliases (`*name`), so no document can expand into
/// more than its own size (the "billion laughs"); at most ``maximumDepth`` levels of nesting. Tags are
/// ignored and every scalar is its text, as the configuration reader converts values itself.
enum YAMLComposer {
    static let maximumDepth = 32

    /// The document's root node, or nil for an empty document.
    static func compose(_ text: String) throws(YAMLSyntaxError) -> YAMLNode? {
        try YAMLParser(text).compose()
    }
}

/// The one owner of a `yaml_parser_t` and of the bytes it reads.
private final class YAMLParser {
    private let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
    private let input: UnsafeMutableBufferPointer<UInt8>

    /// A collection being built.
    private enum Frame {
        case mapping(line: Int, pairs: [(key: YAMLNode, value: YAMLNode)], key: YAMLNode?)
        case sequence(line: Int, items: [YAMLNode])
    }

    init(_ text: String) {
        // libyaml keeps the pointer it is given until it is deleted: a copy this object owns.
        let count = text.utf8.count
        input = .allocate(capacity: max(count, 1))
        _ = input.initialize(from: text.utf8)
        // yaml_parser_initialize fails only when out of memory.
        precondition(yaml_parser_initialize(parser) == 1, "libyaml could not allocate a parser")
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(parser, input.baseAddress, count)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
        input.deallocate()
    }

    func compose() throws(YAMLSyntaxError) -> YAMLNode? {
        var stack: [Frame] = []
        var root: YAMLNode?
        var documents = 0
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(parser, &event) == 1 else { throw syntaxError() }
            defer { yaml_event_delete(&event) }
            let line = Int(event.start_mark.line) + 1
            var finished: YAMLNode?
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return root
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 {
                    throw YAMLSyntaxError(line: line, problem: "a second document (---); the file must hold one")
                }
            case YAML_ALIAS_EVENT:
                throw YAMLSyntaxError(line: line, problem: "aliases (*name) are not supported; write the value out")
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
                finished = .scalar(text, line: line)
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                guard stack.count < YAMLComposer.maximumDepth else {
                    throw YAMLSyntaxError(line: line, problem: "nested more than \(YAMLComposer.maximumDepth) levels deep")
                }
                stack.append(
                    event.type == YAML_SEQUENCE_START_EVENT
                        ? .sequence(line: line, items: []) : .mapping(line: line, pairs: [], key: nil))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                switch stack.removeLast() {
                case .sequence(let start, let items): finished = .sequence(items, line: start)
                case .mapping(let start, let pairs, _): finished = .mapping(pairs, line: start)
                }
            default:
                break
            }
            guard let node = finished else { continue }
            switch stack.popLast() {
            case nil: root = node
            case .sequence(let start, var items)?:
                items.append(node)
                stack.append(.sequence(line: start, items: items))
            case .mapping(let start, var pairs, let key)?:
                if let key {
                    pairs.append((key, node))
                    stack.append(.mapping(line: start, pairs: pairs, key: nil))
                } else {
                    stack.append(.mapping(line: start, pairs: pairs, key: node))
                }
            }
        }
    }

    private func syntaxError() -> YAMLSyntaxError {
        let problem = parser.pointee.problem.map { String(cString: $0) } ?? "unreadable YAML"
        let context = parser.pointee.context.map { String(cString: $0) }
        let mark = parser.pointee.problem_mark
        return YAMLSyntaxError(
            line: Int(mark.line) + 1, problem: context.map { "\(problem) \($0)" } ?? problem)
    }
}
