import Features
import Foundation

/// JSON and CSV renderings of reports.
public enum ReportFormats {
    /// One JSON document (a single line, for JSON Lines in directory mode) per capture.
    public static func json(_ report: CaptureReport, pretty: Bool = false) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        encoder.userInfo[.streamprobeClasses] = report.model.classes
        guard let data = try? encoder.encode(report) else { return "{\"capture\":\"\(report.capture)\",\"error\":\"report could not be encoded\"}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The JSON Lines record of a capture that could not be analysed.
    public static func errorJSON(capture: String, error: String, exitCode: Int32) -> String {
        struct Failure: Encodable { var capture: String; var error: String; var exit_code: Int32 }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Failure(capture: capture, error: error, exit_code: exitCode))) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// The window table of every stream of the given reports, as CSV with a header.
    public static func windowsCSV(_ reports: [CaptureReport]) -> String {
        guard let first = reports.first else { return "" }
        let classes = first.model.classes
        var out = "capture,client,window_index,start_s,end_s,start_epoch,end_epoch,window_count,packets,skipped,idle,class,confidence"
        out += classes.map { ",p_\($0)" }.joined() + "\n"
        for r in reports {
            for s in r.streams {
                for w in s.windows {
                    out += "\(csvField(r.capture)),\(csvField(s.client)),\(w.index),\(w.start),\(w.end),\(w.startEpoch),\(w.endEpoch),\(w.windowCount),\(w.packets),\(w.skipped ? 1 : 0),\(w.idle ? 1 : 0),"
                    out += "\(w.label ?? ""),\(w.confidence.map { String($0) } ?? "")"
                    if let p = w.probabilities {
                        out += p.map { ",\($0)" }.joined()
                    } else {
                        out += String(repeating: ",", count: classes.count)
                    }
                    out += "\n"
                }
            }
        }
        return out
    }

    static func csvField(_ s: String) -> String {
        // Most fields need no quoting: look at the bytes before the escaper walks characters.
        guard s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return s }
        return FeatureCSVWriter.escape(s)
    }
}

/// Writes each completed window as a JSON Lines record on stdout while a capture is read
/// (`{"type": "window", "client", "window", "start_epoch", "end_epoch"}`): live captures and
/// standard input with `--format json`; the report follows as the last line (`"type": "report"`).
public final class WindowLines: @unchecked Sendable {
    private var origin: Double?
    private let fallbackStart: Double
    private let encoder: JSONEncoder

    public init(fallbackStart: Double = 0) {
        self.fallbackStart = fallbackStart
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    }

    public func attach(to analyzer: CaptureAnalyzer) {
        encoder.userInfo[.streamprobeClasses] = analyzer.summary.classes
        analyzer.onCaptureStart = { [self] in origin = $0 }
        analyzer.onWindow = { [self] client, w in
            let base = origin ?? fallbackStart
            let line = LiveWindowLine(client: client, window: w, startEpoch: base + w.start, endEpoch: base + w.end)
            guard let data = try? encoder.encode(line) else { return }
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        }
    }
}
