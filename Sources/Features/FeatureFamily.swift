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

    /// The family's position in `allCases` (0 …).
    var ordinal: Int {
        switch self {
        case .reference: 0
        case .direction: 1
        case .context: 2
        case .shape: 3
        case .webcam: 4
        case .rhythm: 5
        }
    }

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

    public static let contextNames: [String] = ContextSlot.allCases.map(\.name)

    public static let shapeNames: [String] = ShapeSlot.allCases.map(\.name)

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
