import Foundation
import JSONText

/// Where a window row comes from: the capture, the analysed unit, the time origin of the
/// relative columns (usually the capture's first packet) and an optional class label.
public struct RowSource: Sendable, Hashable {
    public var capture: String
    public var unit: String
    public var origin: Double
    public var label: String?

    public init(capture: String, unit: String, origin: Double, label: String? = nil) {
        self.capture = capture
        self.unit = unit
        self.origin = origin
        self.label = label
    }
}

/// Text form of one number: the shortest decimal that reads back to the same `Double`
/// (`0.1`, `1e-05`, `1514.0`), `inf` / `-inf`, and nil for NaN.
@inlinable
public func roundTripText(_ value: Double) -> String? {
    if value.isNaN { return nil }
    if value.isInfinite { return value > 0 ? "inf" : "-inf" }
    return value.description
}

/// CSV rows for `streamprobe features`, loadable with `pandas.read_csv`:
/// `capture,unit,window_index,start_s,end_s,start_epoch,end_epoch,packets,skipped,<features…>[,label]`.
/// `skipped` is 0 or 1; a skipped window's feature cells are empty (pandas reads NaN);
/// NaN is an empty cell; fields with a comma, quote or line break are quoted (RFC 4180).
public struct FeatureCSVWriter: Sendable {
    public let featureNames: [String]
    public let includeLabel: Bool

    public init(featureNames: [String], includeLabel: Bool = false) {
        self.featureNames = featureNames
        self.includeLabel = includeLabel
    }

    /// The header line, with its line feed.
    public func header() -> String {
        var fields = ["capture", "unit", "window_index", "start_s", "end_s", "start_epoch", "end_epoch", "packets", "skipped"]
        fields += featureNames
        if includeLabel { fields.append("label") }
        return fields.map(Self.escape).joined(separator: ",") + "\n"
    }

    /// One window's line, with its line feed.
    public func row(_ window: WindowResult, source: RowSource) -> String {
        var line = Self.escape(source.capture)
        line += ","
        line += Self.escape(source.unit)
        line += ",\(window.index),"
        line += number(window.start - source.origin) + ","
        line += number(window.end - source.origin) + ","
        line += number(window.start) + ","
        line += number(window.end) + ","
        line += "\(window.packetCount),\(window.skipped ? 1 : 0)"
        for i in 0..<featureNames.count {
            line += ","
            if i < window.values.count { line += number(window.values[i]) }
        }
        if includeLabel {
            line += ","
            line += Self.escape(source.label ?? "")
        }
        return line + "\n"
    }

    private func number(_ value: Double) -> String { roundTripText(value) ?? "" }

    /// One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break (\n or \r).
    /// The one CSV quoting of the project.
    public static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// JSON Lines: one object per window, keys in a fixed order, features as an object in
/// the set's order; NaN and infinities are `null` (JSON has no such numbers). Every row carries
/// `schema_version` (docs/json.md, docs/schema/features-row.schema.json).
/// `{"schema_version":1,"capture":…,"unit":…,"window_index":0,"start_s":…,"end_s":…,"start_epoch":…,
/// "end_epoch":…,"packets":…,"skipped":false,"skip_reason":null,"features":{…},"label":…}`
public struct FeatureJSONLWriter: Sendable {
    /// The layout version every row carries; a change of meaning or name is a new version.
    public static let schemaVersion = 1

    public let featureNames: [String]

    public init(featureNames: [String]) {
        self.featureNames = featureNames
    }

    /// One window's line, with its line feed.
    public func row(_ window: WindowResult, source: RowSource) -> String {
        var line = "{\"schema_version\":\(Self.schemaVersion)"
        line += ",\"capture\":" + Self.string(source.capture)
        line += ",\"unit\":" + Self.string(source.unit)
        line += ",\"window_index\":\(window.index)"
        line += ",\"start_s\":" + Self.number(window.start - source.origin)
        line += ",\"end_s\":" + Self.number(window.end - source.origin)
        line += ",\"start_epoch\":" + Self.number(window.start)
        line += ",\"end_epoch\":" + Self.number(window.end)
        line += ",\"packets\":\(window.packetCount)"
        line += ",\"skipped\":\(window.skipped)"
        line += ",\"skip_reason\":" + (window.skipReason.map { Self.string($0.rawValue) } ?? "null")
        line += ",\"features\":"
        if window.skipped {
            line += "null"
        } else {
            line += "{"
            for (i, name) in featureNames.enumerated() {
                if i > 0 { line += "," }
                line += Self.string(name) + ":" + Self.number(i < window.values.count ? window.values[i] : .nan)
            }
            line += "}"
        }
        line += ",\"label\":" + (source.label.map(Self.string) ?? "null")
        return line + "}\n"
    }

    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        return value.description
    }

    static func string(_ text: String) -> String { JSONText.string(text) }
}
