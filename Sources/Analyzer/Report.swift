import Foundation

/// What `analyze` found in one capture: the capture summary and one result per analysed stream.
/// The same value renders as text, JSON (one document per capture) and the `-q` one-liner.
public struct CaptureReport: Codable, Sendable {
    public var capture: String
    public var packets: Int
    public var bytes: Int
    public var durationSeconds: Double
    public var flows: Int
    public var linkType: String
    public var model: ModelSummary
    public var streams: [StreamReport]
    /// Why no stream was analysed, when `streams` is empty (e.g. "no audio stream found: …").
    public var note: String?
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case capture, packets, bytes, durationSeconds = "duration_s", flows, linkType = "link_type", model, streams, note, warnings
    }

    public init(capture: String, packets: Int, bytes: Int, durationSeconds: Double, flows: Int, linkType: String,
                model: ModelSummary, streams: [StreamReport], note: String?, warnings: [String]) {
        self.capture = capture; self.packets = packets; self.bytes = bytes; self.durationSeconds = durationSeconds
        self.flows = flows; self.linkType = linkType; self.model = model; self.streams = streams; self.note = note
        self.warnings = warnings
    }
}

public struct ModelSummary: Codable, Sendable {
    public var name: String
    public var classes: [String]
    public var featureSet: String
    public var windowSeconds: Double
    /// The model's own description (what its classes mean, e.g. `1 = a person in front of the camera`).
    public var description: String?
    /// How window answers are combined over time, when the model says so (`moving mean over 21 windows (centred)`).
    public var temporal: String?
    enum CodingKeys: String, CodingKey {
        case name, classes, featureSet = "feature_set", windowSeconds = "window_s", description, temporal
    }
    public init(name: String, classes: [String], featureSet: String, windowSeconds: Double, description: String? = nil,
                temporal: String? = nil) {
        self.name = name; self.classes = classes; self.featureSet = featureSet; self.windowSeconds = windowSeconds
        self.description = description; self.temporal = temporal
    }
}

public struct ClassProbability: Codable, Sendable, Equatable {
    public var label: String
    public var probability: Double
    enum CodingKeys: String, CodingKey { case label = "class", probability }
    public init(label: String, probability: Double) { self.label = label; self.probability = probability }
}

public struct WindowReport: Codable, Sendable {
    public var index: Int
    /// Seconds from the start of the capture.
    public var start: Double
    public var end: Double
    public var packets: Int
    public var skipped: Bool
    /// Too few packets of the stream to say anything (a pause, a gap, the silence after a fetch):
    /// not classified, never votes.
    public var idle: Bool
    public var label: String?
    public var confidence: Double?
    public var probabilities: [Double]?
    enum CodingKeys: String, CodingKey {
        case index, start = "start_s", end = "end_s", packets, skipped, idle, label = "class", confidence, probabilities
    }
    public init(index: Int, start: Double, end: Double, packets: Int, skipped: Bool, idle: Bool = false, label: String?,
                confidence: Double?, probabilities: [Double]?) {
        self.index = index; self.start = start; self.end = end; self.packets = packets; self.skipped = skipped
        self.idle = idle; self.label = label; self.confidence = confidence; self.probabilities = probabilities
    }
}

public struct StreamReport: Codable, Sendable {
    public var client: String
    /// What was selected and why, in one sentence.
    public var selection: String
    public var flows: [String]
    public var packets: Int
    public var downloadBytes: Int
    public var uploadBytes: Int
    public var durationSeconds: Double
    /// The answer: a class of the model (a tier), or a group of classes (`not_audio`); from the
    /// stream stage of the model when it has one (whole-session features), else the mean of the
    /// analysed windows' probabilities.
    public var label: String?
    /// Calibrated probability that `label` is right.
    public var confidence: Double?
    /// The top probability before calibration (for fitting and checking the calibration).
    public var rawConfidence: Double?
    /// Non-empty when no outcome is confident enough: the candidates, most probable first.
    public var alternatives: [ClassProbability]
    /// For `not_audio`: what the stream looks like (`video`, `call`, `download`, `browsing`).
    public var looksLike: String?
    /// `stream` (whole-session features and the model's stream stage) or `windows` (mean of windows).
    public var basis: String?
    public var probabilities: [ClassProbability]
    /// The stream's sessions: a silence longer than the session gap starts a new one.
    public var sessions: [SessionReport]
    public var windows: [WindowReport]
    /// Share of analysed windows per class, in class order.
    public var windowShare: [ClassProbability]
    /// The majority class of the analysed windows (ties go to the higher mean probability).
    public var final: String?
    /// Set when the whole-stream prediction and the majority of windows disagree.
    public var disagreement: String?
    /// Why the stream has no answer, when it has none (e.g. too short to judge).
    public var note: String?
    /// Audio: the plays (tracks) estimated from the stream's fetches (docs/plays.md); nil for other streams.
    public var plays: [PlayReport]?

    enum CodingKeys: String, CodingKey {
        case client, selection, flows, packets, downloadBytes = "download_bytes", uploadBytes = "upload_bytes"
        case durationSeconds = "duration_s", label = "class", confidence, rawConfidence = "raw_confidence", alternatives
        case looksLike = "looks_like", basis, probabilities, sessions, windows
        case windowShare = "window_share", final, disagreement, note, plays
    }

    public init(client: String, selection: String, flows: [String], packets: Int, downloadBytes: Int, uploadBytes: Int,
                durationSeconds: Double, label: String?, confidence: Double?, probabilities: [ClassProbability],
                windows: [WindowReport], windowShare: [ClassProbability], final: String?, disagreement: String?) {
        self.client = client; self.selection = selection; self.flows = flows; self.packets = packets
        self.downloadBytes = downloadBytes; self.uploadBytes = uploadBytes; self.durationSeconds = durationSeconds
        self.label = label; self.confidence = confidence; self.probabilities = probabilities; self.windows = windows
        self.windowShare = windowShare; self.final = final; self.disagreement = disagreement
        self.rawConfidence = confidence; self.alternatives = []; self.sessions = []
    }

    /// `high`, `normal or high` (between), `not_audio (looks like video)`; nil when unclassified.
    public var answerText: String? {
        guard let label else { return nil }
        if !alternatives.isEmpty { return alternatives.map(\.label).joined(separator: " or ") }
        return looksLike.map { "\(label) (looks like \($0))" } ?? label
    }
}

/// One session of a stream: the packets between two silences longer than the session gap.
public struct SessionReport: Codable, Sendable {
    public var index: Int
    /// Seconds from the start of the capture.
    public var start: Double
    public var end: Double
    public var packets: Int
    public var downloadBytes: Int
    public var label: String?
    public var confidence: Double?
    public var alternatives: [ClassProbability]
    public var looksLike: String?
    enum CodingKeys: String, CodingKey {
        case index, start = "start_s", end = "end_s", packets, downloadBytes = "download_bytes", label = "class", confidence
        case alternatives, looksLike = "looks_like"
    }
}
