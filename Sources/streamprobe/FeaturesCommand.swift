import Analyzer
import Capture
import ArgumentParser
import Features
import Foundation
import Trees

struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Write one row of window features per window (CSV for pandas, or JSON Lines).",
        discussion: """
            Feature sets: \(FeatureSet.knownNames.joined(separator: ", ")); and \(StreamSummary.setName): one row per \
            session of each unit (whole-session rates, bursts and fetch spacing, what a model's stream stage reads). Scopes: all (every IP packet, \
            flows mixed; the default), reference (the reference analyzer's unit: IPv4 frames > 60 bytes), \
            streams (per client, the flows whose TLS SNI / DNS name matches --service, else the unnamed flows \
            with the most download bytes; without --service, as analyze chooses for a model without service names: among the flows \
            lasting at least half as long as the longest-lived one, those with the most download bytes, named or not), or --client ADDRESS.
            """)

    @Argument(help: "Capture files (- is standard input).", completion: Completions.captures)
    var captures: [String]

    @Option(name: [.customShort("o"), .long], help: "Output file (default: stdout).")
    var output: String?

    @OptionGroup var featureSet: FeatureSetOption
    var featureSetName: String? { featureSet.name }

    @OptionGroup var modelOption: ModelOption
    var model: String? { modelOption.model }

    @OptionGroup var windowOption: WindowOption
    var window: Double? { windowOption.window }

    @Option(name: .long, help: "Step between window starts in seconds (sliding windows; default: tumbling).")
    var step: Double?

    @Option(name: .customLong("min-packets"), help: "Windows with fewer packets are skipped (default: the set's).")
    var minPackets: Int?

    @Flag(name: .long, help: "Also keep the final partial window (the reference keeps complete windows only).")
    var partial = false

    @Option(name: .long, help: "all, reference or streams (default: all; streams with -m).")
    var scope: ScopeName?


    @Option(name: .long, help: "Service name pattern for --scope streams (repeatable), e.g. 'audio*.scdn.co'.")
    var service: [String] = []

    @OptionGroup var traffic: TrafficOptions
    var filter: String? { traffic.filter }
    var client: String? { traffic.client }

    @Option(name: .long, help: "Adds a label column with this value (for training).")
    var label: String?

    @Option(name: .long, help: "Output format: csv, or jsonl (JSON Lines, schema_version 1; docs/json.md).")
    var format: Format = .csv

    @Flag(name: .customLong("skip-skipped"), help: "Leave out the rows of skipped windows.")
    var leaveOutSkipped = false

    enum Format: String, ExpressibleByArgument { case csv, jsonl }

    var set: String { featureSetName ?? "reference-v1" }

    /// `-m` alone: the model's own features, windows and streams.
    var modelPlan: Bool { model != nil && !perSession }

    func validate() throws {
        if captures.isEmpty { throw ValidationError("give at least one capture") }
        if captures.filter({ $0 == FileSource.standardInput }).count > 1 { throw ValidationError("- (standard input) can be given once") }
        if modelPlan && (window != nil || step != nil || minPackets != nil) {
            throw ValidationError("-m extracts the model's own windows: --window, --step and --min-packets go without it")
        }
        if let step, !(step > 0 && step <= 3600) { throw ValidationError("--step must be between 0 and 3600 seconds") }
        if let minPackets, minPackets < 0 { throw ValidationError("--min-packets must be 0 or more") }
        _ = try plan()
    }

    /// The feature set and window settings the options ask for; a usage error when they are invalid.
    /// `summary-v1`: one row per session instead of per window.
    var perSession: Bool { self.set.lowercased() == StreamSummary.setName || self.set.lowercased() == "summary" }

    func plan() throws -> (FeaturePlan, AnalysisOptions) {
        do {
            var featureSet = try FeatureSet.named(perSession ? "direction-v1" : set)
            var config = featureSet.defaultConfig
            if let window { config.window = window }
            if let step { config.step = step }
            if let minPackets { config.minPackets = minPackets }
            if partial { config.policy = .keepPartial }
            config = try config.validated()
            featureSet = try FeatureSet.resolve(names: featureSet.featureNames, config: config)
            featureSet.name = set
            return (FeaturePlan(featureSet: featureSet, config: config, patterns: ServicePatternSet(service)),
                    AnalysisOptions(scope: try analysisScope(scope ?? (model != nil ? .streams : .all), client: client), filter: filter))
        } catch let e as ValidationError {
            throw e
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() throws {
        let (plan, options) = try plan()
        var bound: BoundModel?
        if let model {
            do {
                bound = try BoundModel(try ModelLocator.resolve(nameOrPath: model, embedded: EmbeddedModels.models))
            } catch {
                throw exitError(error)
            }
        }
        if let bound, modelPlan, let named = featureSetName,
           (try? FeatureSet.named(named))?.name != (try? FeatureSet.named(bound.model.featureSet))?.name, named != bound.model.featureSet {
            printError("--feature-set \(named) differs from the model's \(bound.model.featureSet): with -m the model's features are written")
            throw ExitCode(ExitStatus.usage)
        }
        let names = perSession ? StreamSummary.featureNames + windowMeanFeatureNames(classes: bound?.model.classes ?? [])
            : (modelPlan ? bound!.featureSet.featureNames : plan.featureSet.featureNames)
        let csv = FeatureCSVWriter(featureNames: names, includeLabel: label != nil)
        let jsonl = FeatureJSONLWriter(featureNames: names)
        let sink: OutputSink
        do { sink = try OutputSink(path: output) } catch { throw exitError(error) }
        if format == .csv { sink.write(csv.header()) }
        var failures = 0
        for path in captures {
            let analyzer = bound.map { b -> CaptureAnalyzer in
                // The model's own windows and service names, unless --service names others.
                let p = service.isEmpty ? b.plan : FeaturePlan(featureSet: b.featureSet, config: b.config, patterns: plan.patterns)
                return CaptureAnalyzer(model: b, plan: p, options: options)
            } ?? CaptureAnalyzer(plan: plan, options: options)
            var origin: Double?
            let skip = leaveOutSkipped
            let label = self.label
            let format = self.format
            if perSession {
                analyzer.onSession = { unit, index, start, end, packets, values in
                    let row = WindowResult(index: index, start: start, end: end, packetCount: packets, skipReason: nil, values: values)
                    let source = RowSource(capture: path, unit: unit, origin: origin ?? start, label: label)
                    sink.write(format == .csv ? csv.row(row, source: source) : jsonl.row(row, source: source))
                }
            } else {
                analyzer.onRow = { unit, window in
                    if skip && window.skipped { return }
                    let source = RowSource(capture: path, unit: unit, origin: origin ?? window.start, label: label)
                    sink.write(format == .csv ? csv.row(window, source: source) : jsonl.row(window, source: source))
                }
            }
            analyzer.onCaptureStart = { origin = $0 }
            do {
                let report = try analyzer.analyze(path: path)
                for w in report.warnings { printError("warning: \(w)") }
                if report.streams.isEmpty, let note = report.note { printError("\(path): \(note)") }
            } catch {
                failures += 1
                printError("\(error)")
                if captures.count == 1 { sink.close(); throw ExitCode(ExitStatus.code(for: error)) }
            }
        }
        sink.close()
        if failures > 0 { throw ExitCode(ExitStatus.batchPartialFailure) }
    }
}
