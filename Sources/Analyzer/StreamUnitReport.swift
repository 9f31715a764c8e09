import Foundation
import Trees

/// A unit's report: its windows (after the model's temporal smoothing), their verdict, and the answer.
extension StreamUnit {
    /// The classified windows' probabilities after the model's temporal smoothing, applied to each
    /// session's windows in time order (unchanged without smoothing); the windows' classes and
    /// confidences are rewritten from them, so the evolution, the share and the majority all
    /// follow the smoothed answers.
    func smoothedProbabilities(windows reports: inout [WindowReport]) -> [[Double]] {
        guard let model, let t = model.temporal, t.windows > 1, !probabilities.isEmpty else { return probabilities }
        var out = probabilities
        var start = 0
        while start < probabilities.count {
            var end = start
            while end < probabilities.count && classifiedSession[end] == classifiedSession[start] { end += 1 }
            let smoothed = t.apply(Array(probabilities[start..<end]))
            for (offset, p) in smoothed.enumerated() { out[start + offset] = p }
            start = end
        }
        for (i, p) in out.enumerated() {
            let best = StreamVerdict.argmax(p)
            reports[classifiedWindow[i]].label = model.classes[best]
            reports[classifiedWindow[i]].confidence = p[best]
            reports[classifiedWindow[i]].probabilities = p
        }
        return out
    }

    /// The unit's report. The windows give the verdict (the mean of their probabilities and the
    /// majority); the answer is the stream stage's judgement of the session that carried the most
    /// download, none when a stream stage found no session to judge, or else the window model's own
    /// decision rule on the verdict.
    func report(classes: [String]) -> StreamReport {
        var windows = self.windows
        let probabilities = smoothedProbabilities(windows: &windows)
        let verdict = StreamVerdict(classes: classes, windowProbabilities: probabilities)
        var r = windowsReport(windows, verdict: verdict)
        if let best = judgedSessionWithMostDownload, let j = sessionJudgements[best] {
            answer(&r, with: j, session: best, classifiedWindows: probabilities.count)
        } else if model?.streamModel != nil {
            withholdAnswer(&r)
        } else if let model, let label = verdict.label,
                  let j = StreamJudge.judge(verdict.probabilities.map(\.probability), model: model, selectedByName: selectedByName),
                  j.label == label {
            // No stream stage: the window model's own decision rule (calibration, between) if it has one.
            r.confidence = j.confidence
            r.rawConfidence = j.rawConfidence
            r.alternatives = j.alternatives
        }
        // Plays are an audio stream's: none for what the model calls something else.
        if r.looksLike != nil || r.label == "not_audio" || (r.label == nil && r.plays?.isEmpty == true) { r.plays = nil }
        return r
    }

    /// The report as the windows give it: the unit's flows, counts, sessions and plays, with the
    /// windows' verdict as the answer.
    private func windowsReport(_ windows: [WindowReport], verdict: StreamVerdict) -> StreamReport {
        var r = StreamReport(
            client: label, selection: selection,
            flows: flowNames.sorted { $0.key < $1.key }.map(\.value),
            packets: packets, downloadBytes: downloadBytes, uploadBytes: uploadBytes,
            durationSeconds: firstTime.map { lastTime - $0 } ?? 0,
            label: verdict.label, confidence: verdict.confidence, probabilities: verdict.probabilities,
            windows: windows, windowShare: verdict.windowShare, final: verdict.final, disagreement: verdict.disagreement)
        r.sessions = sessions
        r.plays = plays.plays
        r.flowsNotListed = unlistedFlows > 0 ? unlistedFlows : nil
        r.basis = verdict.label == nil ? nil : "windows"
        return r
    }

    /// The session the stream stage judged that carried the most download (the first of equals).
    private var judgedSessionWithMostDownload: Int? {
        var best: Int?
        for (i, j) in sessionJudgements.enumerated() where j != nil {
            if best == nil || sessions[i].downloadBytes > sessions[best!].downloadBytes { best = i }
        }
        return best
    }

    /// The stream stage's judgement `j` of session `best` becomes the answer. A stream that does not
    /// look like what the model is about keeps no window classes; a majority of the windows that
    /// differs from the answer is explained.
    private func answer(_ r: inout StreamReport, with j: Judgement, session best: Int, classifiedWindows: Int) {
        r.label = j.label
        r.confidence = j.confidence
        r.rawConfidence = j.rawConfidence
        r.alternatives = j.alternatives
        r.looksLike = j.looksLike
        r.probabilities = j.probabilities
        r.basis = "stream"
        let from = sessions.count > 1 ? " (session \(best + 1) of \(sessions.count), the one with the most download)" : ""
        if j.looksLike != nil {
            // Not what the model is about: no window claims a class of it.
            for i in r.windows.indices where r.windows[i].label != nil {
                r.windows[i].label = nil; r.windows[i].confidence = nil; r.windows[i].probabilities = nil
            }
            r.windowShare = []
            r.final = j.label
            r.disagreement = "the windows are not classified: the stream does not look like what the model is about\(from)"
        } else if let final = r.final, final != j.label {
            let share: Double = r.windowShare.first { $0.label == final }?.share ?? 0
            let votes = Int((share * Double(classifiedWindows)).rounded())
            r.disagreement = "the majority of \(TextReport.trim(plan.config.window)) s windows (\(final), \(votes) of \(classifiedWindows)) "
                + "differs from the answer (\(j.text)), which judges the whole session\(from): fetch sizes and the time between "
                + "fetches, which a single window cannot see"
        } else {
            r.disagreement = nil
        }
    }

    /// A stream stage exists but no session was long enough for it: no answer rather than a guess,
    /// and a note saying why (too sparse, or too short).
    private func withholdAnswer(_ r: inout StreamReport) {
        let longest = sessions.map { $0.end - $0.start }.max() ?? 0
        r.label = nil
        r.confidence = nil
        r.rawConfidence = nil
        r.probabilities = []
        r.basis = nil
        if longest >= Self.minimumJudgedSession {
            r.note = "too sparse to judge: no window of a session of \(Int(Self.minimumJudgedSession)) s or more had "
                + "\(max(plan.config.minPackets, 1)) packets of the stream, the fewest a window is classified on"
        } else {
            r.note = "too short to judge: the longest session lasts \(String(format: "%.1f", longest)) s; the answer needs "
                + "\(Int(Self.minimumJudgedSession)) s of the stream"
        }
    }
}
