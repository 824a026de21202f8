/// Bad input to lagwatch: a flag, a config key, or a value. Its description names what is wrong and where
/// (file and line for the config file), in one line, for a person to act on.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// Where the bad input is: `--flag`, or `file:line` with the key's path.
    public let location: String
    /// What is wrong with it.
    public let message: String

    /// Creates an error.
    public init(location: String, _ message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { location.isEmpty ? message : "\(location): \(message)" }
}
