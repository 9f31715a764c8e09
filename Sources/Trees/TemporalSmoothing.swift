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
