internal import CCrypt
import FoundationEssentials
import Glibc
import Synchronization

/// HTTP basic authentication against bcrypt hashes, as in the Prometheus exporter-toolkit's web
/// configuration. Hashes are checked with the system's crypt (libxcrypt), not a bcrypt of our own.
///
/// bcrypt is slow on purpose (about 50 ms at cost 10), and Prometheus sends the same credentials on every
/// scrape, so a check that succeeded is remembered: a small set of keys made of the user and a fast salted
/// crypt (SHA-256-crypt, 1,000 rounds) of the password, never the password itself. A wrong password is
/// checked afresh every time, but each client address may fail only ``failureBudget`` times per
/// ``failureWindowSeconds``: past that its uncached logins are refused without a bcrypt check, so a flood
/// of wrong passwords (which needs no credentials at all) cannot keep the one server thread busy. Remembered
/// credentials are still accepted from a throttled address. ``firstLook(authorization:client:)`` is the part
/// quick enough for the server thread; ``verify(_:)``, the bcrypt check, belongs on a worker.
public final class BasicAuthenticator: Sendable {
    /// What a check concluded.
    public enum Verdict: Sendable, Equatable {
        /// A known user with the right password.
        case accepted
        /// No credentials, an unknown user or a wrong password.
        case rejected
        /// The client address has used up its failures for now; nothing was checked.
        case throttled
    }

    /// Failed logins a client address may make per window before it is throttled.
    public static let failureBudget = 5
    /// The window failures are counted over, in seconds.
    public static let failureWindowSeconds = 10.0
    /// Addresses tracked at most; past that, those whose window has ended are forgotten.
    private static let trackedAddressesMaximum = 4096

    private let users: [String: String]
    private let verified = Mutex<Set<String>>([])
    private let failures = Mutex<[String: (count: Int, windowStart: Double)]>([:])
    private let now: @Sendable () -> Double
    /// Keys remembered at most; past that the set starts over.
    private static let rememberedMaximum = 256
    /// Salt of the cache keys: random per process, so a key means nothing elsewhere.
    private let cacheSalt = "$5$rounds=1000$" + String((0..<16).map { _ in
        Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./").randomElement()!
    }) + "$"

    /// Checks users against `users` (name → bcrypt hash); `now` is a monotonic clock in seconds, for the
    /// failure windows.
    public init(users: [String: String], now: @escaping @Sendable () -> Double = BasicAuthenticator.monotonicSeconds) {
        self.users = users
        self.now = now
    }

    /// True when `header` (an `Authorization` header value) carries a known user and the right password.
    public func accepts(authorization header: String?) -> Bool {
        check(authorization: header, client: nil) == .accepted
    }

    /// Checks `header` (an `Authorization` header value) sent from `client` (an address; `nil` is one
    /// address of its own), bcrypt included: ``firstLook(authorization:client:)`` then, when it needs it,
    /// ``verify(_:)``.
    public func check(authorization header: String?, client: String?) -> Verdict {
        switch firstLook(authorization: header, client: client) {
        case .decided(let verdict): verdict
        case .needsHash(let pending): verify(pending)
        }
    }

    /// Credentials whose bcrypt check is still to be made, by ``verify(_:)``.
    public struct PendingCheck: Sendable {
        fileprivate let user: String
        fileprivate let password: String
        fileprivate let key: String
        fileprivate let address: String
    }

    /// What can be decided without bcrypt, or the check still to make.
    public enum FirstLook: Sendable {
        /// Decided: no credentials, remembered ones, or a throttled address.
        case decided(Verdict)
        /// A bcrypt check decides; slow (tens of milliseconds to a second), so not for the server thread.
        case needsHash(PendingCheck)
    }

    /// The part of a check that needs no bcrypt: parsing the header, remembered credentials (one fast salted
    /// crypt) and the client's failure budget.
    public func firstLook(authorization header: String?, client: String?) -> FirstLook {
        guard let (user, password) = Self.credentials(header) else { return .decided(.rejected) }
        var data = crypt_data()
        guard let keyed = crypt_r(password, cacheSalt, &data) else { return .decided(.rejected) }
        let key = user + "\u{0}" + String(cString: keyed)
        if users[user] != nil, verified.withLock({ $0.contains(key) }) { return .decided(.accepted) }
        let address = client ?? ""
        guard !isThrottled(address) else { return .decided(.throttled) }
        return .needsHash(PendingCheck(user: user, password: password, key: key, address: address))
    }

    /// Finishes a check with bcrypt. The failure budget is looked at again first: checks queued from one
    /// address while its earlier ones were failing stop at the budget too.
    public func verify(_ pending: PendingCheck) -> Verdict {
        guard !isThrottled(pending.address) else { return .throttled }
        guard let hash = users[pending.user] else {
            // An unknown user costs a bcrypt check too, so timing does not tell which users exist.
            if let any = users.values.first { _ = Self.matches(pending.password, any) }
            recordFailure(pending.address)
            return .rejected
        }
        guard Self.matches(pending.password, hash) else {
            recordFailure(pending.address)
            return .rejected
        }
        verified.withLock { set in
            if set.count >= Self.rememberedMaximum { set.removeAll() }
            set.insert(pending.key)
        }
        return .accepted
    }

    /// A bcrypt hash of `password` at `cost` with a random salt, as a web configuration's users take it;
    /// nil when the system's crypt cannot make one.
    public static func bcryptHash(of password: String, cost: Int) -> String? {
        var salt = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        guard crypt_gensalt_rn("$2b$", UInt(cost), nil, 0, &salt, Int32(salt.count)) != nil else { return nil }
        var data = crypt_data()
        guard let hash = crypt_r(password, salt, &data), hash.pointee != CChar(UInt8(ascii: "*")) else { return nil }
        return String(cString: hash)
    }

    /// Seconds on the monotonic clock.
    public static func monotonicSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private func isThrottled(_ address: String) -> Bool {
        let time = now()
        return failures.withLock { failures in
            guard let entry = failures[address], time - entry.windowStart < Self.failureWindowSeconds else { return false }
            return entry.count >= Self.failureBudget
        }
    }

    private func recordFailure(_ address: String) {
        let time = now()
        failures.withLock { failures in
            if failures.count >= Self.trackedAddressesMaximum {
                failures = failures.filter { time - $0.value.windowStart < Self.failureWindowSeconds }
                if failures.count >= Self.trackedAddressesMaximum { failures.removeAll() }
            }
            if let entry = failures[address], time - entry.windowStart < Self.failureWindowSeconds {
                failures[address] = (entry.count + 1, entry.windowStart)
            } else {
                failures[address] = (1, time)
            }
        }
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
