import Analyzer
import ArgumentParser
import Capture
import Foundation
import Trees

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Classify the streams in a capture, a directory of captures, or a live interface.",
        discussion: """
            Each client's stream (the flows whose TLS SNI or DNS name matches the model's service names, \
            or else the unnamed flows with the most download bytes) is cut into windows; the model \
            classifies every window, and the stream gets the mean of their probabilities and the \
            majority class ("final"). The model is spotify-quality unless -m names another; --window \
            overrides its window length (at least 0.1 s here).

            Several captures (arguments, or --dir) are a batch: analysed in parallel (--jobs), reported \
            in path order whatever the number of jobs, text output ending with a summary table, JSON \
            output as JSON Lines; one capture that fails is reported and the others go on (exit 2).

            Live capture (--live) lasts -d seconds (default 30) on -i IFACE (default: the first \
            interface that is up and not loopback), prints each window as it completes, saves the \
            capture with mode 0600 (--save, else a temporary file) and ends with the full report.

            \(ExitStatusHelp.text)
            """)

    @Argument(help: "Capture files (pcap or pcapng; - is standard input). Several are analysed as a batch, like --dir.",
              completion: Completions.captures)
    var captures: [String] = []

    @Option(name: .customLong("pcap"), help: "A capture file (the reference analyzer's spelling).", completion: Completions.captures)
    var pcap: String?

    @Option(name: .customLong("dir"), help: "Analyse every capture below this directory (recognised by content).",
            completion: .directory)
    var directory: String?

    @Flag(name: [.customShort("D"), .customLong("list-interfaces")], help: "List the interfaces a live capture can open, and exit (as tcpdump -D).")
    var listInterfaces = false

    @Flag(name: .long, help: "Capture live from an interface.")
    var live = false

    @Option(name: [.customShort("i"), .long], help: "Interface for --live (default: the first up, non-loopback one).",
            completion: Completions.interfaces)
    var interface: String?

    @Option(name: [.customShort("d"), .long], parsing: .unconditional, help: "Seconds of live capture.")
    var duration: Double = 30

    @Option(name: .long, help: "Where --live saves the capture (mode 0600; default: a temporary file).")
    var save: String?

    @Option(name: [.customShort("Z"), .long],
            help: "Run as this user once the live capture device and the save file are open, when started as root (as tcpdump -Z; default: nobody; 'root' stays root).")
    var user: String?

    @OptionGroup var modelOption: ModelOption
    var model: String { modelOption.model ?? "spotify-quality" }

    @OptionGroup var traffic: TrafficOptions
    var filter: String? { traffic.filter }
    var client: String? { traffic.client }

    @Option(name: .long, help: "streams (per client, the model's service), reference (IPv4 > 60 bytes, all mixed) or all (every IP packet, mixed).")
    var scope: ScopeName = .streams

    @OptionGroup var output: TextOrJSONFormat

    @Option(name: .customLong("windows-csv"), help: "Write the window table to this CSV file.")
    var windowsCSV: String?

    @Option(name: .long, help: ArgumentHelp(
        "Also write a self-contained HTML page (timeline of window classes and confidence, packets per second, sessions): "
            + "a file for one capture, a folder (one page per capture) for several.", valueName: "path"))
    var html: String?

    @Flag(name: [.customShort("q"), .long], help: "One line per capture.")
    var quiet = false

    @OptionGroup var jobs: JobsOption

    @OptionGroup var windowOption: WindowOption
    var window: Double? { windowOption.window }

    @Option(name: .long, help: "With --live: append each play to this history database (SQLite) as it completes.")
    var history: String?

    /// Several captures (a folder, or more than one argument).
    var batch: Bool { directory != nil || captures.count > 1 }

    func validate() throws {
        if listInterfaces { return }
        let inputs = [!captures.isEmpty, pcap != nil, directory != nil, live].filter { $0 }.count
        if captures.filter({ $0 == FileSource.standardInput }).count > 1 { throw ValidationError("- (standard input) can be given once") }
        if inputs == 0 { throw ValidationError("give a capture file, --pcap FILE, --dir DIR or --live") }
        if inputs > 1 { throw ValidationError("give only one of: a capture file, --pcap, --dir, --live") }
        if !(duration > 0 && duration <= 86_400 * 7) { throw ValidationError("--duration must be between 0 and 604800 seconds (a week)") }
        if client != nil && scope != .streams { throw ValidationError("--client and --scope are alternatives") }
        _ = try analysisScope(scope, client: client)
        if let window, window < 0.1 { throw ValidationError("--window must be between 0.1 and 3600 seconds") }
        if history != nil && !live { throw ValidationError("--history goes with --live (use `streamprobe history add` for files)") }
    }

    /// Flags into library calls; every error goes out one way (`reportingErrors`).
    func run() throws {
        try reportingErrors {
            if listInterfaces {
                print(try LiveSource.interfaceLines().joined(separator: "\n"))
                return
            }
            // Output files must be creatable before any capture is read (exit 66, not at the end).
            if let windowsCSV { try OutputFile.checkWritable(windowsCSV) }
            if let html, !batch { try OutputFile.checkWritable(html) }
            if let save { try OutputFile.checkWritable(save) }
            let treeModel = try ModelLocator.resolve(nameOrPath: model, embedded: EmbeddedModels.models)
            let bound = try BoundModel(treeModel, windowOverride: window)
            if let window, let trained = treeModel.window?.seconds, window != trained {
                printError("warning: model '\(treeModel.name)' learned from \(trained) s windows; its answers on \(window) s windows are not what its card measured")
            }
            let options = AnalysisOptions(scope: try analysisScope(scope, client: client), filter: filter,
                                          maximumLiveFlows: traffic.maximumLiveFlows)
            let presentation = ReportPresentation(json: output.json, quiet: quiet)
            if batch {
                let paths = try directory.map(CaptureBatch.paths(in:)) ?? captures
                let outcome = try CaptureBatch(paths: paths, title: directory ?? "\(captures.count) captures", model: bound, options: options,
                                               jobs: jobs.count, presentation: presentation, htmlFolder: html, windowsCSV: windowsCSV).run()
                throw ExitCode(outcome.exitStatus)
            }
            let report: CaptureReport
            if live {
                var liveAnalysis = LiveAnalysis(model: bound, options: options, interface: interface, duration: duration,
                                                savePath: save, quiet: quiet, format: output.json, runAs: user)
                let recorder = try history.map { try LiveHistory(path: $0, model: bound.summary.name) }
                liveAnalysis.onPlay = recorder?.append
                report = try liveAnalysis.run()
                try recorder?.finish(report)
            } else {
                report = try FileAnalysis(path: captures.first ?? pcap!, model: bound, options: options, presentation: presentation).run()
            }
            presentation.show(report, on: .standard)
            if let windowsCSV { try OutputFile.write(ReportFormats.windowsCSV([report]), to: windowsCSV) }
            if let html { try OutputFile.write(HTMLReport.render(report, modelCard: ModelDescription.full(bound.model)), to: html) }
        }
    }
}
