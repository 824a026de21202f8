import Glibc

/// Reads configuration files with the C library, so that configuration loading needs no Foundation.
enum TextFile {
    /// No configuration file lagwatch reads is anywhere near this; a larger one is a mistake (a log, a
    /// device) and is refused rather than read into memory.
    static let maximumBytes = 16 << 20

    /// Why a file could not be read: the system's reason ("No such file or directory"), or a size or
    /// encoding problem.
    struct ReadError: Error, CustomStringConvertible {
        var description: String
    }

    /// The whole file as UTF-8 text.
    static func read(_ path: String) throws(ReadError) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ReadError(description: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ReadError(description: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
            guard bytes.count <= maximumBytes else {
                throw ReadError(description: "larger than \(maximumBytes >> 20) MiB")
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ReadError(description: "not UTF-8 text")
        }
        return text
    }

    /// The folder part of `path` ("" for a bare file name), for paths relative to a file.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
