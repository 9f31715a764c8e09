import Foundation

/// How a split compares a feature with its threshold: scikit-learn sends `x <= t` left, XGBoost `x < t`.
public enum SplitComparison: String, Sendable, Codable, CaseIterable {
    case lessOrEqual = "<="
    case less = "<"
}

/// How the trees' leaf values become class probabilities.
public enum Aggregation: String, Sendable, Codable, CaseIterable {
    /// Forest / single tree: each leaf holds a class distribution (normalised per leaf); the trees are averaged.
    case meanDistribution = "mean_distribution"
    /// Boosted, K ≥ 2 classes: each tree adds to one class's margin; margins + base score, then softmax.
    case softmax = "margin_softmax"
    /// Boosted, binary: every tree adds to one margin; margin + base score, then sigmoid = P(classes[1]).
    case sigmoid = "margin_sigmoid"
}

/// What kind of ensemble a model is (informative; the evaluation follows `aggregation`).
public enum EnsembleKind: String, Sendable, Codable, CaseIterable {
    case decisionTree = "decision_tree"
    case randomForest = "random_forest"
    case extraTrees = "extra_trees"
    case gradientBoosting = "gradient_boosting"
}

/// The precision features are rounded to before they are compared: scikit-learn and XGBoost both
/// compare float32 copies of the inputs, so an imported model says `float32` to match them exactly.
public enum FeaturePrecision: String, Sendable, Codable, CaseIterable {
    case float64
    case float32
}

/// Window parameters the analyzer cuts traffic with before computing this model's features.
public struct WindowParameters: Sendable, Equatable, Codable {
    public var seconds: Double
    public var step: Double?
    public var minPackets: Int?
    public var burstGap: Double?
    public var contextSeconds: Double?
    public var policy: String?

    public init(seconds: Double, step: Double? = nil, minPackets: Int? = nil, burstGap: Double? = nil,
                contextSeconds: Double? = nil, policy: String? = nil) {
        self.seconds = seconds; self.step = step; self.minPackets = minPackets
        self.burstGap = burstGap; self.contextSeconds = contextSeconds; self.policy = policy
    }

    enum CodingKeys: String, CodingKey {
        case seconds, step, policy
        case minPackets = "min_packets", burstGap = "burst_gap", contextSeconds = "context_seconds"
    }
}

/// A standard scaler applied to the features before the trees see them: `(x - mean) / scale`.
public struct StandardScaler: Sendable, Equatable, Codable {
    public var mean: [Double]
    public var scale: [Double]
    public init(mean: [Double], scale: [Double]) { self.mean = mean; self.scale = scale }
}

/// Hints for the analyzer: which traffic this model is meant for.
public struct ModelSelection: Sendable, Equatable, Codable {
    /// Service name patterns (`*.scdn.co`, `audio*.spotifycdn.com`), matched against TLS SNI / DNS names.
    public var servicePatterns: [String]?
    /// The unit one prediction describes: `session`, `flow`, `client-download`, `udp-flow`, …
    public var unit: String?
    public init(servicePatterns: [String]? = nil, unit: String? = nil) {
        self.servicePatterns = servicePatterns; self.unit = unit
    }
    enum CodingKeys: String, CodingKey {
        case servicePatterns = "service_patterns", unit
    }
}

/// One tree as flat node arrays. Node 0 is the root. A node with `feature < 0` is a leaf.
public struct TreeArrays: Sendable, Equatable {
    public var feature: [Int]
    public var threshold: [Double]
    public var left: [Int]
    public var right: [Int]
    public var missingLeft: [Bool]
    /// `nodeCount × leafWidth` numbers, row-major; only the leaves' rows are used.
    public var value: [Double]
    /// Boosted multi-class: the class whose margin this tree adds to.
    public var outputClass: Int?

    public init(feature: [Int], threshold: [Double], left: [Int], right: [Int], missingLeft: [Bool],
                value: [Double], outputClass: Int? = nil) {
        self.feature = feature; self.threshold = threshold; self.left = left; self.right = right
        self.missingLeft = missingLeft; self.value = value; self.outputClass = outputClass
    }

    public var nodeCount: Int { feature.count }
}

/// The trees and how to combine them.
public struct TreeEnsemble: Sendable, Equatable {
    public var kind: EnsembleKind
    public var comparison: SplitComparison
    public var featurePrecision: FeaturePrecision
    public var aggregation: Aggregation
    /// Added to each class margin (softmax: one per class; sigmoid: one number). Empty for forests.
    public var baseScore: [Double]
    public var trees: [TreeArrays]

    public init(kind: EnsembleKind, comparison: SplitComparison, featurePrecision: FeaturePrecision = .float64,
                aggregation: Aggregation, baseScore: [Double] = [], trees: [TreeArrays]) {
        self.kind = kind; self.comparison = comparison; self.featurePrecision = featurePrecision
        self.aggregation = aggregation; self.baseScore = baseScore; self.trees = trees
    }

    /// Numbers per leaf: the class count for distributions, 1 for margins.
    public func leafWidth(classCount: Int) -> Int { aggregation == .meanDistribution ? classCount : 1 }
}

/// A loaded, validated model: what it predicts, from which features, and its trees.
public struct TreeModel: Sendable {
    public static let formatName = "streamprobe-model"
    public static let formatVersion = 1

