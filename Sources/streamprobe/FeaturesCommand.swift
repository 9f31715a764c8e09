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
    var format: FeatureExport.Format = .csv

    @Flag(name: .customLong("skip-skipped"), help: "Leave out the rows of skipped windows.")
    var leaveOutSkipped = false

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

    /// `summary-v1`: one row per session instead of per window.
    var perSession: Bool { self.set.lowercased() == StreamSummary.setName || self.set.lowercased() == "summary" }

    /// The feature set and window settings the options ask for; a usage error when they are invalid.
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
                    AnalysisOptions(scope: try analysisScope(scope ?? (model != nil ? .streams : .all), client: client), filter: filter,
                                    maximumLiveFlows: traffic.maximumLiveFlows))
        } catch let e as ValidationError {
            throw e
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// With -m alone the model's features are written: a --feature-set naming another set is a usage error.
    func checkFeatureSet(against model: BoundModel) throws {
        guard modelPlan, let named = featureSetName,
              (try? FeatureSet.named(named))?.name != (try? FeatureSet.named(model.model.featureSet))?.name,
              named != model.model.featureSet else { return }
        throw AnalysisError(source: "", problem: "--feature-set \(named) differs from the model's \(model.model.featureSet): "
                            + "with -m the model's features are written", exitCode: ExitStatus.usage)
    }

    /// Flags into library calls; every error goes out one way (`reportingErrors`).
    func run() throws {
        try reportingErrors {
            let (plan, options) = try plan()
            let bound = try model.map { try BoundModel(try ModelLocator.resolve(nameOrPath: $0, embedded: EmbeddedModels.models)) }
            if let bound { try checkFeatureSet(against: bound) }
            let export = FeatureExport(captures: captures, plan: plan, options: options, model: bound, rows: perSession ? .sessions : .windows,
                                       label: label, format: format, leaveOutSkipped: leaveOutSkipped, output: output)
            throw ExitCode(try export.run().exitStatus)
        }
    }
}

extension FeatureExport.Format: ExpressibleByArgument {}
