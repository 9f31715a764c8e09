/// Checks a model's parts against each other, and normalises forest leaves.
enum ModelValidator {
    static func validate(classes: [String], features: [String], scaler: StandardScaler?,
                         ensemble: inout TreeEnsemble, source: String) throws(ModelError) {
        func fail(_ location: String, _ problem: String) -> ModelError {
            ModelError(source: source, location: location, problem: problem)
        }
        if classes.count < 2 { throw fail("classes", "has \(classes.count) labels; a classifier needs at least 2") }
        if let dup = firstDuplicate(classes) { throw fail("classes", "lists \"\(dup)\" twice") }
        if let i = classes.firstIndex(of: "") { throw fail("classes[\(i)]", "is empty") }
        if features.isEmpty { throw fail("features", "is empty") }
        if features.count > Int(Int16.max) { throw fail("features", "has \(features.count) names; at most \(Int16.max) are supported") }
        if let dup = firstDuplicate(features) { throw fail("features", "lists \"\(dup)\" twice") }
        if let i = features.firstIndex(of: "") { throw fail("features[\(i)]", "is empty") }
        let f = features.count, k = classes.count
        if let scaler {
            if scaler.mean.count != f { throw fail("scaler.mean", "has \(scaler.mean.count) numbers for \(f) features") }
            if scaler.scale.count != f { throw fail("scaler.scale", "has \(scaler.scale.count) numbers for \(f) features") }
            if let i = scaler.mean.firstIndex(where: { !$0.isFinite }) { throw fail("scaler.mean[\(i)]", "is not finite") }
            if let i = scaler.scale.firstIndex(where: { !$0.isFinite || $0 <= 0 }) {
                throw fail("scaler.scale[\(i)]", "= \(scaler.scale[i]) must be a positive number")
            }
        }
        switch (ensemble.kind, ensemble.aggregation) {
        case (.gradientBoosting, .meanDistribution):
            throw fail("ensemble.aggregation", "is mean_distribution, but boosted trees sum margins (margin_softmax or margin_sigmoid)")
        case (.decisionTree, .softmax), (.decisionTree, .sigmoid), (.randomForest, .softmax), (.randomForest, .sigmoid),
             (.extraTrees, .softmax), (.extraTrees, .sigmoid):
            throw fail("ensemble.aggregation", "is \(ensemble.aggregation.rawValue), but a \(ensemble.kind.rawValue) averages class distributions (mean_distribution)")
        default: break
        }
        if ensemble.trees.isEmpty { throw fail("ensemble.trees", "is empty") }
        if ensemble.kind == .decisionTree && ensemble.trees.count != 1 {
            throw fail("ensemble.trees", "has \(ensemble.trees.count) trees; a decision_tree has one")
        }
        switch ensemble.aggregation {
        case .meanDistribution:
            if !ensemble.baseScore.isEmpty { throw fail("ensemble.base_score", "is set, but a forest has no base score") }
        case .softmax:
            if ensemble.baseScore.count != k {
                throw fail("ensemble.base_score", "has \(ensemble.baseScore.count) numbers; margin_softmax needs one per class (\(k))")
            }
        case .sigmoid:
            if k != 2 { throw fail("ensemble.aggregation", "is margin_sigmoid, which needs 2 classes (model has \(k))") }
            if ensemble.baseScore.count != 1 {
                throw fail("ensemble.base_score", "has \(ensemble.baseScore.count) numbers; margin_sigmoid needs one")
            }
        }
        if let i = ensemble.baseScore.firstIndex(where: { !$0.isFinite }) { throw fail("ensemble.base_score[\(i)]", "is not finite") }
        let width = ensemble.leafWidth(classCount: k)
        for ti in ensemble.trees.indices {
            try validateTree(&ensemble.trees[ti], at: "ensemble.trees[\(ti)]", featureCount: f, classCount: k,
                             width: width, aggregation: ensemble.aggregation, fail: fail)
        }
    }

