import Foundation
import Glibc

/// noida-db (PyPI `noida-db`): a Kafka-protocol server that, unlike librdkafka's mock, can list and describe
/// consumer groups. Started as a child process on a free loopback port with an empty data directory.
public final class NoidaServer: @unchecked Sendable {
    private let process: Process
    private let dataDirectory: String
    /// `127.0.0.1:PORT`.
    public let bootstrap: String

    /// The binary: `$LAGWATCH_NOIDA_BIN`, or the one inside the installed Python package.
    public static func binary() -> String? {
        if let explicit = ProcessInfo.processInfo.environment["LAGWATCH_NOIDA_BIN"] { return explicit }
        guard let python = ProcessRunner.which("python3"),
            let output = try? ProcessRunner.run(
                python, ["-c", "import noida_db, os; print(os.path.join(os.path.dirname(noida_db.__file__), 'noida-db'))"]),
            output.status == 0
        else { return nil }
        let path = output.text.trimmingCharacters(in: .whitespacesAndNewlines)
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// Starts the server and waits until it accepts connections.
    public init(binary: String) throws {
        let port = try freeLoopbackPort()
        dataDirectory = NSTemporaryDirectory() + "lagwatch-noida-\(getpid())-\(port)"
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["start", "--data-dir", dataDirectory, "--only", "kafka", "--kafka-port", "\(port)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        bootstrap = "127.0.0.1:\(port)"
        let ready = eventually(within: 20) { Self.canConnect(port) }
        if !ready {
            stop()
            throw TestFailure("noida-db did not accept connections on \(bootstrap) within 20 s")
        }
    }

    /// Freezes the server (SIGSTOP): connections stay open and nothing answers, as with a hung broker.
    public func pause() { kill(process.processIdentifier, SIGSTOP) }

    /// Lets a paused server go on (SIGCONT).
    public func resume() { kill(process.processIdentifier, SIGCONT) }

    /// Stops the server and removes its data.
    public func stop() {
        if process.isRunning {
            resume()
            // noida-db does not always exit on SIGTERM; give it a moment, then SIGKILL.
            process.terminate()
            if !eventually(within: 3, { !process.isRunning }) { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    deinit { stop() }

    static func canConnect(_ port: UInt16) -> Bool {
        guard let fd = try? connectToLoopback(port: port) else { return false }
        close(fd)
        return true
    }
}

/// A loopback TCP port that was free a moment ago (bound and released).
public func freeLoopbackPort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw TestFailure("cannot find a free port") }
    return UInt16(bigEndian: address.sin_port)
}

