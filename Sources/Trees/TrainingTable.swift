/// Labelled rows for training or evaluation: what `train` and `evaluate` work on, whatever the
/// source (CSV tables here; labelled captures through the analyzer).
public struct TrainingTable: Sendable, Equatable {
    /// Column names, in row order.
    public var featureNames: [String]
    /// Row-major: `rowCount × featureNames.count` numbers. NaN marks a missing value.
    public var rows: [Double]
    /// One label per row.
    public var labels: [String]
    /// One group per row (the capture or file it came from): grouped cross-validation keeps a group together.
    public var groups: [String]

    public init(featureNames: [String], rows: [Double], labels: [String], groups: [String]) {
        precondition(rows.count == labels.count * featureNames.count, "rows must hold labels.count × featureNames.count numbers")
        precondition(groups.count == labels.count, "one group per row")
        self.featureNames = featureNames; self.rows = rows; self.labels = labels; self.groups = groups
    }

    public var rowCount: Int { labels.count }
    public var featureCount: Int { featureNames.count }

    /// The distinct labels in class order: numeric order when every label is a number, else text order
    /// (as scikit-learn's LabelEncoder sorts them).
    public var classLabels: [String] { Self.sortedLabels(Set(labels)) }

    public static func sortedLabels(_ labels: Set<String>) -> [String] {
        let numeric = labels.compactMap { l -> (String, Double)? in Double(l).map { (l, $0) } }
        if numeric.count == labels.count {
            return numeric.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }.map(\.0)
        }
        return labels.sorted()
    }

    /// The rows at `indices`, in that order.
    public func subset(_ indices: [Int]) -> TrainingTable {
        let f = featureCount
        var out = [Double]()
        out.reserveCapacity(indices.count * f)
        for i in indices { out.append(contentsOf: rows[(i * f)..<(i * f + f)]) }
        return TrainingTable(featureNames: featureNames, rows: out, labels: indices.map { labels[$0] },
                             groups: indices.map { groups[$0] })
    }

    /// The same rows with the columns reordered (and selected) to `names`; nil names a missing column.
    public func selecting(_ names: [String]) -> (TrainingTable?, missing: [String]) {
        var index: [String: Int] = [:]
        for (i, n) in featureNames.enumerated() where index[n] == nil { index[n] = i }
        let missing = names.filter { index[$0] == nil }
        if !missing.isEmpty { return (nil, missing) }
        let cols = names.map { index[$0]! }
        let f = featureCount
        var out = [Double]()
        out.reserveCapacity(rowCount * names.count)
        for r in 0..<rowCount { for c in cols { out.append(rows[r * f + c]) } }
        return (TrainingTable(featureNames: names, rows: out, labels: labels, groups: groups), [])
    }

    /// Tables with the same columns, one after the other.
    public static func concatenate(_ tables: [TrainingTable]) -> TrainingTable? {
        guard let first = tables.first else { return nil }
        var rows = first.rows, labels = first.labels, groups = first.groups
        for t in tables.dropFirst() {
            guard let aligned = t.selecting(first.featureNames).0 else { return nil }
            rows += aligned.rows; labels += aligned.labels; groups += aligned.groups
        }
        return TrainingTable(featureNames: first.featureNames, rows: rows, labels: labels, groups: groups)
    }
}