    static func validateTree(_ tree: inout TreeArrays, at place: String, featureCount f: Int, classCount k: Int,
                             width: Int, aggregation: Aggregation,
                             fail: (String, String) -> ModelError) throws(ModelError) {
        let n = tree.feature.count
        if n == 0 { throw fail("\(place).feature", "is empty (a tree needs at least one node)") }
        for (name, count) in [("threshold", tree.threshold.count), ("left", tree.left.count),
                              ("right", tree.right.count), ("missing_left", tree.missingLeft.count)] where count != n {
            throw fail("\(place).\(name)", "has \(count) entries, but feature has \(n) (arrays must have equal length)")
        }
        if tree.value.count != n * width {
            throw fail("\(place).value", "has \(tree.value.count) numbers, expected \(n) nodes × \(width) = \(n * width)")
        }
        switch aggregation {
        case .softmax:
            guard let c = tree.outputClass else { throw fail("\(place).output_class", "is missing (margin_softmax trees add to one class)") }
            if c < 0 || c >= k { throw fail("\(place).output_class", "= \(c) is out of range (\(k) classes)") }
        case .meanDistribution, .sigmoid:
            if let c = tree.outputClass, c != 0 || aggregation == .meanDistribution {
                throw fail("\(place).output_class", "= \(c) is set, but only margin_softmax trees have one")
            }
        }
        // A valid tree (the usual case) is checked in one tight pass; on any problem the loop below
        // finds the first one in node order and names it.
        switch nodesAreValid(tree, featureCount: f, width: width, distribution: aggregation == .meanDistribution) {
        case .valid: break
        case .validButNotNormalised: normaliseLeaves(&tree, width: width)
        case .invalid: try findFirstProblem(&tree, at: place, featureCount: f, width: width, aggregation: aggregation, fail: fail)
        }
        try checkReachability(tree, at: place, fail: fail)
    }

    enum NodeCheck { case valid, validButNotNormalised, invalid }

    /// The node checks of `findFirstProblem` (arrays of equal length given), without messages.
    static func nodesAreValid(_ tree: TreeArrays, featureCount f: Int, width: Int, distribution: Bool) -> NodeCheck {
        let n = tree.feature.count
        let negativeIsBad = distribution ? 1 : 0
        return tree.withBuffers { t in
            var normalised = true
            for i in 0..<n {
                let feat = t.feature[i]
                if feat >= 0 {
                    let left = t.left[i], right = t.right[i]
                    guard feat < f, t.threshold[i].isFinite, left >= 1, left < n, right >= 1, right < n else { return .invalid }
                } else {
                    guard feat == -1 || feat == -2, t.left[i] == -1, t.right[i] == -1 else { return .invalid }
                    var bad = 0, sum = 0.0
                    for j in (i * width)..<(i * width + width) {
                        let x = t.value[j]
                        // Not finite, or negative in a distribution; no branch per number.
                        bad |= (x.isFinite ? 0 : 1) | (x < 0 ? negativeIsBad : 0)
                        sum += x
                    }
                    guard bad == 0, !distribution || sum > 0 else { return .invalid }
                    if distribution && abs(sum - 1) > 1e-9 { normalised = false }
                }
            }
            return normalised ? .valid : .validButNotNormalised
        }
    }

    /// Every leaf's class distribution divided by its sum, as `validateLeaf` does (valid leaves).
    static func normaliseLeaves(_ tree: inout TreeArrays, width: Int) {
        for i in 0..<tree.feature.count where tree.feature[i] < 0 {
            var sum = 0.0
            for j in (i * width)..<(i * width + width) { sum += tree.value[j] }
            if abs(sum - 1) > 1e-9 { for j in (i * width)..<(i * width + width) { tree.value[j] /= sum } }
        }
    }

