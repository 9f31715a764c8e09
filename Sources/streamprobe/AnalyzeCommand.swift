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
            majority class ("final").

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

    @Option(name: [.customShort("m"), .long], help: "Model name or path.", completion: Completions.models)
    var model: String = "spotify-quality"


    @OptionGroup var traffic: TrafficOptions
    var filter: String? { traffic.filter }
    var client: String? { traffic.client }

    @Option(name: .long, help: "streams (per client, the model's service), reference (IPv4 > 60 bytes, all mixed) or all (every IP packet, mixed).")
    var scope: ScopeName = .streams

    @Option(name: .long, help: "text or json (JSON Lines in directory mode).")
    var format: OutputFormat = .text

    @Option(name: .customLong("windows-csv"), help: "Write the window table to this CSV file.")
    var windowsCSV: String?

    @Option(name: .long, help: ArgumentHelp(
        "Also write a self-contained HTML page (timeline of window classes and confidence, packets per second, sessions): "
            + "a file for one capture, a folder (one page per capture) for several.", valueName: "path"))
    var html: String?

    @Flag(name: [.customShort("q"), .long], help: "One line per capture.")
    var quiet = false

    @Option(name: [.customShort("j"), .long], help: "Captures analysed in parallel in directory mode (default: all cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, parsing: .unconditional, help: "Override the model's window length in seconds.")
    var window: Double?

    @Option(name: .long, help: "With --live: append each play to this history database (SQLite) as it completes.")
    var history: String?

    enum OutputFormat: String, ExpressibleByArgument { case text, json }

    /// Several captures (a folder, or more than one argument).
    var batch: Bool { directory != nil || captures.count > 1 }

    func validate() throws {
        if listInterfaces { return }
        let inputs = [!captures.isEmpty, pcap != nil, directory != nil, live].filter { $0 }.count
        if captures.filter({ $0 == FileSource.standardInput }).count > 1 { throw ValidationError("- (standard input) can be given once") }
        if inputs == 0 { throw ValidationError("give a capture file, --pcap FILE, --dir DIR or --live") }
        if inputs > 1 { throw ValidationError("give only one of: a capture file, --pcap, --dir, --live") }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if !(duration > 0 && duration <= 86_400 * 7) { throw ValidationError("--duration must be between 0 and 604800 seconds (a week)") }
        if client != nil && scope != .streams { throw ValidationError("--client and --scope are alternatives") }
        _ = try analysisScope(scope, client: client)
        if let window, !(window >= 0.1 && window <= 3600) { throw ValidationError("--window must be between 0.1 and 3600 seconds") }
        if history != nil && !live { throw ValidationError("--history goes with --live (use `streamprobe history add` for files)") }
    }

    func run() throws {
        if listInterfaces {
            do { print(try LiveSource.interfaceLines().joined(separator: "\n")) } catch { throw exitError(error) }
            return
        }
        // Output files must be creatable before any capture is read (exit 66, not at the end).
        do {
            if let windowsCSV { try OutputCheck.writable(windowsCSV) }
            if let html, !batch { try OutputCheck.writable(html) }
            if let save { try OutputCheck.writable(save) }
        } catch { throw exitError(error) }
        let bound: BoundModel
        let options: AnalysisOptions
        do {
            let treeModel = try ModelLocator.resolve(nameOrPath: model, embedded: EmbeddedModels.models)
            bound = try BoundModel(treeModel, windowOverride: window)
            if let window, let trained = treeModel.window?.seconds, window != trained {
                printError("warning: model '\(treeModel.name)' learned from \(trained) s windows; its answers on \(window) s windows are not what its card measured")
            }
            options = AnalysisOptions(scope: try analysisScope(scope, client: client), filter: filter)
        } catch let e as ValidationError {
            throw e
        } catch {
            throw exitError(error)
        }
        if let directory {
            let paths: [String]
            // Files named like captures that are not one are analysed too: they fail with their reason.
            do { paths = try CaptureDiscovery.list(directory).all } catch { throw exitError(error) }
            if paths.isEmpty {
                printError("\(directory): no pcap or pcapng capture found below this directory")
                throw ExitCode(ExitStatus.unreadableInput)
            }
            throw runBatch(paths, title: directory, bound: bound, options: options)
        }
        if captures.count > 1 {
            throw runBatch(captures, title: "\(captures.count) captures", bound: bound, options: options)
        }
        var report: CaptureReport
        do {
            if live {
                var liveAnalysis = LiveAnalysis(model: bound, options: options, interface: interface, duration: duration,
                                                savePath: save, quiet: quiet, format: format == .json, runAs: user)
                let recorder = try history.map { try LiveHistory(path: $0, model: bound.summary.name) }
                liveAnalysis.onPlay = recorder?.append
                report = try liveAnalysis.run()
                try recorder?.finish(report)
            } else {
                let path = captures.first ?? pcap!
                let analyzer = CaptureAnalyzer(model: bound, options: options)
                let streaming = path == FileSource.standardInput && format == .json && !quiet
                // Standard input with JSON: window lines as they complete, as live capture does.
                if streaming { WindowLines().attach(to: analyzer) }
                let progress = ProgressLine(label: path, totalBytes: fileSize(path), enabled: !quiet && isatty(STDERR_FILENO) == 1)
                analyzer.onProgress = { packets, bytes in progress.update(packets: packets, bytesRead: bytes) }
                defer { progress.finish() }
                report = try analyzer.analyze(path: path)
                if streaming { report.type = "report" }
            }
        } catch {
            throw exitError(error)
        }
        warn(report)
        emit(report)
        if let windowsCSV { do { try writeOutput(ReportFormats.windowsCSV([report]), to: windowsCSV) } catch { throw exitError(error) } }
        if let html { do { try writeOutput(HTMLReport.render(report, modelCard: ModelDescription.full(bound.model)), to: html) } catch { throw exitError(error) } }
    }

    /// The text report shows its warnings; JSON and -q output leave them to stderr.
    func warn(_ report: CaptureReport) {
        guard quiet || format == .json else { return }
        for w in report.warnings { printError("warning: \(w)") }
    }

    func emit(_ report: CaptureReport) {
        let text: String
        if quiet {
            text = format == .json ? ReportFormats.json(report) : TextReport.quietLine(report)
        } else {
            text = format == .json ? ReportFormats.json(report, pretty: false) : TextReport.render(report)
        }
        print(text)
    }

    /// Several captures (a directory's, or the arguments): in parallel, reported in order, one bad
    /// file never stopping the others; exit 2 when any failed.
    func runBatch(_ paths: [String], title: String, bound: BoundModel, options: AnalysisOptions) -> ExitCode {
        var rows: [BatchRow] = []
        var reports: [CaptureReport] = []
        var failed = 0
        OrderedBatch.run(paths, jobs: jobs, work: { path -> Result<CaptureReport, AnalysisFailure> in
            do {
                return .success(try CaptureAnalyzer(model: bound, options: options).analyze(path: path))
            } catch {
                return .failure(AnalysisFailure(message: "\(error)", code: ExitStatus.code(for: error)))
            }
        }, deliver: { i, result in
            switch result {
            case .success(let report):
                warn(report)
                emit(report)
                if format == .text && !quiet { print(String(repeating: "─", count: 72)) }
                rows.append(BatchRow(report: report))
                reports.append(report)
                if let html {
                    // One page per capture in the folder, named after the capture (its position keeps names apart).
                    let name = String(format: "%03d-", i + 1) + URL(fileURLWithPath: report.capture).deletingPathExtension().lastPathComponent + ".html"
                    do {
                        try FileManager.default.createDirectory(atPath: html, withIntermediateDirectories: true)
                        try writeOutput(HTMLReport.render(report, modelCard: ModelDescription.full(bound.model)),
                                        to: (html as NSString).appendingPathComponent(name))
                    } catch { printError("\(error)") }
                }
            case .failure(let failure):
                failed += 1
                printError(failure.message)
                if format == .json { print(ReportFormats.errorJSON(capture: paths[i], error: failure.message, exitCode: failure.code)) }
                else if quiet { print("\(paths[i]): error: \(failure.message)") }
                rows.append(BatchRow(path: paths[i], error: failure.message))
            }
        })
        if format == .text && !quiet { print(BatchRow.table(rows, directory: title, failed: failed)) }
        if let windowsCSV {
            do { try writeOutput(ReportFormats.windowsCSV(reports), to: windowsCSV) } catch { return exitError(error) }
        }
        return failed > 0 ? ExitCode(ExitStatus.batchPartialFailure) : .success
    }

    func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }
}

struct AnalysisFailure: Error, Sendable {
    var message: String
    var code: Int32
}
