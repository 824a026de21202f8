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

    /// Plain HTTP to anyone; fill in the fields to turn TLS or authentication on.
    public init() {}

    /// Reads and validates the file at `path`.
    ///
    /// - Throws: ``ConfigurationError`` naming the file, line and key.
    public static func load(path: String) throws -> WebSecurity {
        let text: String
        do {
            text = try TextFile.read(path)
        } catch {
            throw ConfigurationError(location: "--web.config.file", "cannot read '\(path)': \(error)")
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
        }
        if let users = try top.mapping("basic_auth_users") {
            for entry in users.entries {
                let hash = try users.string(entry.key) ?? ""
                guard isBcrypt(hash) else {
                    throw users.error(at: entry.key, "must be a bcrypt hash ($2a$, $2b$ or $2y$ and 60 characters)")
                }
                security.users[entry.key] = hash
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

    /// The shape of a bcrypt hash; crypt checks the rest when a password is verified.
    static func isBcrypt(_ hash: String) -> Bool {
        hash.utf8.count == 60 && (hash.hasPrefix("$2a$") || hash.hasPrefix("$2b$") || hash.hasPrefix("$2y$"))
    }
}
