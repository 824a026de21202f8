internal import CZlib

/// gzip for `/metrics` without compressing the whole body per scrape.
///
/// The body is one big part rendered at poll time and one small part rendered at scrape time. The big part
/// is deflated once into a ``GzipPrefix`` ending on a full flush (byte aligned, no references backwards), so
/// that at scrape time only the small part is deflated and the two are joined into one valid gzip member:
/// header + prefix + tail + trailer, the trailer's CRC-32 combined with `crc32_combine`.
public enum Gzip {
    /// The fixed 10-byte gzip header: magic, deflate, no flags, no time, no extra flags, OS "unknown".
    static let header = ByteBuffer([0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF])

    /// Deflates `bytes` at poll time.
    public static func prefix(_ bytes: [UInt8]) -> GzipPrefix {
        let builder = GzipPrefixBuilder()
        builder.append(bytes)
        return builder.finish()
    }

    /// Joins `prefix` and a freshly deflated `tail` into the pieces of one gzip member, in order.
    public static func member(prefix: GzipPrefix, tail: [UInt8]) -> [ByteBuffer] {
        let tailStream = GzipPrefixBuilder(level: 1)
        tailStream.append(tail)
        let (deflatedTail, tailCRC) = tailStream.finishStream()
        let combined = crc32_combine(uLong(prefix.crc), uLong(tailCRC), off_t(tail.count))
        let total = UInt32(truncatingIfNeeded: prefix.length + UInt64(tail.count))
        var trailer: [UInt8] = []
        for value in [UInt32(truncatingIfNeeded: combined), total] {
            for shift in stride(from: 0, to: 32, by: 8) { trailer.append(UInt8(truncatingIfNeeded: value >> shift)) }
        }
        return [header, prefix.deflated, ByteBuffer(deflatedTail + trailer)]
    }

    /// Compresses a whole body into one gzip member; for small bodies built per request.
    public static func compress(_ bytes: [UInt8]) -> [ByteBuffer] {
        member(prefix: prefix([]), tail: bytes)
    }
}

/// A body deflated at poll time, with what the gzip trailer needs to know of it.
public struct GzipPrefix: Sendable {
    /// Raw deflate data ending on a full flush.
    public let deflated: ByteBuffer
    /// CRC-32 of the uncompressed bytes.
    public let crc: UInt32
    /// Length of the uncompressed bytes.
    public let length: UInt64
}

/// Deflates a body that arrives in chunks, keeping only the compressed bytes: at 150k series the text is
/// about 16 MB and its deflated form about 0.5 MB. Owns a zlib stream, freed in `deinit`.
///
/// Single owner: one thread appends, then calls ``finish()`` once.
public final class GzipPrefixBuilder {
    private let stream: UnsafeMutablePointer<z_stream>
    /// Deflated bytes in pieces of up to 64 KiB: one array grown by doubling would hold up to twice the body
    /// (1.1 MB deflated at the benchmark's shape sat in a 2 MB array), and the pieces are joined once.
    private var pieces: [[UInt8]] = []
    private var piece: [UInt8] = []
    private static let pieceSize = 64 * 1024
    private var crc: uLong
    private var length: UInt64 = 0
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)

    /// Starts a raw deflate stream at `level`.
    public init(level: Int32 = 6) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = CZlib_deflateInit2(stream, level, -15, 8)
        precondition(status == Z_OK, "deflateInit2 failed with \(status): only possible with bad parameters")
        crc = crc32(0, nil, 0)
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// Compresses one more chunk.
    public func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            crc = crc32(crc, buffer.baseAddress, uInt(buffer.count))
        }
        length += UInt64(bytes.count)
        run(bytes, flush: Z_NO_FLUSH)
    }

    /// Ends on a full flush (byte aligned, no references back) and returns the prefix.
    public func finish() -> GzipPrefix {
        run([], flush: Z_FULL_FLUSH)
        return GzipPrefix(deflated: ByteBuffer((pieces + [piece]).joined()), crc: UInt32(crc), length: length)
    }

    /// Ends the deflate stream with a final block, for the tail of a member; returns it and its CRC-32.
    func finishStream() -> (deflated: [UInt8], crc: UInt32) {
        run([], flush: Z_FINISH)
        return (Array((pieces + [piece]).joined()), UInt32(crc))
    }

    private func run(_ input: [UInt8], flush: Int32) {
        var input = input
        input.withUnsafeMutableBufferPointer { inBuffer in
            stream.pointee.next_in = inBuffer.baseAddress
            stream.pointee.avail_in = uInt(inBuffer.count)
            repeat {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { outBuffer in
                    stream.pointee.next_out = outBuffer.baseAddress
                    stream.pointee.avail_out = uInt(outBuffer.count)
                    let result = deflate(stream, flush)
                    precondition(
                        result == Z_OK || result == Z_BUF_ERROR || (flush == Z_FINISH && result == Z_STREAM_END),
                        "deflate failed: \(result)")
                    return outBuffer.count - Int(stream.pointee.avail_out)
                }
                if piece.count + produced > Self.pieceSize && !piece.isEmpty {
                    pieces.append(piece)
                    piece = []
                }
                piece.append(contentsOf: chunk[0..<produced])
            } while stream.pointee.avail_out == 0
        }
    }
}

/// Reads a ``GzipPrefix`` back as plain text, followed by a tail, a block at a time: plain-text scrapes are
/// served this way, so the uncompressed body is never kept in memory. Owns a zlib stream, freed in `deinit`.
///
/// `@unchecked Sendable`: made by a handler and then read only by libmicrohttpd's one server thread, one
/// block per call, for the one response it belongs to; nothing else touches its stream or offsets.
final class GzipPrefixReader: HTTPBodyStream, @unchecked Sendable {
    private let prefix: GzipPrefix
    private let tail: [UInt8]
    private var tailOffset = 0
    private var inflating = true
    private let stream: UnsafeMutablePointer<z_stream>
    let length: UInt64

    init(_ prefix: GzipPrefix, tail: [UInt8]) {
        self.prefix = prefix
        self.tail = tail
        length = prefix.length + UInt64(tail.count)
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = CZlib_inflateInit2(stream, -15)
        precondition(status == Z_OK, "inflateInit2 failed with \(status)")
        stream.pointee.next_in = UnsafeMutablePointer(mutating: prefix.deflated.storage.baseAddress!.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = uInt(prefix.deflated.count)
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        if inflating {
            stream.pointee.next_out = base.assumingMemoryBound(to: UInt8.self)
            stream.pointee.avail_out = uInt(buffer.count)
            let result = inflate(stream, Z_SYNC_FLUSH)
            let produced = buffer.count - Int(stream.pointee.avail_out)
            if produced > 0 { return produced }
            // The prefix ends on a flush, not a final block: no output and no input left means it is done.
            precondition(result == Z_OK || result == Z_BUF_ERROR || result == Z_STREAM_END, "inflate of our own data failed: \(result)")
            inflating = false
        }
        let count = min(buffer.count, tail.count - tailOffset)
        guard count > 0 else { return 0 }
        tail.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + tailOffset, byteCount: count)
        }
        tailOffset += count
        return count
    }
}

extension Gzip {
    /// A plain-text body made of the text inside `prefix` and then `tail`, decompressed as it is sent.
    public static func plainStream(prefix: GzipPrefix, tail: [UInt8]) -> any HTTPBodyStream {
        GzipPrefixReader(prefix, tail: tail)
    }
}
