import Analyzer
import ArgumentParser
import Features
import Foundation
import Trees

/// `streamprobe train TABLE… -o MODEL.json`: a random forest (or one tree) from labelled tables.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a random forest (or one decision tree) on labelled feature tables.",
        discussion: """
            Inputs are CSV tables with a label column: `streamprobe features` output with labels, or any \
            scikit-learn style table. Non-numeric columns and an unnamed leading index column are ignored \
            (noted on stderr). Prints grouped cross-validation figures (a capture or file never sits on \
            both sides) and the top feature importances, and writes both into the model card.

            Inputs may also be captures or folders of captures: each capture's label is the name of the \
            folder that holds it (as `simulate --corpus` writes them), or comes from --labels FILE \
            (CSV: path,label). Their windows are extracted with --feature-set (default stream-v1) from \
            the streams that --service names select (else the flows with the most download bytes). For \
            tables, --feature-set is the name recorded in the model (default custom).

            What the model file says besides its trees comes from options, never from editing the file: \
            --class-order, --service, --window and the window details, --description, --decision (the \
            decision rule: class groups, calibration), --card-file (figures measured elsewhere, into the \
            card), and --stage-of MODEL, which writes MODEL with the trained forest as its whole-session \
            stage (the default model's summary-v1 stage is trained so: scripts/train-stream-stage.sh).
            """)

    @Argument(help: "Labelled CSV tables, or captures / folders of captures.") var inputs: [String]
    @Option(help: "For capture inputs: a CSV of capture path,label (default: the folder name).") var labels: String?
    @Option(help: "A service name pattern that selects the stream (repeatable), recorded in the model; for capture inputs it also selects the stream whose windows are extracted.")
    var service: [String] = []
    @Option(name: .shortAndLong, help: "Model file to write.") var output: String
    @OptionGroup var table: TableInputOptions
    @Option(help: "Trees in the forest.") var trees = 100
    @Option(help: "Deepest level of a tree (default: unlimited).") var maxDepth: Int?
    @Option(help: "Fewest rows a node needs to be split.") var minSamplesSplit = 2
    @Option(help: "Fewest rows in a leaf.") var minSamplesLeaf = 1
    @Option(help: "Features tried per split: sqrt, log2, all, a count, or a fraction.") var maxFeatures = "sqrt"
    @Option(help: "Split criterion: gini or entropy.") var criterion = "gini"
    @Option(help: "Class weights: none or balanced.") var classWeight = "none"
    @Flag(inversion: .prefixedNo, help: "Draw each tree's rows with replacement.") var bootstrap = true
    @Option(help: "Random seed: the same seed gives the same model file.") var seed: UInt64 = 0
    @OptionGroup var jobs: JobsOption
    @Option(help: "Cross-validation folds (0: none).") var folds = 5
    @Option(help: "Cross-validation: grouped (by capture/file) or stratified.") var cv = "grouped"
    @Option(help: "Model name (default: the output file's name).") var name: String?
    @Option(help: "Task the model answers (default: the name).") var task: String?
    @OptionGroup var featureSetOption: FeatureSetOption
    var featureSet: String? { featureSetOption.name }
    @Option(name: [.customLong("window"), .customLong("window-seconds")], parsing: .unconditional,
            help: ArgumentHelp("Window length in seconds, recorded in the model.", valueName: "seconds")) var windowSeconds: Double?
    @Option(help: ArgumentHelp("The model's classes in this order, comma-separated, e.g. low,normal,high (default: numeric, else text order).",
                               valueName: "a,b,…")) var classOrder: String?
    @OptionGroup var windowDetails: TrainWindowOptions
    @Option(name: .customLong("description"), help: "A sentence on what the model does, recorded in it.") var modelDescription: String?
    @Option(help: ArgumentHelp("The decision rule, recorded in the model: a JSON object with version, groups, named_excludes, calibration, between_below (models/README.md).",
                               valueName: "file.json")) var decision: String?
    @Option(name: .customLong("card-file"), help: ArgumentHelp("A JSON object whose members are set in the model's card (repeatable; later files win).",
                                                                 valueName: "file.json")) var cardFiles: [String] = []
    @Option(name: .customLong("stage-of"), help: ArgumentHelp("Write this model (path or name) with the trained forest as its whole-session stage, instead of a model of its own.",
                                                               valueName: "model")) var stageOf: String?

    func parameters() throws -> ForestParameters {
        var p = ForestParameters()
        p.trees = trees; p.maxDepth = maxDepth; p.minSamplesSplit = minSamplesSplit; p.minSamplesLeaf = minSamplesLeaf
        guard let mf = MaxFeatures(parsing: maxFeatures) else { throw ValidationError("--max-features must be sqrt, log2, all, a count or a fraction (got \(maxFeatures))") }
        guard let c = SplitCriterion(rawValue: criterion) else { throw ValidationError("--criterion must be gini or entropy (got \(criterion))") }
        guard let w = ClassWeighting(rawValue: classWeight) else { throw ValidationError("--class-weight must be none or balanced (got \(classWeight))") }
        p.maxFeatures = mf; p.criterion = c; p.classWeight = w; p.bootstrap = bootstrap; p.seed = seed
        p.jobs = jobs.count
        do { return try p.validated() } catch { throw ValidationError(error.description) }
    }

    func validate() throws {
        _ = try parameters()
        guard TrainingRequest.Validation(rawValue: cv) != nil else { throw ValidationError("--cv must be grouped or stratified (got \(cv))") }
        if folds < 0 { throw ValidationError("--folds must be 0 or more") }
        if let windowSeconds, !(windowSeconds > 0 && windowSeconds <= 3600) { throw ValidationError("--window must be between 0 and 3600 seconds") }
        try windowDetails.validate(windowSeconds: windowSeconds)
    }

    /// Flags into library calls; every error goes out one way (`reportingErrors`). What can be checked
    /// (the output, the inputs, the files the model is assembled with) is checked before training.
    func run() throws {
        try reportingErrors {
            try OutputCheck.writable(output)
            let input = try LabelledCaptures.trainingTable(inputs: inputs, labelsFile: labels, tableOptions: table.options(),
                                                           featureSet: featureSet, servicePatterns: service, jobs: jobs.count)
            for note in input.loaded.notes { printError("note: \(note)") }
            let parts = try readParts(classes: input.loaded.table.classLabels)
            let outcome: TrainingOutcome
            do { outcome = try ModelTraining.run(try request(input.loaded.table, featureSet: input.featureSet, window: input.window)) } catch {
                throw AnalysisError(source: inputs[0], problem: "cannot train: \(error)", exitCode: ExitStatus.unreadableInput)
            }
            for note in outcome.notes { printError("note: \(note)") }
            let model = parts.assemble(outcome.model)
            do { try model.write(to: output) } catch {
                throw AnalysisError(source: output, problem: "cannot write the model (\(error.localizedDescription))",
                                    exitCode: ExitStatus.unreadableInput)
            }
            print(outcome.textSummary(), terminator: "")
            print("\nwrote \(output)")
        }
    }

    /// The training request the flags describe; captures' window settings (`window`) win over --window.
    func request(_ table: TrainingTable, featureSet: String, window: WindowConfig?) throws -> TrainingRequest {
        var request = TrainingRequest(table: table, parameters: try parameters(),
                                      name: name ?? URL(fileURLWithPath: output).deletingPathExtension().lastPathComponent)
        request.folds = folds
        request.validation = TrainingRequest.Validation(rawValue: cv)!
        request.task = task
        request.featureSet = featureSet
        request.classOrder = classOrderList
        request.window = windowSeconds.map { windowDetails.parameters(seconds: $0) }
        request.description = modelDescription
        if let c = window {
            request.window = WindowParameters(seconds: c.window, step: c.step, minPackets: c.minPackets, burstGap: c.burstGap,
                                              contextSeconds: c.contextSeconds, policy: c.policy.rawValue)
        }
        request.sources = inputs.map { URL(fileURLWithPath: $0).lastPathComponent }
        return request
    }
}

