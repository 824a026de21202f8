import Glibc

/// A program the benchmark starts (a second lagwatch, wrk) with posix_spawn, sharing this process's
/// standard output and error.
struct ChildProcess {
    let pid: pid_t

    /// Starts `path` with `arguments`, inheriting the environment.
    init(_ path: String, _ arguments: [String]) throws {
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, path, nil, nil, argv, environ)
        guard result == 0 else { throw ChildProcessError(description: "cannot start \(path): \(String(cString: strerror(result)))") }
        self.pid = pid
    }

    /// Sends SIGTERM.
    func terminate() { kill(pid, SIGTERM) }

    /// Waits for the child to end (the benchmark reads its figures, not its exit status).
    func wait() {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
    }

    /// The path of the running executable.
    static func currentExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return count > 0 ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "/proc/self/exe"
    }
}

struct ChildProcessError: Error, CustomStringConvertible {
    var description: String
}

/// `value` with `digits` decimals, as the benchmark prints figures (String(format:) needs Foundation).
func decimal(_ value: Double, digits: Int = 3) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    var fraction = String(Int(scaled) - whole * Int(scale))
    fraction = String(repeating: "0", count: max(0, digits - fraction.count)) + fraction
    return (value < 0 && scaled != 0 ? "-" : "") + "\(whole)" + (digits > 0 ? ".\(fraction)" : "")
}

/// `value` with leading zeros up to `width` digits.
func zeroPadded(_ value: Int, width: Int) -> String {
    let text = String(value)
    return String(repeating: "0", count: max(0, width - text.count)) + text
}
