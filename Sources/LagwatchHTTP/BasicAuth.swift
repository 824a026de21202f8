internal import CCrypt
import FoundationEssentials
import Synchronization

/// HTTP basic authentication against bcrypt hashes, as in the Prometheus exporter-toolkit's web
/// configuration. Hashes are checked with the system's crypt (libxcrypt), not a bcrypt of our own.
///
/// bcrypt is slow on purpose (about 50 ms at cost 10), and Prometheus sends the same credentials on every
/// scrape, so a check that succeeded is remembered: a small set of keys made of the user and a fast salted
/// crypt (SHA-256-crypt, 1,000 rounds) of the password, never the password itself. A wrong password is
/// checked afresh every time.
public final class BasicAuthenticator: Sendable {
    private let users: [String: String]
    private let verified = Mutex<Set<String>>([])
    /// Keys remembered at most; past that the set starts over.
    private static let rememberedMaximum = 256
    /// Salt of the cache keys: random per process, so a key means nothing elsewhere.
    private let cacheSalt = "$5$rounds=1000$" + String((0..<16).map { _ in
        Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./").randomElement()!
    }) + "$"

    /// Checks users against `users` (name → bcrypt hash).
    public init(users: [String: String]) {
        self.users = users
    }

    /// True when `header` (an `Authorization` header value) carries a known user and the right password.
    public func accepts(authorization header: String?) -> Bool {
        guard let (user, password) = Self.credentials(header) else { return false }
        guard let hash = users[user] else {
            // An unknown user costs a bcrypt check too, so timing does not tell which users exist.
            if let any = users.values.first { _ = Self.matches(password, any) }
            return false
        }
        var data = crypt_data()
        guard let keyed = crypt_r(password, cacheSalt, &data) else { return false }
        let key = user + "\u{0}" + String(cString: keyed)
        if verified.withLock({ $0.contains(key) }) { return true }
        guard Self.matches(password, hash) else { return false }
        verified.withLock { set in
            if set.count >= Self.rememberedMaximum { set.removeAll() }
            set.insert(key)
        }
        return true
    }

    /// The user and password of a `Basic` authorization header.
    static func credentials(_ header: String?) -> (String, String)? {
        guard let header, header.count > 6, header.prefix(6).lowercased() == "basic " else { return nil }
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let encoded = String(header.dropFirst(6).drop(while: isBlank).reversed().drop(while: isBlank).reversed())
        // No NUL: crypt() reads a C string and would ignore whatever follows one.
        guard let data = Data(base64Encoded: encoded), !data.contains(0), let text = String(data: data, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// Whether `password` hashes to `hash` under crypt, compared in constant time.
    static func matches(_ password: String, _ hash: String) -> Bool {
        var data = crypt_data()
        guard let result = crypt_r(password, hash, &data) else { return false }
        let computed = Array(String(cString: result).utf8)
        let expected = Array(hash.utf8)
        guard computed.count == expected.count, computed.first != UInt8(ascii: "*") else { return false }
        var difference: UInt8 = 0
        for index in computed.indices { difference |= computed[index] ^ expected[index] }
        return difference == 0
    }
}