/// What `train` adds to the trained forest (`ModelAssembly`), read before training.
struct ModelParts {
    var service: [String]
    var decision: DecisionRule?
    /// Card members from the --card-file files, in order (later files win).
    var card: [(String, JSONValue)]
    var host: TreeModel?

    /// The trained forest with the selection, the decision rule, the card members, inside the host when it is a stage.
    func assemble(_ trained: TreeModel) -> TreeModel {
        var model = trained
        if !service.isEmpty { model.selection = ModelSelection(servicePatterns: service, unit: "client-stream") }
        if let decision { model.decision = decision }
        model.card = ModelAssembly.card(model.card, setting: card)
        guard let host else { return model }
        return ModelAssembly.stage(model, into: host)
    }
}

extension TrainCommand {
    /// Reads the decision rule, the card files and the host model, and checks the rule against the classes
    /// the model will have (the --class-order list when given; training checks it against the table).
    func readParts(classes: [String]) throws -> ModelParts {
        let rule = try decision.map { path throws(ModelError) in try ModelAssembly.decisionRule(path: path, classes: classOrderList ?? classes) }
        let card = try cardFiles.flatMap { path throws(ModelError) in try ModelAssembly.cardMembers(path: path) }
        let host = try stageOf.map { try TreesCLI.resolveModel($0) }
        return ModelParts(service: service, decision: rule, card: card, host: host)
    }

