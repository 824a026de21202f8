/// TLS and basic authentication for lagwatch's HTTP server, read from a web configuration file in the
/// Prometheus exporter-toolkit format (`--web.config.file`):
///
/// ```yaml
/// tls_server_config:
///   cert_file: server.crt        # relative paths are relative to this file
///   key_file: server.key
/// basic_auth_users:
///   prometheus: $2y$10$…         # bcrypt hashes (htpasswd -nBC 10 "" | tr -d ':\n')
/// ```
///
/// The exporter-toolkit's other settings (client certificates, TLS versions and ciphers, HTTP headers) are
/// refused by name rather than ignored.
public struct WebSecurity: Sendable {
    /// The certificate chain and key, PEM, when TLS is on.
    public var certificatePEM: String?
    public var keyPEM: String?
    /// Users and their bcrypt hashes; empty when authentication is off.
    public var users: [String: String] = [:]
    /// Where the TLS settings came from, for messages: the web configuration file and the certificate and
    /// key files it names, as written.
    public var tlsSource: (file: String, certificate: String, key: String)?

    /// The highest bcrypt cost accepted. Each step doubles the work of a login: at 14 one check takes
    /// about a second on this project's build machine, and a hash of cost 31 would take days.
    public static let maximumBcryptCost = 14

    /// Plain HTTP to anyone; fill in the fields to turn TLS or authentication on.
    public init() {}

    /// Reads and validates the file at `path`, named where it was given: `location` (the flag, or the
    /// configuration file's line and key).
    ///
    /// - Throws: ``ConfigurationError`` naming the file, line and key.
    public static func load(path: String, location: String = "--web.config.file") throws -> WebSecurity {
        let text: String
        do {
            text = try TextFile.read(path)
        } catch {
            throw ConfigurationError(location: location, "cannot read '\(path)': \(error)")
        }
        return try parse(text, fileName: path, directory: TextFile.directory(of: path))
    }

    static func parse(_ text: String, fileName: String, directory: String) throws -> WebSecurity {
        let top = try YAMLMapping.document(text, fileName: fileName)
        for unsupported in ["http_server_config", "rate_limit"] where top.value(unsupported) != nil {
            throw top.error(at: unsupported, "is not supported by lagwatch")
        }
        try top.rejectUnknownKeys(["tls_server_config", "basic_auth_users"])
        var security = WebSecurity()
        if let tls = try top.mapping("tls_server_config") {
            let unsupported = ["client_auth_type", "client_ca_file", "min_version", "max_version", "cipher_suites",
                "prefer_server_cipher_suites", "curve_preferences", "client_allowed_sans"]
            for key in unsupported where tls.value(key) != nil {
                throw tls.error(at: key, "is not supported by lagwatch (only cert_file and key_file are)")
            }
            try tls.rejectUnknownKeys(["cert_file", "key_file"])
            guard let certificate = try tls.string("cert_file"), !certificate.isEmpty else {
                throw tls.error(at: "cert_file", "is required with tls_server_config")
            }
            guard let key = try tls.string("key_file"), !key.isEmpty else {
                throw tls.error(at: "key_file", "is required with tls_server_config")
            }
            security.certificatePEM = try readPEM(certificate, directory: directory, map: tls, key: "cert_file", marker: "CERTIFICATE")
            security.keyPEM = try readPEM(key, directory: directory, map: tls, key: "key_file", marker: "PRIVATE KEY")
            security.tlsSource = (fileName, certificate, key)
        }
        if let users = try top.mapping("basic_auth_users") {
            guard !users.entries.isEmpty else {
                throw top.error(
                    at: "basic_auth_users",
                    "lists no user: remove it to serve without authentication, or add a user and its bcrypt hash")
            }
            for entry in users.entries {
                if entry.key.contains(":") {
                    throw users.error(at: entry.key, "a user name cannot contain ':' (basic authentication splits at the first one)")
                }
                if let problem = bcryptProblem(try users.string(entry.key) ?? "") { throw users.error(at: entry.key, problem) }
                security.users[entry.key] = try users.string(entry.key)
            }
        }
        return security
    }

    private static func readPEM(_ file: String, directory: String, map: YAMLMapping, key: String, marker: String) throws -> String {
        let path = file.hasPrefix("/") || directory.isEmpty ? file : directory + "/" + file
        guard let text = try? TextFile.read(path) else {
            throw map.error(at: key, "cannot read '\(path)'")
        }
        guard text.contains("-----BEGIN") && text.contains(marker) else {
            throw map.error(at: key, "'\(path)' is not a PEM \(marker.lowercased())")
        }
        return text
    }

    /// What is wrong with `hash` as a bcrypt hash lagwatch can check in bounded time, or `nil`: the form
    /// `$2a$`, `$2b$` or `$2y$`, a two-digit cost from 04 to ``maximumBcryptCost``, `$`, then 53 characters
    /// of bcrypt's alphabet (22 of salt, 31 of hash).
    static func bcryptProblem(_ hash: String) -> String? {
        let bytes = Array(hash.utf8)
        let form = "must be a bcrypt hash: $2a$, $2b$ or $2y$, a two-digit cost, $, and 53 characters (60 in all)"
        guard bytes.count == 60, hash.hasPrefix("$2a$") || hash.hasPrefix("$2b$") || hash.hasPrefix("$2y$"),
            bytes[6] == UInt8(ascii: "$"), let cost = Int(String(decoding: bytes[4..<6], as: UTF8.self))
        else { return form }
        guard cost >= 4 else { return "bcrypt cost \(cost) is below bcrypt's minimum of 4" }
        guard cost <= maximumBcryptCost else {
            return "bcrypt cost \(cost) is above lagwatch's maximum of \(maximumBcryptCost) (each step doubles the time "
                + "of every login check); hash the password again with a lower cost, such as 10"
        }
        let alphabet = Set("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        if let bad = bytes[7...].firstIndex(where: { !alphabet.contains($0) }) {
            return "is not a bcrypt hash: character \(bad + 1) is not in bcrypt's alphabet (./A-Za-z0-9)"
        }
        return nil
    }
}
