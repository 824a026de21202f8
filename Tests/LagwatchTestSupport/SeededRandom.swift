/// A seeded generator (SplitMix64) for property tests: the same seed gives the same cases, so a failure
/// names its seed and can be run again.
public struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    /// Creates a generator; `seed` picks the sequence.
    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A string of up to `maximumLength` characters drawn from `alphabet`.
    public mutating func string(from alphabet: [Character], maximumLength: Int) -> String {
        String((0..<Int.random(in: 0...maximumLength, using: &self)).map { _ in alphabet.randomElement(using: &self)! })
    }

    /// `text` with up to `edits` random single-character insertions, deletions or replacements from `alphabet`.
    public mutating func mutate(_ text: String, edits: Int, alphabet: [Character]) -> String {
        var characters = Array(text)
        for _ in 0..<Int.random(in: 1...edits, using: &self) {
            let position = Int.random(in: 0...characters.count, using: &self)
            let kind = Int.random(in: 0..<3, using: &self)
            if kind == 0 || position == characters.count {
                characters.insert(alphabet.randomElement(using: &self)!, at: position)
            } else if kind == 1 {
                characters.remove(at: position)
            } else {
                characters[position] = alphabet.randomElement(using: &self)!
            }
        }
        return String(characters)
    }
}
