/// Parses Prometheus-style durations: one or more `<number><unit>` parts with units `ms`, `s`, `m`, `h`, `d`,
/// `w` (`15s`, `1m30s`, `500ms`, `7d`). A bare number is not accepted, so the unit is never guessed.
public enum DurationParser {
    /// Seconds in `text`, or `nil` when it is not a duration.
    public static func seconds(_ text: String) -> Double? {
        var total = 0.0
        var rest = Substring(text.trimmingCharacters(in: " "))
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber || $0 == "." }
            guard !digits.isEmpty, let value = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "ms": total += value / 1000
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            case "d": total += value * 86_400
            case "w": total += value * 604_800
            default: return nil
            }
        }
        return total
    }

    /// Writes seconds the way ``seconds(_:)`` reads them, in the largest units that divide them (`5m`, `90s`,
    /// `1h30m`, `500ms`).
    /// Values no duration field accepts (negative, not finite, or beyond 10¹² s) are written as plain seconds.
    public static func format(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0, seconds < 1e12 else { return "\(seconds)s" }
        var milliseconds = Int((seconds * 1000).rounded())
        guard milliseconds > 0 else { return "0s" }
        var text = ""
        for (unit, size) in [("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)] where milliseconds >= size {
            if size == 1000, milliseconds % 1000 != 0 { continue }
            text += "\(milliseconds / size)\(unit)"
            milliseconds %= size
        }
        return text
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var result = Substring(self)
        while result.first == set { result = result.dropFirst() }
        while result.last == set { result = result.dropLast() }
        return String(result)
    }
}
