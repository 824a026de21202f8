/// The samples of one ``OffsetHistory``, oldest first, in one array of 8-byte words instead of 16 bytes a
/// sample: the oldest sample in full (its time in milliseconds, its offset), every later one as its distance
/// from the oldest, 32 bits of milliseconds and 32 bits of offsets in one word. A history whose distances do
/// not fit in 32 bits (a group reset billions of offsets forward, a window of more than 49 days) keeps full
/// samples, two words each, until it starts over. Times are kept to the millisecond, so moving the oldest
/// sample (``removeFirst(_:)``, ``setFirstTime(_:)``) is exact integer arithmetic.
///
/// Layout of `words`: empty when there is no sample; otherwise `words[0]` holds the oldest sample's time in
/// milliseconds in its low 63 bits and, in bit 63, whether the samples are full; packed, `words[1]` is the
/// oldest offset and `words[2...]` the later samples; full, `words[1...]` are (time, offset) pairs.
struct PackedOffsetSamples: Sendable, Hashable {
    private var words: [UInt64] = []

    private static let fullFlag: UInt64 = 1 << 63
    private static let millisecondMask: UInt64 = fullFlag - 1

    /// The time, in seconds, rounded to the millisecond that is stored; clamped to what 62 bits hold.
    static func quantized(_ time: Double) -> Double { Double(millis(time)) / 1000 }

    private static func millis(_ time: Double) -> Int64 {
        let limit = Double(Int64(1) << 61)
        let scaled = (time * 1000).rounded()
        guard scaled.isFinite else { return scaled > 0 ? Int64(limit) : -Int64(limit) }
        return Int64(min(limit, max(-limit, scaled)))
    }

    private var isFull: Bool { (words.first ?? 0) & Self.fullFlag != 0 }

    private var originMillis: Int64 {
        // The low 63 bits, sign-extended.
        Int64(bitPattern: words[0] << 1) >> 1
    }

    var count: Int {
        guard !words.isEmpty else { return 0 }
        return isFull ? (words.count - 1) / 2 : words.count - 1
    }

    private func millisAndOffset(_ index: Int) -> (Int64, Int64) {
        if isFull {
            return (Int64(bitPattern: words[1 + 2 * index]), Int64(bitPattern: words[2 + 2 * index]))
        }
        let originOffset = Int64(bitPattern: words[1])
        if index == 0 { return (originMillis, originOffset) }
        let word = words[1 + index]
        return (originMillis + Int64(word >> 32), originOffset + Int64(word & 0xFFFF_FFFF))
    }

    subscript(index: Int) -> OffsetSample {
        let (millis, offset) = millisAndOffset(index)
        return OffsetSample(time: Double(millis) / 1000, offset: offset)
    }

    var first: OffsetSample? { count == 0 ? nil : self[0] }
    var last: OffsetSample? { count == 0 ? nil : self[count - 1] }

    /// Every sample, oldest first (for tests and inspection; the history reads them one by one).
    var all: [OffsetSample] { (0..<count).map { self[$0] } }

    /// The word for a later sample, or `nil` when its distance from the oldest does not fit.
    private func packed(millis: Int64, offset: Int64) -> UInt64? {
        let originOffset = Int64(bitPattern: words[1])
        let dt = millis - originMillis, doff = offset &- originOffset
        guard (0...Int64(UInt32.max)).contains(dt), offset >= originOffset, (0...Int64(UInt32.max)).contains(doff) else {
            return nil
        }
        return UInt64(dt) << 32 | UInt64(doff)
    }

    private static func header(millis: Int64, full: Bool) -> UInt64 {
        (UInt64(bitPattern: millis) & millisecondMask) | (full ? fullFlag : 0)
    }

    /// Rewrites the samples given in full, packed when they fit.
    private mutating func store(_ samples: [(Int64, Int64)]) {
        words.removeAll(keepingCapacity: true)
        guard let origin = samples.first else { return }
        words.append(Self.header(millis: origin.0, full: false))
        words.append(UInt64(bitPattern: origin.1))
        for sample in samples.dropFirst() {
            guard let word = packed(millis: sample.0, offset: sample.1) else {
                storeFull(samples)
                return
            }
            words.append(word)
        }
    }

