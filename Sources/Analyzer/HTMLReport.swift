import Foundation

/// One self-contained HTML page per capture (`analyze --html FILE`): the summary, and per stream the
/// answer with its probabilities and a timeline drawn in inline SVG — each window a band coloured by
/// its class (grey when idle or skipped), the window's confidence as a line over it, the packets per
/// second below, session boundaries as dashed lines. No script, no network, no external file: it
/// opens the same from a mail attachment as from disk, and prints.
public enum HTMLReport {
    /// A fixed colour per class position (colour-blind-safe Okabe–Ito order), grey for no class.
    public static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000"]
    static let noClass = "#d0d0d0"

    public static func render(_ r: CaptureReport, modelCard: String? = nil) -> String {
        var out = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>streamprobe: \(escape(r.capture))</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1100px; }
        h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 6px; }
        .meta, .note { color: #555; } .warn { color: #a33; }
        table { border-collapse: collapse; margin: 8px 0; } td, th { padding: 2px 10px 2px 0; text-align: left; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        .bar { display: inline-block; height: 10px; vertical-align: middle; }
        .legend span { display: inline-block; margin-right: 14px; } .swatch { width: 12px; height: 12px; display: inline-block; vertical-align: -1px; margin-right: 4px; }
        svg { display: block; margin: 8px 0; } details { margin-top: 16px; } pre { white-space: pre-wrap; font-size: 12px; }
        </style></head><body>

        """
        out += "<h1>\(escape(r.capture))</h1>\n"
        out += "<p class=\"meta\" id=\"summary\">\(TextReport.grouped(r.packets)) packets, \(TextReport.formatBytes(r.bytes)), "
        out += "\(String(format: "%.1f", r.durationSeconds)) s, \(r.flows) flows, link \(escape(r.linkType))"
        if let start = r.startEpoch { out += ", from \(escape(isoTime(start)))" }
        out += "<br>model <b>\(escape(r.model.name))</b> (\(escape(r.model.classes.joined(separator: " / "))); features "
        out += "\(escape(r.model.featureSet)), \(TextReport.trim(r.model.windowSeconds)) s windows)"
        if let d = r.model.description { out += "<br>\(escape(d))" }
        out += "</p>\n"
        for w in r.warnings { out += "<p class=\"warn\">warning: \(escape(w))</p>\n" }
        if r.streams.isEmpty { out += "<p class=\"note\" id=\"note\">\(escape(r.note ?? "no stream found"))</p>\n" }
        out += legend(r.model.classes)
        for (i, s) in r.streams.enumerated() { out += stream(s, number: i + 1, of: r.streams.count, classes: r.model.classes) }
        if let modelCard {
            out += "<details id=\"card\"><summary>model card: \(escape(r.model.name))</summary><pre>\(escape(modelCard))</pre></details>\n"
        }
        out += "<p class=\"meta\">streamprobe report, schema version \(CaptureReport.schemaVersion)</p>\n</body></html>\n"
        return out
    }

    static func legend(_ classes: [String]) -> String {
        var out = "<p class=\"legend\">"
        for (i, c) in classes.enumerated() { out += "<span><i class=\"swatch\" style=\"background:\(color(i))\"></i>\(escape(c))</span>" }
        out += "<span><i class=\"swatch\" style=\"background:\(noClass)\"></i>idle / skipped</span></p>\n"
        return out
    }

    static func color(_ index: Int) -> String { palette[index % palette.count] }

    static func stream(_ s: StreamReport, number: Int, of count: Int, classes: [String]) -> String {
        var out = "<section class=\"stream\"><h2>stream \(number) of \(count): \(escape(s.client))</h2>\n"
        out += "<p class=\"meta\">\(s.flows.count) flow\(s.flows.count == 1 ? "" : "s"), \(TextReport.formatBytes(s.downloadBytes)) down / "
        out += "\(TextReport.formatBytes(s.uploadBytes)) up over \(String(format: "%.1f", s.durationSeconds)) s<br>\(escape(s.selection))</p>\n"
        if let answer = s.answerText, let conf = s.confidence {
            out += "<p class=\"answer\">prediction: <b>\(escape(answer))</b> (confidence \(String(format: "%.2f", conf)))"
            if let f = s.final { out += "; majority of windows: \(escape(f))" }
            out += "</p>\n"
        } else if let note = s.note {
            out += "<p class=\"note\">no answer: \(escape(note))</p>\n"
        }
        if let d = s.disagreement { out += "<p class=\"note\">\(escape(d))</p>\n" }
        if !s.probabilities.isEmpty {
            out += "<table class=\"probabilities\">"
            for p in s.probabilities {
                let i = classes.firstIndex(of: p.label)
                out += "<tr><td>\(escape(p.label))</td><td class=\"num\">\(String(format: "%.3f", p.probability))</td>"
                out += "<td><span class=\"bar\" style=\"width:\(Int((p.probability * 300).rounded()))px;background:\(i.map(color) ?? "#555")\"></span></td></tr>"
            }
            out += "</table>\n"
        }
        out += timeline(s, classes: classes)
        out += "</section>\n"
        return out
    }

    /// The timeline: class bands with the confidence line (top), packets per second (bottom).
    static func timeline(_ s: StreamReport, classes: [String]) -> String {
        guard let first = s.windows.first, let last = s.windows.last else { return "" }
        let t0 = first.start, t1 = max(last.end, t0 + 1e-9)
        let width = 1000.0, left = 50.0, plot = width - left - 10
        let bandTop = 10.0, bandHeight = 60.0, rateTop = 90.0, rateHeight = 60.0, height = 175.0
        func x(_ t: Double) -> Double { left + (t - t0) / (t1 - t0) * plot }
        let rates = s.windows.map { Double($0.packets) / max($0.end - $0.start, 1e-9) }
        let maxRate = max(rates.max() ?? 1, 1)
        var out = "<svg class=\"timeline\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" role=\"img\" "
        out += "aria-label=\"window classes and confidence over time, packets per second below\">\n"
        out += "<text x=\"0\" y=\"\(Int(bandTop + 12))\" font-size=\"11\">class</text>"
        out += "<text x=\"0\" y=\"\(Int(rateTop + 12))\" font-size=\"11\">pkt/s</text>\n"
        var line: [String] = []
        for (w, rate) in zip(s.windows, rates) {
            let fill = w.label.flatMap { classes.firstIndex(of: $0) }.map(color) ?? noClass
            let x0 = x(w.start), x1 = max(x(w.end), x0 + 0.5)
            out += "<rect class=\"window\" x=\"\(f(x0))\" y=\"\(f(bandTop))\" width=\"\(f(x1 - x0))\" height=\"\(f(bandHeight))\" fill=\"\(fill)\">"
            out += "<title>\(f(w.start))–\(f(w.end)) s: \(escape(w.label ?? (w.idle ? "idle" : "skipped")))"
            if let c = w.confidence { out += " \(String(format: "%.2f", c))" }
            out += ", \(w.packets) packets</title></rect>\n"
            if let c = w.confidence { line.append("\(f((x0 + x1) / 2)),\(f(bandTop + bandHeight * (1 - c)))") }
            let h = rate / maxRate * rateHeight
            out += "<rect x=\"\(f(x0))\" y=\"\(f(rateTop + rateHeight - h))\" width=\"\(f(x1 - x0))\" height=\"\(f(h))\" fill=\"#777\"/>\n"
        }
        if line.count > 1 {
            out += "<polyline class=\"confidence\" points=\"\(line.joined(separator: " "))\" fill=\"none\" stroke=\"#111\" stroke-width=\"1.5\"/>\n"
        }
        for session in s.sessions.dropFirst() {
            let sx = f(x(session.start))
            out += "<line class=\"session\" x1=\"\(sx)\" y1=\"\(f(bandTop))\" x2=\"\(sx)\" y2=\"\(f(rateTop + rateHeight))\" stroke=\"#a33\" stroke-dasharray=\"4 3\"/>\n"
        }
        out += "<line x1=\"\(f(left))\" y1=\"\(f(rateTop + rateHeight))\" x2=\"\(f(left + plot))\" y2=\"\(f(rateTop + rateHeight))\" stroke=\"#999\"/>\n"
        out += "<text x=\"\(f(left))\" y=\"\(Int(height - 2))\" font-size=\"11\">\(f(t0)) s</text>"
        out += "<text x=\"\(f(left + plot))\" y=\"\(Int(height - 2))\" font-size=\"11\" text-anchor=\"end\">\(f(t1)) s</text>\n"
        out += "<text x=\"\(f(left + plot))\" y=\"\(Int(rateTop + 10))\" font-size=\"11\" text-anchor=\"end\">max \(Int(maxRate.rounded())) pkt/s</text>\n"
        out += "</svg>\n"
        return out
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    static func isoTime(_ epoch: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: epoch))
    }

    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
