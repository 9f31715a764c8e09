import Foundation

/// What `analyze` found in one capture: the capture summary and one result per analysed stream.
/// The same value renders as text, JSON (one document per capture) and the `-q` one-liner.
public struct CaptureReport: Codable, Sendable {
    /// The version of this JSON layout (docs/json.md, docs/schema/analyze.schema.json).
    public static let schemaVersion = 2
    public var schemaVersion = CaptureReport.schemaVersion
    public var capture: String
    /// The capture's first packet, seconds since the epoch (window times are relative to it).
    public var startEpoch: Double?
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
    /// `report` in live JSON Lines, where `window` lines come first; absent otherwise.
    public var type: String?
    /// Live capture only: the interface, where the capture was saved, when it started.
    public var live: LiveInfo?

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", capture, startEpoch = "start_epoch"
        case packets, bytes, durationSeconds = "duration_s", flows, linkType = "link_type", model, streams, note, warnings
        case type, live
    }

    public init(capture: String, packets: Int, bytes: Int, durationSeconds: Double, flows: Int, linkType: String,
                model: ModelSummary, streams: [StreamReport], note: String?, warnings: [String], startEpoch: Double? = nil) {
        self.startEpoch = startEpoch
        self.capture = capture; self.packets = packets; self.bytes = bytes; self.durationSeconds = durationSeconds
        self.flows = flows; self.linkType = linkType; self.model = model; self.streams = streams; self.note = note
        self.warnings = warnings
    }
}

/// Where and when a live capture ran.
public struct LiveInfo: Codable, Sendable {
    public var interface: String
    public var savedTo: String
    public var startEpoch: Double
    public var requestedDurationSeconds: Double
    enum CodingKeys: String, CodingKey {
        case interface, savedTo = "saved_to", startEpoch = "start_epoch", requestedDurationSeconds = "requested_duration_s"
    }
}

