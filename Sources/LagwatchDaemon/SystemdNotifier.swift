import Glibc

/// systemd's notification protocol (sd_notify): one datagram per message to the Unix socket named in
/// `NOTIFY_SOCKET`. Best effort: without the variable, or when sending fails, messages are dropped, since a
/// lagwatch not started by systemd must run the same.
public struct SystemdNotifier: Sendable {
    /// The socket path; `@` at the start names an abstract socket. `nil` disables notifications.
    public let socketPath: String?

    /// Creates a notifier for `socketPath`.
    public init(socketPath: String?) {
        self.socketPath = socketPath.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The notifier systemd asked for through `NOTIFY_SOCKET`, if any.
    public static func fromEnvironment(_ environment: [String: String]) -> SystemdNotifier {
        SystemdNotifier(socketPath: environment["NOTIFY_SOCKET"])
    }

    /// Seconds between watchdog pings (half of `WATCHDOG_USEC`), when systemd enabled the watchdog for this
    /// process (`WATCHDOG_PID` unset or ours).
    public static func watchdogPingInterval(_ environment: [String: String]) -> Double? {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = Double(text), microseconds > 0 else {
            return nil
        }
        if let pid = environment["WATCHDOG_PID"], pid != String(getpid()) { return nil }
        return microseconds / 1e6 / 2
    }

    /// Sends `message` (such as `READY=1` or `STATUS=…`). Returns whether it was sent.
    @discardableResult
    public func notify(_ message: String) -> Bool {
        guard let socketPath else { return false }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1))
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes, bytes.count, 0, $0, length) }
        }
        return sent == bytes.count
    }
}
