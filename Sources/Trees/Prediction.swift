/// The result of one prediction.
public struct Prediction: Sendable, Equatable {
    public var classIndex: Int
    public var label: String
    /// The probability of the predicted class.
    public var confidence: Double
    public var probabilities: [Double]
}

extension TreeModel {
    /// One row (features in `featureNames` order) → the predicted class and every probability.
    public func predict(_ row: [Double]) -> Prediction {
        var p = [Double](repeating: 0, count: classCount)
        row.withUnsafeBufferPointer { r in p.withUnsafeMutableBufferPointer { evaluator.probabilities(row: r, into: $0) } }
        let best = Self.argmax(p)
        return Prediction(classIndex: best, label: classes[best], confidence: p[best], probabilities: p)
    }

    /// Class probabilities for many rows (row-major) → `classCount` numbers per row.
    public func predictProbabilities(rows: [Double], jobs: Int = 1) -> [Double] {
        evaluator.predictProbabilities(rows: rows, jobs: jobs)
    }

    /// Predicted class index per row.
    public func predictClasses(rows: [Double], jobs: Int = 1) -> [Int] {
        let p = predictProbabilities(rows: rows, jobs: jobs)
        let k = classCount
        return (0..<(p.count / k)).map { Self.argmax(p[($0 * k)..<($0 * k + k)]) }
    }

    /// The first index of the largest value (as numpy's argmax).
    public static func argmax<C: Collection>(_ xs: C) -> Int where C.Element == Double, C.Index == Int {
        var best = xs.startIndex
        for i in xs.indices where xs[i] > xs[best] { best = i }
        return best - xs.startIndex
    }
}