    public var name: String
    public var task: String
    public var description: String?
    public var classes: [String]
    public var featureSet: String
    public var featureNames: [String]
    public var window: WindowParameters?
    public var scaler: StandardScaler?
    /// The trees. An embedded model's are read and validated at their first use (`decode(embedded:source:)`):
    /// a command that never predicts (a capture without a stream) does not decode them.
    public var ensemble: TreeEnsemble {
        get { ensembleStore.value }
        set { ensembleStore = EnsembleStore(newValue) }
    }
    var ensembleStore: EnsembleStore
    public var selection: ModelSelection?
    /// Training data and provenance, date, hyper-parameters, evaluation figures, importances, limits.
    public var card: JSONValue
    /// Where the model was loaded from (path or `embedded:NAME`), for messages.
    public var source: String
    /// How probabilities become an answer (groups, calibration, ambiguity); nil: the top class as is.
    public var decision: DecisionRule?
    /// How window probabilities are combined over time (`temporal`), when the model says so.
    public var temporal: TemporalSmoothing?
    /// Name and port rules that decide a flow's class before the trees (`flow_rules`), for flow models.
    public var flowRules: FlowRules?
    /// The whole-stream stage (`stream_model` in the file), when the model has one.
    public var streamModel: NestedModel?

    /// The compiled evaluator (packed nodes), built once, at its first use: a model is validated
    /// when it loads, but a stage that never predicts (the stream stage of a capture without a
    /// stream) does not pay for its evaluator.
    public var evaluator: EnsembleEvaluator { lazyEvaluator.value }
    let lazyEvaluator: LazyEvaluator

    /// Builds a model from parts, validating everything as a loaded file would be.
    public init(name: String, task: String, description: String? = nil, classes: [String], featureSet: String,
                featureNames: [String], window: WindowParameters? = nil, scaler: StandardScaler? = nil,
                ensemble: TreeEnsemble, selection: ModelSelection? = nil, card: JSONValue = .object([]),
                source: String = "model") throws(ModelError) {
        var ensemble = ensemble
        try ModelValidator.validate(classes: classes, features: featureNames, scaler: scaler,
                                    ensemble: &ensemble, source: source)
        self.init(name: name, task: task, description: description, classes: classes, featureSet: featureSet,
                  featureNames: featureNames, window: window, scaler: scaler, store: EnsembleStore(ensemble),
                  selection: selection, card: card, source: source)
    }

    /// A model whose trees are read and validated at their first use: `load` reads and validates
    /// them as `init(… ensemble: …)` does. Only for the embedded models, which the tests load and
    /// validate in full (an error there stops the program with its message).
    init(name: String, task: String, description: String?, classes: [String], featureSet: String,
         featureNames: [String], window: WindowParameters?, scaler: StandardScaler?,
         deferredEnsemble load: @escaping @Sendable () throws(ModelError) -> TreeEnsemble,
         selection: ModelSelection?, card: JSONValue, source: String) {
        let store = EnsembleStore {
            do throws(ModelError) {
                var ensemble = try load()
                try ModelValidator.validate(classes: classes, features: featureNames, scaler: scaler,
                                            ensemble: &ensemble, source: source)
                return ensemble
            } catch {
                fatalError("the embedded model is invalid: \(error)")
            }
        }
        self.init(name: name, task: task, description: description, classes: classes, featureSet: featureSet,
                  featureNames: featureNames, window: window, scaler: scaler, store: store,
                  selection: selection, card: card, source: source)
    }

    private init(name: String, task: String, description: String?, classes: [String], featureSet: String,
                 featureNames: [String], window: WindowParameters?, scaler: StandardScaler?, store: EnsembleStore,
                 selection: ModelSelection?, card: JSONValue, source: String) {
        self.name = name; self.task = task; self.description = description; self.classes = classes
        self.featureSet = featureSet; self.featureNames = featureNames; self.window = window
        self.scaler = scaler; self.ensembleStore = store; self.selection = selection; self.card = card
        self.source = source
        let (classCount, featureCount) = (classes.count, featureNames.count)
        self.lazyEvaluator = LazyEvaluator {
            EnsembleEvaluator(ensemble: store.value, classCount: classCount, featureCount: featureCount, scaler: scaler)
        }
    }

    public var classCount: Int { classes.count }
    public var featureCount: Int { featureNames.count }
    public var nodeCount: Int { ensemble.trees.reduce(0) { $0 + $1.nodeCount } }
}

/// A model held inside another (a struct cannot hold itself directly).
public final class NestedModel: Sendable {
    public let model: TreeModel
    public init(_ model: TreeModel) { self.model = model }
}

/// A value given, or made at its first use, once, whichever thread asks first: a model's trees (an
/// embedded model's are read and validated then) and its packed evaluator.
final class BuiltOnce<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var built: Value?
    private var make: (@Sendable () -> Value)?

    init(_ value: Value) { built = value }
    init(_ make: @escaping @Sendable () -> Value) { self.make = make }

    var isBuilt: Bool {
        lock.lock()
        defer { lock.unlock() }
        return built != nil
    }

    var value: Value {
        lock.lock()
        defer { lock.unlock() }
        if let built { return built }
        let value = make!()
        built = value
        make = nil
        return value
    }
}

typealias EnsembleStore = BuiltOnce<TreeEnsemble>
typealias LazyEvaluator = BuiltOnce<EnsembleEvaluator>
