import Foundation

/// How a model's window probabilities are combined over time before a window gets its class
/// (`temporal` in the model file). Presence in front of a camera, like most slow states, lasts far
/// longer than one 0.5 s window, so a window's neighbours are evidence about it too.
///
/// `moving_mean`: each window's probabilities become the mean of the probabilities of `windows`
/// consecutive windows of the same unit, in time order: `centred` takes the window, the (N-1)/2
/// before and the N/2 after it (needs the later windows, so it is applied once the unit is
/// complete); `trailing` takes the window and the N-1 before it (usable as windows arrive). Near the
/// ends of the sequence the mean is over the windows that exist. Windows that were not classified
/// (skipped, idle) are not part of the sequence.
public struct TemporalSmoothing: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable { case movingMean = "moving_mean" }
    public enum Alignment: String, Sendable, Codable { case centred, trailing }

    public var kind: Kind
    /// Number of windows averaged (≥ 1; 1 changes nothing).
    public var windows: Int
    public var alignment: Alignment

    public init(kind: Kind = .movingMean, windows: Int, alignment: Alignment) {
        self.kind = kind; self.windows = windows; self.alignment = alignment
    }

    /// The windows before and after a window that its mean covers.
    public var reach: (before: Int, after: Int) {
        let n = max(windows, 1)
        switch alignment {
        case .centred: return ((n - 1) / 2, n / 2)
        case .trailing: return (n - 1, 0)
        }
    }

    /// Smooths a time-ordered sequence of probability rows (each of the same width).
    public func apply(_ rows: [[Double]]) -> [[Double]] {
        guard windows > 1, let width = rows.first?.count else { return rows }
        let (before, after) = reach
        // Prefix sums per class: each output is one subtraction per class.
        var prefix = [[Double]](repeating: [Double](repeating: 0, count: width), count: rows.count + 1)
        for (i, r) in rows.enumerated() {
            for c in 0..<width { prefix[i + 1][c] = prefix[i][c] + r[c] }
        }
        return rows.indices.map { i in
            let lo = max(0, i - before), hi = min(rows.count - 1, i + after)
            let n = Double(hi - lo + 1)
            return (0..<width).map { c in (prefix[hi + 1][c] - prefix[lo][c]) / n }
        }
    }

    func validate(source: String) throws(ModelError) {
        guard windows >= 1, windows <= 10_000 else {
            throw ModelError(source: source, location: "temporal.windows", problem: "= \(windows) is not in 1…10000")
        }
    }
}

extension TemporalSmoothing {
    /// Reads the command-line form: `N:centred` or `N:trailing` (`centered` is accepted too).
    /// `none` is the caller's business (no smoothing at all).
    public init?(spec: String) {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let n = Int(parts[0]), (1...10_000).contains(n) else { return nil }
        let side = parts[1].lowercased() == "centered" ? "centred" : parts[1].lowercased()
        guard let alignment = Alignment(rawValue: side) else { return nil }
        self.init(windows: n, alignment: alignment)
    }

    /// `moving mean over 21 windows (centred)`, for reports.
    public var text: String { "moving mean over \(windows) window\(windows == 1 ? "" : "s") (\(alignment.rawValue))" }

    /// Smooths row-major probabilities (`classCount` per row) within each group separately: the rows of
    /// one group, in the order they come, are one time sequence (one capture's windows). Windows of
    /// two captures are never averaged together, even when a table interleaves them.
    public func apply(probabilities: [Double], classCount k: Int, groups: [String]) -> [Double] {
        precondition(k > 0 && probabilities.count == groups.count * k, "one group per row of probabilities")
        guard windows > 1 else { return probabilities }
        var rowsOfGroup: [String: [Int]] = [:]
        var order: [String] = []
        for (i, g) in groups.enumerated() {
            if rowsOfGroup[g] == nil { order.append(g) }
            rowsOfGroup[g, default: []].append(i)
        }
        var out = probabilities
        for g in order {
            let indices = rowsOfGroup[g]!
            let sequence = indices.map { Array(probabilities[($0 * k)..<($0 * k + k)]) }
            for (row, smoothed) in zip(indices, apply(sequence)) {
                for c in 0..<k { out[row * k + c] = smoothed[c] }
            }
        }
        return out
    }

    /// The trailing mean for the newest window of a sequence that is still growing (live mode):
    /// the mean of the last `windows` rows of `history`, which ends with the newest window.
    public static func trailingMean(of history: ArraySlice<[Double]>, windows: Int) -> [Double]? {
        guard let width = history.last?.count else { return nil }
        let tail = history.suffix(max(windows, 1))
        var mean = [Double](repeating: 0, count: width)
        for r in tail { for c in 0..<width { mean[c] += r[c] } }
        return mean.map { $0 / Double(tail.count) }
    }
}

extension TreeModel {
    /// Class probabilities per row after `smoothing` (the model's own `temporal` by default),
    /// applied within each group in row order; row-major, `classCount` per row.
    public func predictProbabilities(rows: [Double], groups: [String], smoothing: TemporalSmoothing?, jobs: Int = 1) -> [Double] {
        let raw = predictProbabilities(rows: rows, jobs: jobs)
        guard let smoothing else { return raw }
        return smoothing.apply(probabilities: raw, classCount: classCount, groups: groups)
    }

    /// Predicted class index per row after `smoothing` within each group.
    public func predictClasses(rows: [Double], groups: [String], smoothing: TemporalSmoothing?, jobs: Int = 1) -> [Int] {
        let p = predictProbabilities(rows: rows, groups: groups, smoothing: smoothing, jobs: jobs)
        let k = classCount
        return (0..<(p.count / k)).map { Self.argmax(p[($0 * k)..<($0 * k + k)]) }
    }
}
