import SplitMix

/// Fold assignment and cross-validated figures.
public enum CrossValidation {
    /// Stratified k-fold: each class's rows, shuffled with `seed`, dealt round-robin to the folds,
    /// so every fold has about the same class mix. Returns the fold of each row.
    public static func stratifiedFolds(labels: [String], folds k: Int, seed: UInt64) -> [Int] {
        precondition(k >= 2)
        var byClass: [String: [Int]] = [:]
        for (i, l) in labels.enumerated() { byClass[l, default: []].append(i) }
        var fold = [Int](repeating: 0, count: labels.count)
        var rng = SplitMix64(seed: seed, stream: 0xF01D)
        var offset = 0
        for label in TrainingTable.sortedLabels(Set(byClass.keys)) {
            var rows = byClass[label]!
            for i in stride(from: rows.count - 1, to: 0, by: -1) { rows.swapAt(i, rng.below(i + 1)) }
            for (j, r) in rows.enumerated() { fold[r] = (j + offset) % k }
            offset += rows.count  // continue the deal where the last class stopped, to balance fold sizes
        }
        return fold
    }

    /// Grouped k-fold: every row of one group lands in the same fold. Groups, largest first, go to the
    /// fold with the fewest rows so far (as scikit-learn's GroupKFold). Uses min(k, groups) folds.
    public static func groupedFolds(groups: [String], folds k: Int) -> [Int] {
        var sizes: [String: Int] = [:]
        for g in groups { sizes[g, default: 0] += 1 }
        let k = max(1, min(k, sizes.count))
        let ordered = sizes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        var foldSize = [Int](repeating: 0, count: k)
        var foldOf: [String: Int] = [:]
        for (g, size) in ordered {
            let target = foldSize.indices.min { foldSize[$0] != foldSize[$1] ? foldSize[$0] < foldSize[$1] : $0 < $1 }!
            foldOf[g] = target
            foldSize[target] += size
        }
        return groups.map { foldOf[$0]! }
    }

    public struct Result: Sendable {
        /// Predictions of every row by the model that did not see it, pooled over folds.
        public var pooled: ConfusionMatrix
        /// Accuracy of each fold's held-out rows.
        public var foldAccuracies: [Double]
        public var foldCount: Int { foldAccuracies.count }
        public var meanAccuracy: Double { foldAccuracies.isEmpty ? 0 : foldAccuracies.reduce(0, +) / Double(foldAccuracies.count) }
    }

    /// Trains on all folds but one and predicts the one left out, for each fold.
    public static func run(_ table: TrainingTable, folds: [Int], parameters: ForestParameters,
                           classes: [String]? = nil) throws -> Result {
        let classes = classes ?? table.classLabels
        let classIndex = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        var pooled = ConfusionMatrix(classes: classes)
        var accuracies: [Double] = []
        for fold in Set(folds).sorted() {
            let test = folds.indices.filter { folds[$0] == fold }
            let train = folds.indices.filter { folds[$0] != fold }
            guard !train.isEmpty, !test.isEmpty else { continue }
            let model = try ForestTrainer.train(table.subset(train), parameters: parameters, classes: classes).model
            let held = table.subset(test)
            let predicted = model.predictClasses(rows: held.rows, jobs: parameters.jobs)
            let m = ConfusionMatrix(classes: classes, truth: held.labels.map { classIndex[$0]! }, predicted: predicted)
            pooled.add(m)
            accuracies.append(m.accuracy)
        }
        return Result(pooled: pooled, foldAccuracies: accuracies)
    }
}
