/// Immutable bytes at a fixed address, so the HTTP server can send them without copying while other
/// threads keep reading them. Allocated and filled in `init`, freed in `deinit`.
///
/// `@unchecked Sendable`: the memory is written only in `init` and never again.
public final class ByteBuffer: @unchecked Sendable {
    /// The bytes; valid for the lifetime of `self`. Do not escape it past a use made while `self` lives.
    let storage: UnsafeMutableRawBufferPointer

    /// Copies `bytes` into a new buffer.
    public init(_ bytes: some Collection<UInt8>) {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
        storage.copyBytes(from: bytes)
        count = bytes.count
    }

    deinit {
        storage.deallocate()
    }

    /// Number of bytes.
    public let count: Int

    /// The bytes as an array (copies; for tests and small bodies).
    public var bytes: [UInt8] { Array(storage.prefix(count)) }
}
