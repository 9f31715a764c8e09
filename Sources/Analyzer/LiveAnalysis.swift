import Capture
import Foundation

/// `analyze --live`: captures for a duration (or until Ctrl-C), shows each window's class as
/// it completes, saves the capture (mode 0600), then returns the full report.
public struct LiveAnalysis {
    public var model: BoundModel
    public var options: AnalysisOptions
    public var interface: String?
    public var duration: Double
    public var savePath: String?
    public var quiet: Bool
    /// Who the process becomes once the device is open (when it runs as root); nil: `nobody`, and
    /// root with a warning on a system without it.
    public var runAs: String?
    /// Window lines go to stderr when stdout carries JSON.
    public var jsonOutput: Bool
    /// Called as each play is decided (`analyze --live --history` appends it to the database).
    public var onPlay: PlayObserver?

    public init(model: BoundModel, options: AnalysisOptions, interface: String?, duration: Double, savePath: String?,
                quiet: Bool, format json: Bool, runAs: String? = nil) {
        self.model = model; self.options = options; self.interface = interface; self.duration = duration
        self.savePath = savePath; self.quiet = quiet; self.jsonOutput = json
        self.runAs = runAs
    }

    public func run() throws -> CaptureReport {
        let path = savePath ?? Self.temporaryCapturePath()
        let source = try LiveSource(interface: interface, filter: options.filter, duration: duration, savePath: path,
                                    runAs: runAs ?? Privileges.defaultUser, userIsExplicit: runAs != nil)
        LiveSource.installInterruptHandler()
        let say: (String) -> Void = { line in
            if jsonOutput { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
        }
        if !quiet {
            var line = "capturing on \(source.name) for \(String(format: "%g", duration)) s (Ctrl-C ends early); saving to \(path)"
            if case .dropped = source.privileges { line += "; running as \(runAs ?? Privileges.defaultUser) from now on" }
            say(line)
        }
        let analyzer = CaptureAnalyzer(model: model, options: options)
        let onPlay = self.onPlay
        let showPlays = !quiet && !jsonOutput
        analyzer.onPlay = { client, p in
            if showPlays {
                say("  play  \(client)  started \(String(format: "%.1f", p.startSeconds)) s, played \(String(format: "%.0f", p.playSeconds)) s"
                    + "\(p.complete ? "" : "+"), \(TextReport.formatBytes(p.bytes)), \(p.tier ?? "-")\(p.skipped ? ", skipped" : "")")
            }
            onPlay?(client, p)
        }
        let started = Date().timeIntervalSince1970
        if jsonOutput {
            // JSON Lines on stdout: one `window` line as each window completes, the `report` line last.
            WindowLines(fallbackStart: started).attach(to: analyzer)
        } else if !quiet {
            analyzer.onWindow = { client, w in
                let span = String(format: "%7.1f–%-7.1f", w.start, w.end)
                if w.idle {
                    say("  \(span) \(client)  idle\(w.windowCount > 1 ? " ×\(w.windowCount)" : "") (\(w.packets) packets)")
                } else if w.skipped {
                    say("  \(span) \(client)  skipped (\(w.packets) packets)")
                } else {
                    say("  \(span) \(client)  \(w.label ?? "-") \(String(format: "%.2f", w.confidence ?? 0))  (\(w.packets) packets)")
                }
            }
        }
        let filter = options.filter
        var report = try analyzer.analyze(source: source, reread: { () throws(CaptureError) in try source.reopenSaved(filter: filter) })
        if LiveSource.wasInterrupted { report.warnings.append("capture ended early by Ctrl-C") }
        if quiet { FileHandle.standardError.write(Data("streamprobe: the capture is saved in \(path)\n".utf8)) }
        if let drops = source.kernelDrops, drops > 0 { report.warnings.append("the kernel dropped \(drops) packets") }
        report.live = LiveInfo(interface: source.name, savedTo: path, startEpoch: started, requestedDurationSeconds: duration)
        if jsonOutput { report.type = "report" }
        return report
    }

    static func temporaryCapturePath() -> String {
        let dir = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let stamp = Int(Date().timeIntervalSince1970)
        return (dir as NSString).appendingPathComponent("streamprobe-live-\(stamp)-\(getpid()).pcap")
    }
}
