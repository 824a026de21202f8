import Glibc

/// A program the benchmark starts (a second lagwatch, wrk, curl) with posix_spawn, sharing this process's
/// standard output and error unless its output is asked for.
struct ChildProcess {
    let pid: pid_t

    /// Starts `path` with `arguments`, inheriting the environment; its standard output goes to `output`
    /// when given (a descriptor the caller keeps), with its standard error dropped.
    /// The path of a program installed in the usual places, or `nil`.
    static func find(_ name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        return ["/usr/bin/", "/bin/", "/usr/local/bin/"].map { $0 + name }.first { access($0, X_OK) == 0 }
    }

    init(_ path: String, _ arguments: [String], output: Int32? = nil) throws {
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let output {
            posix_spawn_file_actions_adddup2(&actions, output, STDOUT_FILENO)
            posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0)
        }
        var pid = pid_t()
        let result = posix_spawn(&pid, path, &actions, nil, argv, environ)
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

    /// Runs `path` to its end and returns what it wrote to standard output.
    static func output(_ path: String, _ arguments: [String]) throws -> String {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ChildProcessError(description: "pipe() failed") }
        defer { close(fds[0]) }
        let child: ChildProcess
        do {
            child = try ChildProcess(path, arguments, output: fds[1])
            close(fds[1])
        } catch {
            close(fds[1])
            throw error
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fds[0], &buffer, buffer.count)
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        child.wait()
        return String(decoding: bytes, as: UTF8.self)
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
