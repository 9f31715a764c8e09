import Capture
import Foundation
import Trees

/// Runs one job per item on `jobs` threads and hands the results over in item order, each as
/// soon as it and every item before it are done (stable output, early feedback).
public enum OrderedBatch {
    public static func run<Item: Sendable, Output: Sendable>(
        _ items: [Item], jobs: Int, work: @escaping @Sendable (Item) -> Output, deliver: (Int, Output) -> Void
    ) {
        guard !items.isEmpty else { return }
        let workers = max(1, min(jobs, items.count))
        let state = BatchState<Output>(count: items.count)
        let group = DispatchGroup()
        let queue = DispatchQueue(label: "streamprobe.batch", attributes: .concurrent)
        for _ in 0..<workers {
            group.enter()
            queue.async {
                while let i = state.claim() {
                    state.store(i, work(items[i]))
                }
                group.leave()
            }
        }
        // Deliver in order on the calling thread while the workers run.
        var next = 0
        while next < items.count {
            let output = state.waitFor(next)
            deliver(next, output)
            next += 1
        }
        group.wait()
    }
}

private final class BatchState<Output>: @unchecked Sendable {
    private let condition = NSCondition()
    private var results: [Output?]
    private var nextClaim = 0

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func claim() -> Int? {
        condition.lock(); defer { condition.unlock() }
        guard nextClaim < results.count else { return nil }
        nextClaim += 1
        return nextClaim - 1
    }

    func store(_ i: Int, _ output: Output) {
        condition.lock()
        results[i] = output
        condition.broadcast()
        condition.unlock()
    }

    func waitFor(_ i: Int) -> Output {
        condition.lock(); defer { condition.unlock() }
        while results[i] == nil { condition.wait() }
        let r = results[i]!
        results[i] = nil
        return r
    }
}

/// Where a run's lines go: standard output and standard error (`streamprobe: ` before each error
/// line), or whatever a test collects.
public struct Console: Sendable {
    /// One line of the output proper (reports, tables), without its line feed.
    public var out: @Sendable (String) -> Void
    /// One line for standard error (warnings, errors), without the `streamprobe: ` prefix.
    public var err: @Sendable (String) -> Void

    public init(out: @escaping @Sendable (String) -> Void, err: @escaping @Sendable (String) -> Void) {
        self.out = out
        self.err = err
    }

    public static let standard = Console(out: { print($0) }, err: { line in
        FileHandle.standardError.write(Data("streamprobe: \(line)\n".utf8))
    })
}

/// How `analyze` shows a report: the full text report, one JSON document (one line), or with
/// `-q` one line per capture (text) or the JSON document.
public struct ReportPresentation: Sendable {
    public var json: Bool
    public var quiet: Bool

    public init(json: Bool, quiet: Bool) {
        self.json = json
        self.quiet = quiet
    }

    /// What standard output shows of one report.
    public func render(_ report: CaptureReport) -> String {
        if json { return ReportFormats.json(report) }
        return quiet ? TextReport.quietLine(report) : TextReport.render(report)
    }

    /// The report's warnings for standard error: the text report shows its own; JSON and `-q`
    /// output leave them to stderr.
    public func warnings(_ report: CaptureReport) -> [String] {
        quiet || json ? report.warnings.map { "warning: \($0)" } : []
    }

    /// Prints one report: its warnings on stderr, then the report.
    public func show(_ report: CaptureReport, on console: Console) {
        for w in warnings(report) { console.err(w) }
        console.out(render(report))
    }
}

/// `analyze` on several captures (a directory's, or several arguments): analysed in parallel on
/// `jobs` threads, reported in path order whatever the number of jobs, one bad file never stopping
/// the others. Text output ends with a summary table; JSON is JSON Lines, a capture that failed is
/// `{"capture", "error", "exit_code"}`. With `htmlFolder`, one page per capture in that folder;
/// with `windowsCSV`, the window table of every analysed capture in one file.
public struct CaptureBatch: Sendable {
    public var paths: [String]
    /// What the summary table calls the batch: the directory, or "N captures".
    public var title: String
    public var model: BoundModel
    public var options: AnalysisOptions
    public var jobs: Int
    public var presentation: ReportPresentation
    public var htmlFolder: String?
    public var windowsCSV: String?

    public init(paths: [String], title: String, model: BoundModel, options: AnalysisOptions, jobs: Int,
                presentation: ReportPresentation, htmlFolder: String? = nil, windowsCSV: String? = nil) {
        self.paths = paths; self.title = title; self.model = model; self.options = options; self.jobs = jobs
        self.presentation = presentation; self.htmlFolder = htmlFolder; self.windowsCSV = windowsCSV
    }

