/// One line of the summary table that ends directory mode.
public struct BatchRow: Sendable {
    public var path: String
    public var packets: Int?
    public var duration: Double?
    public var label: String?
    public var confidence: Double?
    public var error: String?

    public init(report: CaptureReport) {
        path = report.capture
        packets = report.packets
        duration = report.durationSeconds
        let best = report.streams.max { ($0.downloadBytes) < ($1.downloadBytes) }
        label = best?.answerText ?? (report.streams.isEmpty ? "no stream" : "unclassified")
        confidence = best?.confidence
        if report.streams.count > 1, let l = label { label = "\(l) (+\(report.streams.count - 1) more)" }
    }

    public init(path: String, error: String) {
        self.path = path
        self.error = error
    }

    /// The table, with a last line counting the failures.
    public static func table(_ rows: [BatchRow], directory: String, failed: Int) -> String {
        let width = min(60, max(4, rows.map(\.path.count).max() ?? 4))
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        var out = "\nsummary of \(directory): \(rows.count) capture\(rows.count == 1 ? "" : "s"), \(failed) failed\n"
        out += "\(pad("file", width))  \(lpad("packets", 10))  \(lpad("duration", 9))  class (confidence)\n"
        for r in rows {
            var name = r.path
            if name.count > width { name = "…" + name.suffix(width - 1) }
            if let e = r.error {
                out += "\(pad(name, width))  \(lpad("-", 10))  \(lpad("-", 9))  error: \(e)\n"
            } else {
                let conf = r.confidence.map { " (" + String(format2($0)) + ")" } ?? ""
                out += "\(pad(name, width))  \(lpad(TextReport.grouped(r.packets ?? 0), 10))  \(lpad(String(format1(r.duration ?? 0)) + " s", 9))  \(r.label ?? "-")\(conf)\n"
            }
        }
        return out
    }
}

func format1(_ x: Double) -> String { String((x * 10).rounded() / 10) }
func format2(_ x: Double) -> String {
    let v = (x * 100).rounded() / 100
    var s = String(v)
    if let dot = s.firstIndex(of: "."), s.distance(from: dot, to: s.endIndex) == 2 { s += "0" }
    return s
}
