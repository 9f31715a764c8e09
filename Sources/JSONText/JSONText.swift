/// JSON string literals: the one JSON string escaping of the project, for the model files and the
/// JSON of `models` / `evaluate` (Trees) and the JSON Lines rows of `features` (Features).
/// A leaf module: it imports nothing, so both can use it without depending on each other.
public enum JSONText {
    /// Appends `text` as a JSON string literal: `"` and `\` escaped, line feed, carriage return and
    /// tab as `\n`, `\r`, `\t`, other control characters (below U+0020) as `\u00xx`; every other
    /// character as it is (UTF-8, `/` not escaped).
    @inlinable
    public static func appendString(_ text: String, to out: inout String) {
        out.append("\"")
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
    }

    /// `text` as a JSON string literal (see `appendString`).
    @inlinable
    public static func string(_ text: String) -> String {
        var out = ""
        appendString(text, to: &out)
        return out
    }
}
