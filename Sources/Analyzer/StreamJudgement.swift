import Features
import Trees

/// The answer for a stream or one of its sessions: the outcome (a class of the model, or a group
/// such as `not_audio`), the calibrated probability that it is right, and, when no outcome is
/// confident enough, the candidates it is between.
public struct Judgement: Sendable, Equatable {
    public var label: String
    /// Calibrated probability that `label` is right (the model's own probability when it has no calibration).
    public var confidence: Double
    /// The top outcome's probability before calibration.
    public var rawConfidence: Double
    /// Every outcome's probability, in outcome order; the top one is `confidence`, the others
    /// share the rest in the model's proportions.
    public var probabilities: [ClassProbability]
    /// Non-empty when the answer is "between": the candidates, most probable first.
    public var alternatives: [ClassProbability]
    /// For a group outcome (`not_audio`), its most probable member (`video`, `call`, …).
    public var looksLike: String?

    public var isBetween: Bool { !alternatives.isEmpty }

    /// `high`, or `normal or high` when between.
    public var text: String { isBetween ? alternatives.map(\.label).joined(separator: " or ") : label }
}

enum StreamJudge {
    /// Judges class probabilities `p` (in `model.classes` order) with the model's decision rule.
    /// `selectedByName`: the unit was selected by one of the model's service names.
    static func judge(_ p: [Double], model: TreeModel, selectedByName: Bool) -> Judgement? {
        let classes = model.classes
        guard p.count == classes.count, p.allSatisfy({ $0.isFinite }) else { return nil }
        let rule = model.decision ?? DecisionRule()
        var q = p
        if selectedByName, let excluded = rule.namedExcludes, !excluded.isEmpty {
            for (i, c) in classes.enumerated() where excluded.contains(c) { q[i] = 0 }
            let sum = q.reduce(0, +)
            q = sum > 0 ? q.map { $0 / sum } : p
        }
        let groups = rule.groups ?? [:]
        let outcomes = rule.outcomes(classes: classes)
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let raw: [Double] = outcomes.map { o in
            if let members = groups[o] { return members.reduce(0) { $0 + q[index[$1]!] } }
            return q[index[o]!]
        }
        var top = 0
        for i in raw.indices where raw[i] > raw[top] { top = i }
        let rawTop = raw[top]
        let confidence = min(1, max(0, rule.calibration?.apply(rawTop) ?? rawTop))
        // The other outcomes share what calibration left, in the model's proportions.
        let rest = 1 - rawTop
        let calibrated = raw.indices.map { i in
            i == top ? confidence : (rest > 0 ? raw[i] * (1 - confidence) / rest : 0)
        }
        let probabilities = outcomes.indices.map { ClassProbability(label: outcomes[$0], probability: calibrated[$0]) }
        var looksLike: String?
        if let members = groups[outcomes[top]] {
            looksLike = members.max { q[index[$0]!] < q[index[$1]!] || (q[index[$0]!] == q[index[$1]!] && $0 > $1) }
        }
        var alternatives: [ClassProbability] = []
        if let threshold = rule.betweenBelow, confidence < threshold {
            // The most probable outcomes until they hold 80 % (at most three).
            let ranked = probabilities.sorted { $0.probability != $1.probability ? $0.probability > $1.probability : $0.label < $1.label }
            var held = 0.0
            for c in ranked where alternatives.count < 3 && (alternatives.count < 2 || held < 0.8) {
                alternatives.append(c)
                held += c.probability
            }
        }
        return Judgement(label: outcomes[top], confidence: confidence, rawConfidence: rawTop, probabilities: probabilities,
                         alternatives: alternatives, looksLike: looksLike)
    }
}