    /// The batch of every capture below `directory` (by content, and the files named like captures
    /// that are not one: they fail with their reason). No file at all is an error (exit 66).
    public static func paths(in directory: String) throws -> [String] {
        let paths = try CaptureDiscovery.list(directory).all
        if paths.isEmpty {
            throw AnalysisError(source: directory, problem: "no pcap or pcapng capture found below this directory",
                                exitCode: ExitStatus.unreadableInput)
        }
        return paths
    }

    /// What a batch came to.
    public struct Outcome: Sendable {
        public var rows: [BatchRow]
        public var failed: Int
        /// 0, or 2 (`ExitStatus.batchPartialFailure`) when any capture failed.
        public var exitStatus: Int32 { failed > 0 ? ExitStatus.batchPartialFailure : ExitStatus.success }
    }

    /// Runs the batch, printing as each capture (and every one before it) is done. Throws only when
    /// the window table cannot be written; a capture that fails is reported and counted.
    public func run(on console: Console = .standard) throws -> Outcome {
        var rows: [BatchRow] = []
        var reports: [CaptureReport] = []
        var failed = 0
        let presentation = self.presentation, model = self.model, options = self.options
        let textTable = !presentation.json && !presentation.quiet
        OrderedBatch.run(paths, jobs: jobs, work: { path -> Result<CaptureReport, AnalysisError> in
            do {
                return .success(try CaptureAnalyzer(model: model, options: options).analyze(path: path))
            } catch {
                return .failure(AnalysisError(source: "", problem: "\(error)", exitCode: ExitStatus.code(for: error)))
            }
        }, deliver: { i, result in
            switch result {
            case .success(let report):
                presentation.show(report, on: console)
                if textTable { console.out(String(repeating: "─", count: 72)) }
                rows.append(BatchRow(report: report))
                if windowsCSV != nil { reports.append(report) }
                if let htmlFolder {
                    // One page per capture in the folder, named after the capture (its position keeps names apart).
                    let name = String(format: "%03d-", i + 1) + URL(fileURLWithPath: report.capture).deletingPathExtension().lastPathComponent + ".html"
                    do {
                        try FileManager.default.createDirectory(atPath: htmlFolder, withIntermediateDirectories: true)
                        try OutputFile.write(HTMLReport.render(report, modelCard: ModelDescription.full(model.model)),
                                             to: (htmlFolder as NSString).appendingPathComponent(name))
                    } catch { console.err("\(error)") }
                }
            case .failure(let failure):
                failed += 1
                console.err(failure.problem)
                if presentation.json {
                    console.out(ReportFormats.errorJSON(capture: paths[i], error: failure.problem, exitCode: failure.exitCode))
                } else if presentation.quiet {
                    console.out("\(paths[i]): error: \(failure.problem)")
                }
                rows.append(BatchRow(path: paths[i], error: failure.problem))
            }
        })
        if textTable { console.out(BatchRow.table(rows, directory: title, failed: failed)) }
        if let windowsCSV { try OutputFile.write(ReportFormats.windowsCSV(reports), to: windowsCSV) }
        return Outcome(rows: rows, failed: failed)
    }
}

/// `analyze` on one capture file, or standard input ("-"): the report. With JSON output (not `-q`)
/// standard input gives each window as a JSON Lines record as it completes, as live capture does,
/// and the report is then the `"type": "report"` line. On a terminal, a progress line on stderr.
public struct FileAnalysis {
    public var path: String
    public var model: BoundModel
    public var options: AnalysisOptions
    public var presentation: ReportPresentation

    public init(path: String, model: BoundModel, options: AnalysisOptions, presentation: ReportPresentation) {
        self.path = path; self.model = model; self.options = options; self.presentation = presentation
    }

    public func run() throws -> CaptureReport {
        let analyzer = CaptureAnalyzer(model: model, options: options)
        let streaming = path == FileSource.standardInput && presentation.json && !presentation.quiet
        if streaming { WindowLines().attach(to: analyzer) }
        let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
        let progress = ProgressLine(label: path, totalBytes: size, enabled: !presentation.quiet && isatty(STDERR_FILENO) == 1)
        analyzer.onProgress = { packets, bytes in progress.update(packets: packets, bytesRead: bytes) }
        defer { progress.finish() }
        var report = try analyzer.analyze(path: path)
        if streaming { report.type = "report" }
        return report
    }
}
