import Glibc

/// A program the benchmark starts (a second lagwatch, wrk, curl) with posix_spawn, sharing this process's
/// standard output and error unless its output is asked for.
struct ChildProcess {
    let pid: pid_t

    /// The path of a program installed in the usual places, or `nil`.
    static func find(_ name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        return ["/usr/bin/", "/bin/", "/usr/local/bin/"].map { $0 + name }.first { access($0, X_OK) == 0 }
    }

    /// Starts `path` with `arguments`, inheriting the environment; its standard output goes to `output`
    /// when given (a descriptor the caller keeps), with its standard error dropped.
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
        // The child starts with no signal blocked: posix_spawn passes on the calling thread's mask, and the
        // benchmark's had SIGTERM blocked (seen in a wrapper shell's /proc status), so the wrapper outlived
        // terminate() and the benchmark waited on it for ever. lagwatch itself blocks what it sigwaits for.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var pid = pid_t()
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard result == 0 else { throw ChildProcessError(description: "cannot start \(path): \(String(cString: strerror(result)))") }
        self.pid = pid
    }

    /// Sends SIGTERM to the child and to every process under it: a wrapper (`heaptrack`, a shell script)
    /// would otherwise die alone and leave the program it runs behind, serving on the benchmark's port.
    func terminate() {
        for process in tree().reversed() { kill(process, SIGTERM) }
    }

    /// The child and every process under it, parents first (from `/proc/PID/task/PID/children`).
    func tree() -> [pid_t] {
        var found = [pid]
        var index = 0
        while index < found.count {
            let process = found[index]
            found += procFile("/proc/\(process)/task/\(process)/children").split(separator: " ").compactMap { pid_t($0) }
            index += 1
        }
        return found
    }

    /// The process of the tree running `executable` (the program under a wrapper), else the child itself.
    func process(running executable: String) -> pid_t {
        tree().last { procLink("/proc/\($0)/exe") == executable } ?? pid
    }

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
    static func currentExecutable() -> String { procLink("/proc/self/exe") ?? "/proc/self/exe" }
}

/// The text of a small file under /proc (up to 8 KiB), or "" when it cannot be read.
func procFile(_ path: String) -> String {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return "" }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 8192)
    let count = read(fd, &buffer, buffer.count)
    return String(decoding: buffer[0..<max(0, count)], as: UTF8.self)
}

/// A memory field of `/proc/<process>/status` in kilobytes (`VmHWM` the peak resident set, `VmRSS` the
/// current one), or `nil`; `process` is a pid or `self`.
func procStatusKilobytes(_ process: String, _ field: String) -> Int? {
    let line = procFile("/proc/\(process)/status").split(separator: "\n").first { $0.hasPrefix(field + ":") }
    return line.flatMap { Int($0.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") }
}

/// Where a symbolic link under /proc points, or `nil`.
func procLink(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = readlink(path, &buffer, buffer.count - 1)
    return count > 0 ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
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
