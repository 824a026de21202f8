import Synchronization

/// Decides which topics or groups are watched: a name is kept when it matches any `include` pattern (or
/// there are none) and no `exclude` pattern. Patterns are unanchored regular expressions, as in
/// kafka_exporter's `--topic.filter`; anchor them with `^…$` to match whole names.
///
/// Decisions are remembered per name, since names repeat every poll and regex matching is the costly part.
public final class NameFilter: Sendable, Equatable {
    /// The include patterns as written.
    public let includePatterns: [String]
    /// The exclude patterns as written.
    public let excludePatterns: [String]
    /// The compiled patterns and the decisions so far. `Regex` is not `Sendable`, so matching happens under
    /// the lock; one poll per cluster is the only caller, so it is never contended.
    private let state: Mutex<State>

    private struct State {
        var include: [Regex<AnyRegexOutput>]
        var exclude: [Regex<AnyRegexOutput>]
        var decisions: [String: Bool] = [:]
    }

    /// Two filters are equal when their patterns are, in order (the remembered decisions do not count).
    public static func == (left: NameFilter, right: NameFilter) -> Bool {
        left.includePatterns == right.includePatterns && left.excludePatterns == right.excludePatterns
    }

    /// A filter that keeps every name.
    public static let all = try! NameFilter(include: [], exclude: [])

    /// Compiles the patterns.
    ///
    /// - Throws: ``InvalidPattern`` naming the first pattern that does not compile.
    public init(include: [String], exclude: [String]) throws {
        includePatterns = include
        excludePatterns = exclude
        state = Mutex(State(include: try include.map(Self.compile), exclude: try exclude.map(Self.compile)))
    }

    /// A pattern that is not a valid regular expression.
    public struct InvalidPattern: Error, CustomStringConvertible {
        /// The pattern as written.
        public let pattern: String
        /// The regex parser's complaint.
        public let reason: String
        public var description: String { "invalid regular expression '\(pattern)': \(reason)" }
    }

    private static func compile(_ pattern: String) throws -> Regex<AnyRegexOutput> {
        do {
            return try Regex(pattern)
        } catch {
            throw InvalidPattern(pattern: pattern, reason: "\(error)")
        }
    }

    /// True when `name` is watched.
    public func accepts(_ name: String) -> Bool {
        state.withLock { state in
            if let known = state.decisions[name] { return known }
            let kept =
                (state.include.isEmpty || state.include.contains { name.firstMatch(of: $0) != nil })
                && !state.exclude.contains { name.firstMatch(of: $0) != nil }
            // Bound the memory a stream of short-lived names can take.
            if state.decisions.count > 100_000 { state.decisions.removeAll(keepingCapacity: true) }
            state.decisions[name] = kept
            return kept
        }
    }
}