    private mutating func storeFull(_ samples: [(Int64, Int64)]) {
        words.removeAll(keepingCapacity: true)
        words.append(Self.header(millis: samples[0].0, full: true))
        for sample in samples {
            words.append(UInt64(bitPattern: sample.0))
            words.append(UInt64(bitPattern: sample.1))
        }
    }

    private var allMillisAndOffsets: [(Int64, Int64)] { (0..<count).map(millisAndOffset) }

    /// Makes room for `samples` packed samples at once (a timeline of a fixed number of points), so the
    /// array does not double past what it will hold.
    mutating func reserve(samples: Int) {
        words.reserveCapacity(samples + 1)
    }

    /// Forgets every sample and keeps `sample` alone.
    mutating func restart(with sample: OffsetSample) {
        store([(Self.millis(sample.time), sample.offset)])
    }

    mutating func append(_ sample: OffsetSample) {
        guard count > 0 else { return restart(with: sample) }
        let millis = Self.millis(sample.time)
        if isFull {
            words.append(UInt64(bitPattern: millis))
            words.append(UInt64(bitPattern: sample.offset))
        } else if let word = packed(millis: millis, offset: sample.offset) {
            words.append(word)
        } else {
            storeFull(allMillisAndOffsets + [(millis, sample.offset)])
        }
    }

    mutating func replaceLast(with sample: OffsetSample) {
        precondition(count >= 2, "the oldest sample is replaced by restart(with:)")
        let millis = Self.millis(sample.time)
        if isFull {
            words[words.count - 2] = UInt64(bitPattern: millis)
            words[words.count - 1] = UInt64(bitPattern: sample.offset)
        } else if let word = packed(millis: millis, offset: sample.offset) {
            words[words.count - 1] = word
        } else {
            storeFull(allMillisAndOffsets.dropLast() + [(millis, sample.offset)])
        }
    }

    /// Drops the `k` oldest samples; the one after them becomes the origin the others are measured from.
    mutating func removeFirst(_ k: Int) {
        guard k > 0 else { return }
        precondition(k < count, "removeFirst keeps at least one sample")
        if isFull {
            words.removeSubrange(1..<(1 + 2 * k))
            words[0] = Self.header(millis: Int64(bitPattern: words[1]), full: true)
            return
        }
        // In place: offsets and times never decrease, so each later word minus the new origin's word
        // subtracts both halves without a borrow.
        let (millis, offset) = millisAndOffset(k)
        let base = words[1 + k]
        for index in (k + 1)..<count { words[1 + index] -= base }
        words.removeSubrange(2..<(2 + k))
        words[0] = Self.header(millis: millis, full: false)
        words[1] = UInt64(bitPattern: offset)
    }

    /// Drops the sample at `index`; dropping the oldest makes the next one the origin.
    mutating func remove(at index: Int) {
        precondition(index < count, "no sample at \(index)")
        if index == 0 {
            if count == 1 { words.removeAll(keepingCapacity: true) } else { removeFirst(1) }
        } else if isFull {
            words.removeSubrange((1 + 2 * index)..<(3 + 2 * index))
        } else {
            words.remove(at: 1 + index)
        }
    }

    /// Moves the oldest sample's time to `time`, which must not be after the next sample's.
    mutating func setFirstTime(_ time: Double) {
        let millis = Self.millis(time)
        let shift = millis - originMillis
        if isFull {
            words[0] = Self.header(millis: millis, full: true)
            words[1] = UInt64(bitPattern: millis)
        } else if shift >= 0, (1..<count).allSatisfy({ Int64(words[1 + $0] >> 32) >= shift }) {
            for index in 1..<count { words[1 + index] -= UInt64(shift) << 32 }
            words[0] = Self.header(millis: millis, full: false)
        } else {
            var samples = allMillisAndOffsets
            samples[0].0 = millis
            store(samples)
        }
    }
}
