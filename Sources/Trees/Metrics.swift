import Foundation

/// Precision, recall, F1 and support of one class.
public struct ClassMetrics: Sendable, Equatable {
    public var label: String
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var support: Int
}

/// A confusion matrix (rows: true class, columns: predicted class) and the figures derived from it.
/// Undefined ratios (no predictions, no support) count as 0, as scikit-learn's `zero_division=0`.
public struct ConfusionMatrix: Sendable, Equatable {
    public let classes: [String]
    /// `counts[truth * classCount + predicted]`.
    public private(set) var counts: [Int]

    public init(classes: [String]) {
        self.classes = classes
        counts = [Int](repeating: 0, count: classes.count * classes.count)
    }

    public init(classes: [String], truth: [Int], predicted: [Int]) {
        precondition(truth.count == predicted.count)
        self.init(classes: classes)
        for (t, p) in zip(truth, predicted) { add(truth: t, predicted: p) }
    }

    public var classCount: Int { classes.count }

    public mutating func add(truth: Int, predicted: Int, count: Int = 1) {
        counts[truth * classCount + predicted] += count
    }

    public mutating func add(_ other: ConfusionMatrix) {
        precondition(other.classes == classes)
        for i in counts.indices { counts[i] += other.counts[i] }
    }

    public subscript(truth: Int, predicted: Int) -> Int { counts[truth * classCount + predicted] }

    public var total: Int { counts.reduce(0, +) }

    public var accuracy: Double {
        let t = total
        return t == 0 ? 0 : Double((0..<classCount).reduce(0) { $0 + self[$1, $1] }) / Double(t)
    }

    public var perClass: [ClassMetrics] {
        (0..<classCount).map { c in
            let tp = Double(self[c, c])
            let predicted = Double((0..<classCount).reduce(0) { $0 + self[$1, c] })
            let support = (0..<classCount).reduce(0) { $0 + self[c, $1] }
            let precision = predicted > 0 ? tp / predicted : 0
            let recall = support > 0 ? tp / Double(support) : 0
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            return ClassMetrics(label: classes[c], precision: precision, recall: recall, f1: f1, support: support)
        }
    }

    /// Unweighted mean over classes.
    public var macroAverage: ClassMetrics {
        let m = perClass
        let k = Double(max(1, m.count))
        return ClassMetrics(label: "macro avg", precision: m.reduce(0) { $0 + $1.precision } / k,
                            recall: m.reduce(0) { $0 + $1.recall } / k, f1: m.reduce(0) { $0 + $1.f1 } / k,
                            support: total)
    }

    /// Mean over classes weighted by support.
    public var weightedAverage: ClassMetrics {
        let m = perClass
        let n = Double(max(1, total))
        return ClassMetrics(label: "weighted avg",
                            precision: m.reduce(0) { $0 + $1.precision * Double($1.support) } / n,
                            recall: m.reduce(0) { $0 + $1.recall * Double($1.support) } / n,
                            f1: m.reduce(0) { $0 + $1.f1 * Double($1.support) } / n, support: total)
    }

    /// Readable report: per-class figures, averages, accuracy, then the matrix.
    public func textReport() -> String {
        let width = max(12, (classes.map(\.count).max() ?? 0) + 2)
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
        func padRight(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
        func f(_ x: Double) -> String { String(format: "%.3f", x) }
        var out = padRight("", width) + pad("precision", 10) + pad("recall", 10) + pad("f1", 10) + pad("support", 10) + "\n"
        for m in perClass + [macroAverage, weightedAverage] {
            if m.label == "macro avg" { out += "\n" }
            out += padRight(m.label, width) + pad(f(m.precision), 10) + pad(f(m.recall), 10) + pad(f(m.f1), 10)
                + pad(String(m.support), 10) + "\n"
        }
        out += "\n" + padRight("accuracy", width) + pad(f(accuracy), 30) + pad(String(total), 10) + "\n"
        out += "\nconfusion matrix (rows: true class, columns: predicted)\n"
        let cell = max(8, (classes.map(\.count).max() ?? 0) + 2, String(counts.max() ?? 0).count + 2)
        out += padRight("", width) + classes.map { pad($0, cell) }.joined() + "\n"
        for t in 0..<classCount {
            out += padRight(classes[t], width) + (0..<classCount).map { pad(String(self[t, $0]), cell) }.joined() + "\n"
        }
        return out
    }

    /// The same figures as JSON: `accuracy`, `classes` (per-class figures), averages and `confusion_matrix`.
    public var jsonValue: JSONValue {
        func metrics(_ m: ClassMetrics) -> JSONValue {
            .object([("label", .string(m.label)), ("precision", .number(m.precision)), ("recall", .number(m.recall)),
                     ("f1", .number(m.f1)), ("support", .number(Double(m.support)))])
        }
        return .object([
            ("accuracy", .number(accuracy)),
            ("rows", .number(Double(total))),
            ("classes", .array(perClass.map(metrics))),
            ("macro_avg", metrics(macroAverage)),
            ("weighted_avg", metrics(weightedAverage)),
            ("labels", .array(classes.map { .string($0) })),
            ("confusion_matrix", .array((0..<classCount).map { t in .array((0..<classCount).map { .number(Double(self[t, $0])) }) })),
        ])
    }
}
