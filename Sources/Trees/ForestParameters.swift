import Foundation

/// How many features a split considers.
public enum MaxFeatures: Sendable, Equatable, CustomStringConvertible {
    case sqrt, log2, all
    case count(Int)
    case fraction(Double)

    /// Parses `sqrt`, `log2`, `all` (or `none`), an integer count, or a fraction in (0, 1].
    public init?(parsing text: String) {
        switch text.lowercased() {
        case "sqrt", "auto": self = .sqrt
        case "log2": self = .log2
        case "all", "none", "1.0": self = .all
        default:
            if let n = Int(text), n >= 1 { self = .count(n) }
            else if let x = Double(text), x > 0, x <= 1 { self = .fraction(x) }
            else { return nil }
        }
    }

    /// Features to consider for `featureCount` features (at least 1).
    public func resolve(featureCount f: Int) -> Int {
        let k: Int
        switch self {
        case .sqrt: k = Int(Double(f).squareRoot())
        case .log2: k = Int(Foundation.log2(Double(f)))
        case .all: k = f
        case .count(let n): k = n
        case .fraction(let x): k = Int(x * Double(f))
        }
        return max(1, min(f, k))
    }

    public var description: String {
        switch self {
        case .sqrt: return "sqrt"
        case .log2: return "log2"
        case .all: return "all"
        case .count(let n): return String(n)
        case .fraction(let x): return String(x)
        }
    }
}

public enum SplitCriterion: String, Sendable, CaseIterable {
    case gini, entropy
}

public enum ClassWeighting: String, Sendable, CaseIterable {
    /// Every row weighs 1.
    case none
    /// Rows of class c weigh n / (classes × n_c), as scikit-learn's `class_weight="balanced"`.
    case balanced
}

/// The trainer's hyper-parameters. `validated()` checks them once.
public struct ForestParameters: Sendable, Equatable {
    public var trees: Int = 100
    public var maxDepth: Int? = nil
    public var minSamplesSplit: Int = 2
    public var minSamplesLeaf: Int = 1
    public var maxFeatures: MaxFeatures = .sqrt
    public var criterion: SplitCriterion = .gini
    public var classWeight: ClassWeighting = .none
    public var bootstrap: Bool = true
    public var seed: UInt64 = 0
    /// Threads; the model does not depend on it.
    public var jobs: Int = 1
    /// Quantile bins per feature (2…255).
    public var maxBins: Int = 255

    public init() {}

    /// One decision tree: no bootstrap, every feature at each split.
    public static var singleTree: ForestParameters {
        var p = ForestParameters()
        p.trees = 1; p.bootstrap = false; p.maxFeatures = .all
        return p
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public func validated() throws(Invalid) -> ForestParameters {
        if trees < 1 { throw Invalid(description: "--trees must be at least 1 (got \(trees))") }
        if let d = maxDepth, d < 1 { throw Invalid(description: "--max-depth must be at least 1 (got \(d))") }
        if minSamplesSplit < 2 { throw Invalid(description: "--min-samples-split must be at least 2 (got \(minSamplesSplit))") }
        if minSamplesLeaf < 1 { throw Invalid(description: "--min-samples-leaf must be at least 1 (got \(minSamplesLeaf))") }
        if jobs < 1 { throw Invalid(description: "--jobs must be at least 1 (got \(jobs))") }
        if maxBins < 2 || maxBins > 255 { throw Invalid(description: "bins must be within 2…255 (got \(maxBins))") }
        return self
    }

    /// The card's record of these settings.
    public var cardValue: JSONValue {
        .object([
            ("trees", .number(Double(trees))),
            ("max_depth", maxDepth.map { .number(Double($0)) } ?? .null),
            ("min_samples_split", .number(Double(minSamplesSplit))),
            ("min_samples_leaf", .number(Double(minSamplesLeaf))),
            ("max_features", .string(maxFeatures.description)),
            ("criterion", .string(criterion.rawValue)),
            ("class_weight", .string(classWeight.rawValue)),
            ("bootstrap", .bool(bootstrap)),
            ("seed", .number(Double(seed))),
            ("bins", .number(Double(maxBins))),
        ])
    }
}