    /// --class-order as a list.
    var classOrderList: [String]? {
        classOrder.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
    }
}

/// The window details `train` records beside `--window` (the analyzer cuts traffic with them).
struct TrainWindowOptions: ParsableArguments {
    @Option(name: .customLong("window-step"), help: ArgumentHelp("Seconds between window starts, recorded in the model (default: the window).", valueName: "seconds"))
    var step: Double?
    @Option(name: .customLong("min-packets"), help: "Fewest packets a window needs to be classified, recorded in the model.")
    var minPackets: Int?
    @Option(name: .customLong("burst-gap"), help: ArgumentHelp("Largest gap inside a burst, recorded in the model.", valueName: "seconds"))
    var burstGap: Double?
    @Option(name: .customLong("context-seconds"), help: ArgumentHelp("History the context features look back on, recorded in the model.", valueName: "seconds"))
    var contextSeconds: Double?
    @Option(name: .customLong("window-policy"), help: "complete (only whole windows) or partial (also the last, cut short), recorded in the model.")
    var policy: String?

    var isEmpty: Bool { step == nil && minPackets == nil && burstGap == nil && contextSeconds == nil && policy == nil }

    func validate(windowSeconds: Double?) throws {
        if !isEmpty && windowSeconds == nil { throw ValidationError("--window-step, --min-packets, --burst-gap, --context-seconds and --window-policy go with --window") }
        if let step, !(step > 0 && step <= 3600) { throw ValidationError("--window-step must be between 0 and 3600 seconds") }
        if let minPackets, minPackets < 1 { throw ValidationError("--min-packets must be at least 1") }
        if let burstGap, !(burstGap > 0 && burstGap <= 60) { throw ValidationError("--burst-gap must be between 0 and 60 seconds") }
        if let contextSeconds, !(contextSeconds >= 0 && contextSeconds <= 86_400) { throw ValidationError("--context-seconds must be between 0 and 86400") }
        if let policy, WindowPolicy(rawValue: policy) == nil {
            throw ValidationError("--window-policy must be \(WindowPolicy.allCases.map(\.rawValue).joined(separator: " or ")) (got \(policy))")
        }
    }

    func parameters(seconds: Double) -> WindowParameters {
        WindowParameters(seconds: seconds, step: step, minPackets: minPackets, burstGap: burstGap, contextSeconds: contextSeconds, policy: policy)
    }
}

/// Table options shared by `train` and `evaluate`.
struct TableInputOptions: ParsableArguments {
    @Option(help: "The label column.") var labelColumn = "label"
    @Option(name: .customLong("ignore-column"), help: "A column that is not a feature (repeatable).") var ignoreColumns: [String] = []
    @Option(help: "Group column for grouped cross-validation (default: capture if present, else the file).") var groupColumn: String?

    func options() -> TableOptions {
        TableOptions(labelColumn: labelColumn, ignoreColumns: Set(ignoreColumns), groupColumn: groupColumn)
    }
}

/// Model look-up for the commands that take a model outside `reportingErrors` (flows, models) and for --stage-of.
enum TreesCLI {
    static func resolveModel(_ nameOrPath: String) throws -> TreeModel {
        do { return try ModelLocator.resolve(nameOrPath: nameOrPath, embedded: EmbeddedModels.models) } catch {
            throw fail(error.description, ModelError.exitStatus)
        }
    }

    /// Prints one line on stderr and returns the exit code to throw.
    private static func fail(_ message: String, _ code: Int32) -> ExitCode {
        FileHandle.standardError.write(Data("streamprobe: \(message)\n".utf8))
        return ExitCode(code)
    }
}
