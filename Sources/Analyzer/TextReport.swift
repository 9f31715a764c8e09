import Foundation

/// Renders a `CaptureReport` for a person: summary, per-stream prediction with bars,
/// the window evolution with repeated runs folded, the share of windows and the final class.
public enum TextReport {
    public static func render(_ r: CaptureReport) -> String {
        var out = ""
        out += "capture  \(r.capture)\n"
        out += "         \(grouped(r.packets)) packets, \(formatBytes(r.bytes)), \(String(format: "%.1f", r.durationSeconds)) s, \(r.flows) flows, link \(r.linkType)\n"
        out += "model    \(r.model.name) (\(r.model.classes.joined(separator: " / ")); features \(r.model.featureSet), \(trim(r.model.windowSeconds)) s windows)\n"
        if let d = r.model.description { out += "         \(d)\n" }
        if let t = r.model.temporal {
            out += "         window classes from the \(t) of the stream's classified window probabilities\n"
        }
        for w in r.warnings { out += "warning  \(w)\n" }
        if r.streams.isEmpty {
            out += "\n\(r.note ?? "no stream found")\n"
            return out
        }
        for (i, s) in r.streams.enumerated() {
            out += "\n"
            let who = s.client.first.map { $0.isNumber || $0 == ":" } == true || s.client.contains(":") ? "client \(s.client)" : s.client
            out += "stream \(i + 1) of \(r.streams.count): \(who), \(s.flows.count) flow\(s.flows.count == 1 ? "" : "s"), "
            out += "\(formatBytes(s.downloadBytes)) down / \(formatBytes(s.uploadBytes)) up over \(String(format: "%.1f", s.durationSeconds)) s\n"
            out += "  selected: \(s.selection)\n"
            guard s.label != nil, let conf = s.confidence, let answer = s.answerText else {
                if let note = s.note {
                    out += "  no answer: \(note)\n"
                    out += "  windows:\n"
                    for line in windowLines(s.windows) { out += "    \(line)\n" }
                    continue
                }
                let idle = s.windows.idleWindowTotal
                out += "  no window had enough packets to classify (\(s.windows.windowTotal) windows: \(idle) idle, \(s.windows.windowTotal - idle) skipped)\n"
                continue
            }
            if !s.alternatives.isEmpty {
                let each = s.alternatives.map { "\($0.label) \(String(format: "%.2f", $0.probability))" }.joined(separator: ", ")
                out += "  prediction: \(answer)  (between: \(each); no class is confident enough)\n"
            } else {
                out += "  prediction: \(answer)  (confidence \(String(format: "%.2f", conf)))\n"
            }
            if s.basis == "stream" {
                out += "  judged on: the whole session (fetch sizes, time between fetches, rates; calibrated)\n"
            }
            let width = s.probabilities.map(\.label.count).max() ?? 0
            for p in s.probabilities {
                out += "    \(pad(p.label, width))  \(String(format: "%.3f", p.probability))  \(bar(p.probability, width: 30))\n"
            }
            if s.sessions.count > 1 {
                out += "  sessions (a silence over \(Int(StreamUnit.sessionGap)) s starts a new one):\n"
                for x in s.sessions {
                    let verdict = x.alternatives.isEmpty ? (x.label ?? "-") : x.alternatives.map(\.label).joined(separator: " or ")
                    let conf = x.confidence.map { String(format: " %.2f", $0) } ?? ""
                    out += "    \(String(format: "%9.1f", x.start))–\(String(format: "%-9.1f", x.end)) \(verdict)\(conf)  \(grouped(x.packets)) packets, \(formatBytes(x.downloadBytes)) down\n"
                }
            }
            if let plays = s.plays, !plays.isEmpty {
                out += playLines(plays)
            }
            if s.looksLike != nil {
                // Not what the model is about: the windows carry no class, one line says so.
                let idle = s.windows.idleWindowTotal
                out += "  windows: \(s.windows.windowTotal) (\(idle) idle), not classified: the stream does not look like audio\n"
                out += "  final: \(s.final ?? "-")\n"
                continue
            }
            out += "  windows:\n"
            for line in windowLines(s.windows) { out += "    \(line)\n" }
            let analysed = s.windows.filter { !$0.skipped && !$0.idle && $0.label != nil }.count
            let idle = s.windows.idleWindowTotal
            let skipped = s.windows.filter { $0.skipped && !$0.idle }.count
            if s.windowShare.isEmpty {
                out += "  windows: \(s.windows.windowTotal) (\(idle) idle)\n"
            } else {
                let share = s.windowShare.filter { $0.share > 0 }
                    .map { "\($0.label) \(String(format: "%.0f", $0.share * 100))%" }.joined(separator: ", ")
                out += "  share of windows: \(share)  (\(analysed) classified, \(idle) idle, \(skipped) skipped)\n"
            }
            out += "  final (majority of windows): \(s.final ?? "-")\n"
            if let d = s.disagreement { out += "  note: \(d)\n" }
        }
        return out
    }

    /// One line per capture, for `-q`.
    public static func quietLine(_ r: CaptureReport) -> String {
        if r.streams.isEmpty { return "\(r.capture): \(r.note ?? "no stream found")" }
        let parts = r.streams.map { s -> String in
            guard let label = s.label, let c = s.confidence else {
                return "\(s.client) unclassified" + (s.note.map { " (\($0))" } ?? "")
            }
            // One word per field: `normal/high` for a between answer, `not_audio:video`.
            let answer = !s.alternatives.isEmpty ? s.alternatives.map(\.label).joined(separator: "/")
                : s.looksLike.map { "\(label):\($0)" } ?? label
            return "\(s.client) \(answer) \(String(format: "%.2f", c)) final \(s.final ?? "-")"
        }
        return "\(r.capture): " + parts.joined(separator: "; ")
    }

