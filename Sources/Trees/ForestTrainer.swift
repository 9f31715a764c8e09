import Dispatch

/// Trains a random forest (or one tree) on a `TrainingTable`. Each tree has its own generator derived
/// from (seed, tree index) and the trees are collected in order, so the same seed gives the same
/// model whatever the number of threads.
public enum ForestTrainer {
    public struct Output: Sendable {
        public var model: TreeModel
        /// Mean decrease in impurity per feature, normalised to sum 1 (feature order of the table).
        public var importances: [Double]
    }

    /// Trains on `table`. `classes` fixes the class order (default: the table's sorted labels).
    public static func train(_ table: TrainingTable, parameters: ForestParameters, classes: [String]? = nil,
                             name: String = "model", task: String? = nil, featureSet: String = "custom",
                             window: WindowParameters? = nil, card: JSONValue = .object([])) throws -> Output {
        let params = try parameters.validated()
        let classes = classes ?? table.classLabels
        guard classes.count >= 2 else {
            throw ForestParameters.Invalid(description: "training needs at least 2 classes, the table has \(classes.count) (\(classes.joined(separator: ", ")))")
        }
        guard table.rowCount > 0, table.featureCount > 0 else {
            throw ForestParameters.Invalid(description: "training needs at least one row and one feature")
        }
        var index: [String: Int32] = [:]
        for (i, c) in classes.enumerated() { index[c] = Int32(i) }
        var y = [Int32]()
        y.reserveCapacity(table.rowCount)
        for l in table.labels {
            guard let c = index[l] else { throw ForestParameters.Invalid(description: "label \"\(l)\" is not one of the classes") }
            y.append(c)
        }
        let k = classes.count
        var weights = [Double](repeating: 1, count: k)
        if params.classWeight == .balanced {
            var counts = [Int](repeating: 0, count: k)
            for c in y { counts[Int(c)] += 1 }
            for c in 0..<k where counts[c] > 0 { weights[c] = Double(y.count) / (Double(k) * Double(counts[c])) }
        }
        let binning = FeatureBinning(rows: table.rows, rowCount: table.rowCount, featureCount: table.featureCount,
                                     maxBins: params.maxBins)
        let builder = TreeBuilder(binning: binning, classes: y, classCount: k, classWeights: weights, params: params,
                                  featuresPerSplit: params.maxFeatures.resolve(featureCount: table.featureCount))
        let results = UnsafeMutableBufferPointer<TreeBuilder.Result?>.allocate(capacity: params.trees)
        results.initialize(repeating: nil)
        defer { results.deinitialize(); results.deallocate() }
        nonisolated(unsafe) let slots = results
        ParallelLoop.run(params.trees, jobs: params.jobs) { t in
            slots[t] = builder.build(treeIndex: t)
        }
        var trees: [TreeArrays] = []
        var importance = [Double](repeating: 0, count: table.featureCount)
        for r in results {
            let r = r!
            trees.append(r.tree)
            let sum = r.importance.reduce(0, +)
            if sum > 0 { for j in importance.indices { importance[j] += r.importance[j] / sum } }
        }
        let total = importance.reduce(0, +)
        if total > 0 { importance = importance.map { $0 / total } }
        let kind: EnsembleKind = params.trees == 1 && !params.bootstrap ? .decisionTree : .randomForest
        let ensemble = TreeEnsemble(kind: kind, comparison: .lessOrEqual, featurePrecision: .float64,
                                    aggregation: .meanDistribution, trees: trees)
        let model = try TreeModel(name: name, task: task ?? name, classes: classes, featureSet: featureSet,
                                  featureNames: table.featureNames, window: window, ensemble: ensemble, card: card,
                                  source: name)
        return Output(model: model, importances: importance)
    }
}

