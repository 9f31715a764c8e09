import Analyzer
import Foundation

/// The history as one self-contained page (`history summary --html FILE`): listening time per day
/// (bars), an hour-of-day strip (a heatmap of listening time), the share of each tier, and the
/// clients. Inline SVG and CSS only: no script, nothing loaded from elsewhere.
public enum HistoryHTML {
    public static func render(_ s: HistorySummary) -> String {
        let e = HTMLReport.escape
        var out = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>streamprobe history: \(e(s.database))</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1100px; }
        h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 6px; } .meta { color: #555; }
        table { border-collapse: collapse; } td, th { padding: 2px 12px 2px 0; text-align: left; } td.num { text-align: right; }
        </style></head><body>
        <h1>listening history: \(e(s.database))</h1>
        <p class="meta" id="summary">\(s.captures) captures, \(s.plays) plays, \(minutes(s.listeningSeconds)) listened, \(s.skips) skipped, \
        \(s.clients) clients; times in \(e(s.time)). Plays are estimated from traffic.</p>

        """
        out += "<h2>listening time per day</h2>\n" + dayBars(s.perDay)
        out += "<h2>hour of day</h2>\n" + hourStrip(s.perHour)
        out += "<h2>tiers (share of listening time)</h2>\n" + tierBars(s.tiers)
        out += "<h2>clients</h2>\n<table id=\"clients\"><tr><th>client</th><th>plays</th><th>listened</th><th>skipped</th></tr>"
        for c in s.perClient {
            out += "<tr><td>\(e(c.key))</td><td class=\"num\">\(c.plays)</td><td class=\"num\">\(minutes(c.listeningSeconds))</td><td class=\"num\">\(c.skips)</td></tr>"
        }
        out += "</table>\n</body></html>\n"
        return out
    }

    static func minutes(_ seconds: Double) -> String { seconds >= 3600 ? String(format: "%.1f h", seconds / 3600) : String(format: "%.0f min", seconds / 60) }

    static func dayBars(_ days: [SummaryRow]) -> String {
        guard !days.isEmpty else { return "<p class=\"meta\">no plays</p>\n" }
        let most = max(days.map(\.listeningSeconds).max() ?? 1, 1)
        let barWidth = max(6.0, min(40.0, 900.0 / Double(days.count)))
        let width = 60 + barWidth * Double(days.count), height = 170.0
        var out = "<svg id=\"per-day\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" role=\"img\" aria-label=\"listening time per day\">\n"
        for (i, d) in days.enumerated() {
            let h = d.listeningSeconds / most * 120, x = 50 + Double(i) * barWidth
            out += "<rect class=\"day\" x=\"\(f(x))\" y=\"\(f(140 - h))\" width=\"\(f(barWidth * 0.8))\" height=\"\(f(h))\" fill=\"#0072B2\">"
            out += "<title>\(HTMLReport.escape(d.key)): \(minutes(d.listeningSeconds)), \(d.plays) plays</title></rect>\n"
        }
        out += "<text x=\"0\" y=\"24\" font-size=\"11\">\(minutes(most))</text>"
        if days.count <= 12 {
            // Few days: each bar labelled (MM-DD) under its centre.
            for (i, d) in days.enumerated() {
                out += "<text x=\"\(f(50 + (Double(i) + 0.4) * barWidth))\" y=\"156\" font-size=\"10\" text-anchor=\"middle\">"
                out += "\(HTMLReport.escape(String(d.key.suffix(5))))</text>"
            }
        } else {
            out += "<text x=\"50\" y=\"160\" font-size=\"11\">\(HTMLReport.escape(days.first!.key))</text>"
            out += "<text x=\"\(f(width - 4))\" y=\"160\" font-size=\"11\" text-anchor=\"end\">\(HTMLReport.escape(days.last!.key))</text>"
        }
        out += "\n</svg>\n"
        return out
    }

    static func hourStrip(_ hours: [SummaryRow]) -> String {
        var byHour = [Double](repeating: 0, count: 24)
        for h in hours { if let i = Int(h.key), (0..<24).contains(i) { byHour[i] = h.listeningSeconds } }
        let most = max(byHour.max() ?? 1, 1)
        var out = "<svg id=\"per-hour\" viewBox=\"0 0 1000 60\" width=\"1000\" role=\"img\" aria-label=\"listening time by hour of day\">\n"
        for i in 0..<24 {
            let share = byHour[i] / most
            let shade = Int(245 - share * 200)   // darker: more listening
            out += "<rect class=\"hour\" x=\"\(10 + i * 40)\" y=\"5\" width=\"38\" height=\"30\" fill=\"rgb(\(shade),\(shade),255)\">"
            out += "<title>\(i):00 \(minutes(byHour[i]))</title></rect>"
            out += "<text x=\"\(29 + i * 40)\" y=\"52\" font-size=\"11\" text-anchor=\"middle\">\(i)</text>\n"
        }
        return out + "</svg>\n"
    }

    static func tierBars(_ tiers: [SummaryRow]) -> String {
        var out = "<table id=\"tiers\">"
        for (i, t) in tiers.enumerated() {
            let share = t.share ?? 0
            out += "<tr><td>\(HTMLReport.escape(t.key))</td><td class=\"num\">\(String(format: "%.1f %%", share * 100))</td>"
            out += "<td><svg width=\"\(Int(share * 300) + 1)\" height=\"12\"><rect width=\"\(Int(share * 300) + 1)\" height=\"12\" "
            out += "fill=\"\(HTMLReport.palette[i % HTMLReport.palette.count])\"/></svg></td></tr>"
        }
        return out + "</table>\n"
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }
}