    /// Window rows; runs of three or more windows with the same outcome fold into one line (as does
    /// an entry that stands for a run of empty windows).
    static func windowLines(_ windows: [WindowReport]) -> [String] {
        var lines: [String] = []
        var i = 0
        while i < windows.count {
            var j = i + 1
            while j < windows.count && windows[j].skipped == windows[i].skipped && windows[j].idle == windows[i].idle
                    && windows[j].label == windows[i].label { j += 1 }
            let run = windows[i..<j]
            let span = "\(String(format: "%7.1f", run.first!.start))–\(String(format: "%-7.1f", run.last!.end))"
            let count = run.reduce(0) { $0 + $1.windowCount }
            if count >= 3 || count > run.count {
                let packets = run.reduce(0) { $0 + $1.packets }
                if run.first!.idle {
                    lines.append("\(span) idle       ×\(count)  (\(grouped(packets)) packets in all: too few to classify, no vote)")
                } else if !run.first!.skipped && run.first!.label == nil {
                    lines.append("\(span) not classified ×\(run.count)  (\(grouped(packets)) packets in all)")
                } else if run.first!.skipped {
                    lines.append("\(span) skipped ×\(run.count)  (\(grouped(packets)) packets in all, too few per window)")
                } else {
                    let conf = run.reduce(0.0) { $0 + ($1.confidence ?? 0) } / Double(run.count)
                    lines.append("\(span) \(pad(run.first!.label ?? "-", 10)) ×\(run.count)  mean confidence \(String(format: "%.2f", conf)), \(grouped(packets)) packets")
                }
            } else {
                for w in run {
                    let s = "\(String(format: "%7.1f", w.start))–\(String(format: "%-7.1f", w.end))"
                    if w.idle {
                        lines.append("\(s) idle       \(grouped(w.packets)) packets")
                    } else if w.skipped || w.label == nil {
                        lines.append("\(s) \(w.skipped ? "skipped   " : "not classified") \(grouped(w.packets)) packets")
                    } else {
                        lines.append("\(s) \(pad(w.label ?? "-", 10)) \(String(format: "%.2f", w.confidence ?? 0))  \(grouped(w.packets)) packets")
                    }
                }
            }
            i = j
        }
        return lines
    }

    /// The plays table: start (capture time and UTC), play time, download, tier, skipped; at most 50 rows.
    static func playLines(_ plays: [PlayReport]) -> String {
        let total = plays.reduce(0) { $0 + $1.playSeconds }
        let skips = plays.filter(\.skipped).count
        var out = "  plays (estimated from the fetches; docs/plays.md): \(plays.count), \(String(format: "%.1f", total / 60)) min played, \(skips) skipped\n"
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        out += "         start  UTC                   played  download  tier       \n"
        for p in plays.prefix(50) {
            let played = String(format: "%5.0f s", p.playSeconds) + (p.complete ? " " : "+")
            out += "    \(String(format: "%8.1f", p.startSeconds))  \(formatter.string(from: Date(timeIntervalSince1970: p.startEpoch)))  "
                + "\(played)  \(pad(formatBytes(p.bytes), 8))  \(pad(p.tier ?? "-", 9))  \(p.skipped ? "skipped" : "")\n"
        }
        if plays.count > 50 { out += "    … and \(plays.count - 50) more (JSON has them all)\n" }
        return out
    }

    static func bar(_ p: Double, width: Int, unicode: Bool = unicodeTerminal) -> String {
        guard p.isFinite else { return "" }
        let p = max(0, min(1, p))
        guard unicode else { return String(repeating: "#", count: Int((p * Double(width)).rounded())) }
        let blocks = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        let eighths = Int((p * Double(width) * 8).rounded())
        return String(repeating: "█", count: eighths / 8) + blocks[eighths % 8]
    }

    /// Unicode block bars only when the locale says UTF-8 (LC_ALL, else LC_CTYPE, else LANG, as
    /// setlocale reads them); `#` bars under the C / POSIX locale or another charset.
    static let unicodeTerminal: Bool = {
        let env = ProcessInfo.processInfo.environment
        let locale = [env["LC_ALL"], env["LC_CTYPE"], env["LANG"]].compactMap { $0 }.first { !$0.isEmpty } ?? ""
        let l = locale.lowercased()
        return l.contains("utf-8") || l.contains("utf8")
    }()

    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }

    static func trim(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }

    public static func grouped(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, ch) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return String(out.reversed())
    }

    public static func formatBytes(_ n: Int) -> String {
        let x = Double(n)
        if x >= 1e9 { return String(format: "%.2f GB", x / 1e9) }
        if x >= 1e6 { return String(format: "%.2f MB", x / 1e6) }
        if x >= 1e3 { return String(format: "%.1f kB", x / 1e3) }
        return "\(n) B"
    }
}

extension Array where Element == WindowReport {
    /// Windows, each of a run of empty windows kept as one entry counted.
    var windowTotal: Int { reduce(0) { $0 + $1.windowCount } }
    var idleWindowTotal: Int { reduce(0) { $0 + ($1.idle ? $1.windowCount : 0) } }
}