    /// The node checks one node after the other, throwing at the first problem.
    static func findFirstProblem(_ tree: inout TreeArrays, at place: String, featureCount f: Int, width: Int,
                                 aggregation: Aggregation, fail: (String, String) -> ModelError) throws(ModelError) {
        let n = tree.feature.count
        for i in 0..<n {
            let feat = tree.feature[i]
            if feat >= 0 {
                if feat >= f { throw fail("\(place).feature[\(i)]", "= \(feat) is out of range (model has \(f) features)") }
                if !tree.threshold[i].isFinite { throw fail("\(place).threshold[\(i)]", "is not a finite number") }
                let left = tree.left[i], right = tree.right[i]
                if left < 1 || left >= n { throw fail("\(place).left[\(i)]", "= \(left) is out of range (tree has \(n) nodes)") }
                if right < 1 || right >= n { throw fail("\(place).right[\(i)]", "= \(right) is out of range (tree has \(n) nodes)") }
            } else {
                if feat != -1 && feat != -2 { throw fail("\(place).feature[\(i)]", "= \(feat) is neither a feature index nor a leaf (-1 or -2)") }
                if tree.left[i] != -1 || tree.right[i] != -1 {
                    throw fail("\(place).left[\(i)]", "= \(tree.left[i]) (right \(tree.right[i])): a leaf's children must be -1")
                }
                try validateLeaf(&tree.value, leaf: i, at: place, width: width, aggregation: aggregation, fail: fail)
            }
        }
    }

    /// A leaf's numbers are finite; a class distribution is non-negative, sums to more than 0, and
    /// is normalised to sum to 1. One pass over the row; the first problem in the order above is reported.
    static func validateLeaf(_ value: inout [Double], leaf i: Int, at place: String, width: Int, aggregation: Aggregation,
                             fail: (String, String) -> ModelError) throws(ModelError) {
        let first = i * width
        var nonFinite = -1, negative = -1
        var sum = 0.0
        value.withUnsafeBufferPointer { v in
            for j in first..<(first + width) {
                let x = v[j]
                if !x.isFinite && nonFinite < 0 { nonFinite = j }
                if x < 0 && negative < 0 { negative = j }
                sum += x
            }
        }
        if nonFinite >= 0 { throw fail("\(place).value[\(nonFinite)]", "is not finite (leaf \(i))") }
        guard aggregation == .meanDistribution else { return }
        if negative >= 0 {
            throw fail("\(place).value[\(negative)]", "= \(value[negative]) is negative (leaf \(i) is a class distribution)")
        }
        if !(sum > 0) { throw fail("\(place).value[\(first)]", "leaf \(i)'s class distribution sums to 0") }
        // Counts or weights become a distribution; a distribution already summing to 1 (± rounding)
        // is kept as written, so writing a loaded model gives the same numbers.
        if abs(sum - 1) > 1e-9 { for j in first..<(first + width) { value[j] /= sum } }
    }

    /// Every node reached exactly once from the root: no cycles, no shared or orphaned nodes.
    static func checkReachability(_ tree: TreeArrays, at place: String, fail: (String, String) -> ModelError) throws(ModelError) {
        let n = tree.feature.count
        var seen = [Bool](repeating: false, count: n)
        var stack = [0]
        stack.reserveCapacity(64)
        seen[0] = true
        while let i = stack.popLast() {
            guard tree.feature[i] >= 0 else { continue }
            let left = tree.left[i], right = tree.right[i]
            if seen[left] {
                throw fail("\(place).left[\(i)]", "= \(left) points to a node already reached (a cycle or a shared child)")
            }
            seen[left] = true
            stack.append(left)
            if seen[right] {
                throw fail("\(place).right[\(i)]", "= \(right) points to a node already reached (a cycle or a shared child)")
            }
            seen[right] = true
            stack.append(right)
        }
        if let orphan = seen.firstIndex(of: false) {
            throw fail("\(place).feature[\(orphan)]", "node \(orphan) is not reachable from the root (node 0)")
        }
    }

    static func firstDuplicate(_ xs: [String]) -> String? {
        var seen = Set<String>()
        for x in xs where !seen.insert(x).inserted { return x }
        return nil
    }
}
