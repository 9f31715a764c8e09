/// A group of features computed together from the same packets.
public enum FeatureFamily: String, Sendable, Hashable, CaseIterable {
    /// The reference analyzer's 37 window features (the compatibility baseline; docs/features.md).
    case reference
    /// Per-direction bytes, packets, mean sizes and their ratios, per window.
    case direction
    /// Longer-horizon download context: bursts, silences, bytes per wall-clock second.
    case context
    /// Live-vs-VOD shape of the download over a long horizon (100 ms bins, per-second series).
    case shape
    /// The 12 webcam-presence window features of the "Spy your mate" table.
    case webcam
    /// Timing structure of the download over the live-vs-VOD horizon: idle share, gaps, bursts, their rhythm and period.
    case rhythm

    /// The family's features, in the order the family computes them.
    public var featureNames: [String] {
        switch self {
        case .reference: return Self.referenceNames
        case .direction: return Self.directionNames
        case .context: return Self.contextNames
        case .shape: return Self.shapeNames
        case .webcam: return Self.webcamNames
        case .rhythm: return Self.rhythmNames
        }
    }

    public static let referenceNames: [String] = ReferenceSlot.allCases.map(\.name)

    public static let directionNames: [String] = DirectionSlot.allCases.map(\.name)

    public static let contextNames: [String] = [
        "ctx_seconds", "ctx_down_bytes", "ctx_down_bytes_per_second", "ctx_up_bytes_per_second",
        "unit_seconds", "unit_down_bytes_per_second", "ctx_burst_count", "ctx_burst_mean_bytes",
        "ctx_burst_max_bytes", "ctx_burst_mean_duration", "ctx_burst_throughput", "ctx_silence_mean",
        "ctx_silence_max", "ctx_silence_current", "ctx_duty_cycle", "ctx_last_burst_bytes",
        "ctx_cycle_bytes_per_second",
    ]

    public static let shapeNames: [String] = [
        "lv_seconds", "lv_down_bytes_per_second", "lv_idle_bin_share", "lv_peak_count", "lv_peak_gap_mean",
        "lv_duty_cycle", "lv_cv_second_bytes", "lv_idle_bin_share_pkts", "lv_peak_count_pkts",
        "lv_peak_gap_mean_pkts", "lv_duty_cycle_pkts", "lv_cv_second_pkts",
    ]

    public static let rhythmNames: [String] = RhythmSlot.allCases.map(\.name)

    /// Column names exactly as in the webcam-presence CSVs.
    public static let webcamNames: [String] = WebcamSlot.allCases.map(\.name)

    /// Where each known feature lives: name → (family, slot in the family's vector).
    static let index: [String: FeatureID] = {
        var map: [String: FeatureID] = [:]
        for family in FeatureFamily.allCases {
            for (slot, name) in family.featureNames.enumerated() {
                map[name] = FeatureID(family: family, slot: slot)
            }
        }
        return map
    }()
}

/// One computable feature: its family and its position in the family's vector.
struct FeatureID: Sendable, Hashable {
    var family: FeatureFamily
    var slot: Int
}