/// One completed window as a live JSON Lines record (`"type": "window"`), printed as it happens.
public struct LiveWindowLine: Encodable, Sendable {
    public var type = "window"
    public var client: String
    public var window: WindowReport
    public var startEpoch: Double
    public var endEpoch: Double
    enum CodingKeys: String, CodingKey { case type, client, window, startEpoch = "start_epoch", endEpoch = "end_epoch" }
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

/// A class's share of a stream's classified windows (0…1).
public struct ClassShare: Codable, Sendable, Equatable {
    public var label: String
    public var share: Double
    enum CodingKeys: String, CodingKey { case label = "class", share }
    public init(label: String, share: Double) { self.label = label; self.share = share }
}

/// One of a stream's flows, as the report lists it.
public struct StreamFlow: Codable, Sendable, Equatable {
    public var proto: String
    public var client: String
    public var clientPort: Int
    public var server: String
    public var serverPort: Int
    public var service: String?
    /// Bytes each way over the flow's whole life (frame lengths on the wire).
    public var bytesToServer: Int
    public var bytesToClient: Int
    enum CodingKeys: String, CodingKey {
        case proto = "protocol", client, clientPort = "client_port", server, serverPort = "server_port", service
        case bytesToServer = "bytes_to_server", bytesToClient = "bytes_to_client"
    }
    public init(proto: String, client: String, clientPort: Int, server: String, serverPort: Int, service: String?,
                bytesToServer: Int, bytesToClient: Int) {
        self.proto = proto; self.client = client; self.clientPort = clientPort; self.server = server
        self.serverPort = serverPort; self.service = service; self.bytesToServer = bytesToServer; self.bytesToClient = bytesToClient
    }
}

extension CodingUserInfoKey {
    /// The model's classes, so window probabilities encode as `{class, probability}` objects.
    public static let streamprobeClasses = CodingUserInfoKey(rawValue: "streamprobe.classes")!
}

public struct WindowReport: Codable, Sendable {
    public var index: Int
    /// Seconds from the start of the capture.
    public var start: Double
    public var end: Double
    /// The same times since the epoch.
    public var startEpoch: Double = 0
    public var endEpoch: Double = 0
    public var packets: Int
    public var skipped: Bool
    /// Too few packets of the stream to say anything (a pause, a gap, the silence after a fetch):
    /// not classified, never votes.
    public var idle: Bool
    public var label: String?
    public var confidence: Double?
    /// In the model's class order (JSON: `{class, probability}` objects, as everywhere).
    public var probabilities: [Double]?
    /// How many windows the entry stands for: 1, or a run of consecutive windows without a
    /// packet of the stream (indices `index ..< index + windowCount`, from the first one's start
    /// to the last one's end), kept as one entry so that a long silence costs one entry.
    public var windowCount = 1
    enum CodingKeys: String, CodingKey {
        case index = "window_index", start = "start_s", end = "end_s", startEpoch = "start_epoch", endEpoch = "end_epoch"
        case windowCount = "window_count", packets, skipped, idle, label = "class", confidence, probabilities
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(start, forKey: .start)
        try c.encode(end, forKey: .end)
        try c.encode(startEpoch, forKey: .startEpoch)
        try c.encode(endEpoch, forKey: .endEpoch)
        try c.encode(windowCount, forKey: .windowCount)
        try c.encode(packets, forKey: .packets)
        try c.encode(skipped, forKey: .skipped)
        try c.encode(idle, forKey: .idle)
        try c.encodeIfPresent(label, forKey: .label)
        try c.encodeIfPresent(confidence, forKey: .confidence)
        if let probabilities {
            let classes = encoder.userInfo[.streamprobeClasses] as? [String] ?? probabilities.indices.map { String($0) }
            try c.encode(zip(classes, probabilities).map { ClassProbability(label: $0, probability: $1) }, forKey: .probabilities)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        index = try c.decode(Int.self, forKey: .index)
        start = try c.decode(Double.self, forKey: .start)
        end = try c.decode(Double.self, forKey: .end)
        startEpoch = try c.decodeIfPresent(Double.self, forKey: .startEpoch) ?? 0
        endEpoch = try c.decodeIfPresent(Double.self, forKey: .endEpoch) ?? 0
        windowCount = try c.decodeIfPresent(Int.self, forKey: .windowCount) ?? 1
        packets = try c.decode(Int.self, forKey: .packets)
        skipped = try c.decode(Bool.self, forKey: .skipped)
        idle = try c.decodeIfPresent(Bool.self, forKey: .idle) ?? false
        label = try c.decodeIfPresent(String.self, forKey: .label)
        confidence = try c.decodeIfPresent(Double.self, forKey: .confidence)
        probabilities = try c.decodeIfPresent([ClassProbability].self, forKey: .probabilities)?.map(\.probability)
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
    public var flows: [StreamFlow]
    /// Flows of the stream beyond the 1,000 listed (a scan inside `--scope all`), counted only.
    public var flowsNotListed: Int?
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
    public var windowShare: [ClassShare]
    /// The majority class of the analysed windows (ties go to the higher mean probability).
    public var final: String?
    /// Set when the whole-stream prediction and the majority of windows disagree.
    public var disagreement: String?
    /// Why the stream has no answer, when it has none (e.g. too short to judge).
    public var note: String?
    /// Audio: the plays (tracks) estimated from the stream's fetches (docs/plays.md); nil for other streams.
    public var plays: [PlayReport]?

    enum CodingKeys: String, CodingKey {
        case client, selection, flows, flowsNotListed = "flows_not_listed", packets, downloadBytes = "download_bytes", uploadBytes = "upload_bytes"
        case durationSeconds = "duration_s", label = "class", confidence, rawConfidence = "raw_confidence", alternatives
        case looksLike = "looks_like", basis, probabilities, sessions, windows
        case windowShare = "window_share", final, disagreement, note, plays
    }

    public init(client: String, selection: String, flows: [StreamFlow], packets: Int, downloadBytes: Int, uploadBytes: Int,
                durationSeconds: Double, label: String?, confidence: Double?, probabilities: [ClassProbability],
                windows: [WindowReport], windowShare: [ClassShare], final: String?, disagreement: String?) {
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
