import Features
import Trees

/// What the feature engine computes for a unit: the feature set (in the model's column order),
/// the window settings, and the service names that select the streams.
public struct FeaturePlan: Sendable {
    public let featureSet: FeatureSet
    public let config: WindowConfig
    public let patterns: ServicePatternSet
    public init(featureSet: FeatureSet, config: WindowConfig, patterns: ServicePatternSet = ServicePatternSet([])) {
        self.featureSet = featureSet
        self.config = config
        self.patterns = patterns
    }
}

/// A model bound to the feature engine: the feature set its features resolve to, the window
/// settings it was trained with, and the service names that select its streams.
public struct BoundModel: Sendable {
    public let model: TreeModel
    public let featureSet: FeatureSet
    public let config: WindowConfig
    public let patterns: ServicePatternSet

    /// Fails with exit status 65 when the engine cannot compute a feature the model reads.
    public init(_ model: TreeModel, windowOverride: Double? = nil, stepOverride: Double? = nil,
                minPacketsOverride: Int? = nil) throws(AnalysisError) {
        self.model = model
        var config: WindowConfig
        do throws(FeatureError) {
            let base = (try? FeatureSet.named(model.featureSet))?.defaultConfig ?? .reference
            config = base
            if let w = model.window {
                config.window = w.seconds
                config.step = w.step
                if let m = w.minPackets { config.minPackets = m }
                if let g = w.burstGap { config.burstGap = g }
                if let c = w.contextSeconds { config.contextSeconds = c }
                if let p = w.policy, let policy = WindowPolicy(rawValue: p) { config.policy = policy }
            }
            if let windowOverride { config.window = windowOverride }
            if let stepOverride { config.step = stepOverride }
            if let minPacketsOverride { config.minPackets = minPacketsOverride }
            self.featureSet = try FeatureSet.resolve(names: model.featureNames, config: config)
            self.config = try config.validated()
        } catch {
            throw AnalysisError(source: model.source, problem: "model '\(model.name)' does not fit the feature engine: \(error)",
                                exitCode: ExitStatus.badModel)
        }
        self.patterns = ServicePatternSet(model.selection?.servicePatterns ?? [])
        if let stage = model.streamModel?.model {
            let known = Set(StreamSummary.featureNames + windowMeanFeatureNames(classes: model.classes))
            if let missing = stage.featureNames.first(where: { !known.contains($0) }) {
                throw AnalysisError(source: model.source, problem: "model '\(model.name)': its stream_model reads \"\(missing)\", "
                                    + "which is neither a \(StreamSummary.setName) feature nor a window mean of its classes",
                                    exitCode: ExitStatus.badModel)
            }
        }
    }

    public var plan: FeaturePlan { FeaturePlan(featureSet: featureSet, config: config, patterns: patterns) }

    public var summary: ModelSummary {
        ModelSummary(name: model.name, classes: model.classes, featureSet: model.featureSet, windowSeconds: config.window,
                     description: model.description,
                     temporal: model.temporal.flatMap { $0.windows > 1 ? $0.text : nil })
    }
}
