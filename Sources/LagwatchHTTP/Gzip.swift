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
        let deflated = deflate(bytes, finish: false, level: 6)
        return GzipPrefix(
            deflated: ByteBuffer(deflated), crc: crc(bytes), length: UInt64(bytes.count))
    }

    /// Joins `prefix` and a freshly deflated `tail` into the pieces of one gzip member, in order.
    public static func member(prefix: GzipPrefix, tail: [UInt8]) -> [ByteBuffer] {
        let deflatedTail = deflate(tail, finish: true, level: 1)
        let tailCRC = crc(tail)
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

    private static func crc(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            UInt32(crc32(crc32(0, nil, 0), buffer.baseAddress, uInt(buffer.count)))
        }
    }

    /// Raw deflate (no zlib or gzip framing). `finish` ends the stream; otherwise it ends on a full flush.
    private static func deflate(_ input: [UInt8], finish: Bool, level: Int32) -> [UInt8] {
        var stream = z_stream()
        // windowBits -15: raw deflate; memLevel 8 is zlib's default.
        let status = CZlib_deflateInit2(&stream, level, -15, 8)
        precondition(status == Z_OK, "deflateInit2 failed with \(status): only possible with bad parameters")
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 16)
        var input = input
        let produced: Int = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                let result = CZlib.deflate(&stream, finish ? Z_FINISH : Z_FULL_FLUSH)
                precondition(
                    result == (finish ? Z_STREAM_END : Z_OK), "deflate into a deflateBound buffer failed: \(result)")
                return outBuffer.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(produced))
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
