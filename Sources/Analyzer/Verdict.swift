import Trees

/// Turns per-window class probabilities into the stream's verdict: the whole-stream prediction
/// (mean of the analysed windows' probabilities), the share of windows per class, the majority
/// class (`final`) and a note when the two disagree.
public struct StreamVerdict: Sendable, Equatable {
    public var label: String?
    public var confidence: Double?
    public var probabilities: [ClassProbability]
    public var windowShare: [ClassShare]
    public var final: String?
    public var disagreement: String?

    /// `windowProbabilities` holds one probability vector (in `classes` order) per analysed window.
    public init(classes: [String], windowProbabilities: [[Double]]) {
        let k = classes.count
        var mean = [Double](repeating: 0, count: k)
        var votes = [Int](repeating: 0, count: k)
        for p in windowProbabilities {
            for c in 0..<k { mean[c] += p[c] }
            votes[Self.argmax(p)] += 1
        }
        let n = windowProbabilities.count
        guard n > 0 else {
            label = nil; confidence = nil; final = nil; disagreement = nil
            probabilities = []; windowShare = []
            return
        }
        for c in 0..<k { mean[c] /= Double(n) }
        let best = Self.argmax(mean)
        label = classes[best]
        confidence = mean[best]
        probabilities = (0..<k).map { ClassProbability(label: classes[$0], probability: mean[$0]) }
        windowShare = (0..<k).map { ClassShare(label: classes[$0], share: Double(votes[$0]) / Double(n)) }
        // Majority of windows; a tie goes to the class with the higher mean probability.
        var major = 0
        for c in 1..<max(k, 1) where votes[c] > votes[major] || (votes[c] == votes[major] && mean[c] > mean[major]) {
            major = c
        }
        final = classes[major]
        disagreement = major == best ? nil
            : "the whole-stream prediction (\(classes[best])) and the majority of windows (\(classes[major]), \(votes[major]) of \(n)) disagree"
    }

    /// The first index of the largest value (the one argmax of the project: `TreeModel.argmax`).
    static func argmax(_ v: [Double]) -> Int { TreeModel.argmax(v) }
}
