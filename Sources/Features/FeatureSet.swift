/// A named, versioned, ordered list of features, with the window settings it is meant for.
///
/// A model names its feature set and its ordered features; `resolve(names:)` turns such a
/// list into a set the extractor computes, or fails naming the first unknown feature.
public struct FeatureSet: Sendable, Hashable {
    /// E.g. "reference-v1"; "custom" for a set made from a list of names.
    public var name: String
    /// Feature names, in the order of `WindowResult.values`.
    public let featureNames: [String]
    /// The window settings the set was defined with (a caller may override them).
    public var defaultConfig: WindowConfig
    let ids: [FeatureID]

    /// The families the set needs, in `FeatureFamily.allCases` order.
    public var families: [FeatureFamily] {
        FeatureFamily.allCases.filter { family in ids.contains { $0.family == family } }
    }

    init(name: String, names: [String], defaultConfig: WindowConfig) throws(FeatureError) {
        guard !names.isEmpty else { throw .emptyFeatureList }
        var seen = Set<String>()
        var ids: [FeatureID] = []
        ids.reserveCapacity(names.count)
        for feature in names {
            guard let id = FeatureFamily.index[feature] else { throw .unknownFeature(feature) }
            guard seen.insert(feature).inserted else { throw .duplicateFeature(feature) }
            ids.append(id)
        }
        self.name = name
        self.featureNames = names
        self.defaultConfig = defaultConfig
        self.ids = ids
    }

    /// A set of exactly these features, in this order (e.g. the list a model file carries).
    /// Fails with `.unknownFeature(name)` for the first feature the engine cannot compute.
    public static func resolve(names: [String], config: WindowConfig = .reference) throws(FeatureError) -> FeatureSet {
        try FeatureSet(name: "custom", names: names, defaultConfig: config)
    }

    /// A built-in set by name ("reference-v1", …); the name without "-v1" means its latest version.
    public static func named(_ name: String) throws(FeatureError) -> FeatureSet {
        let key = name.lowercased()
        if let exact = builtIn.first(where: { $0.name == key }) { return exact }
        // Without a version: the latest (built-in sets are listed oldest first).
        if let latest = builtIn.last(where: { $0.name.hasPrefix(key + "-v") }) { return latest }
        throw .unknownFeatureSet(name)
    }

    /// Names of the built-in sets.
    public static var knownNames: [String] { builtIn.map(\.name) }

    /// The 37 reference features, reference window settings.
    public static let referenceV1 = builtInSet("reference-v1", FeatureFamily.referenceNames, .reference)
    /// Per-direction features on reference windows.
    public static let directionV1 = builtInSet("direction-v1", FeatureFamily.directionNames, .reference)
    /// Reference + direction + context: what the default quality model uses. Reference windows,
    /// except that quiet windows (fewer than 15 packets) are judged from their context (NaN per-window features).
    public static let streamV1 = builtInSet(
        "stream-v1", FeatureFamily.referenceNames + FeatureFamily.directionNames + FeatureFamily.contextNames,
        WindowConfig(quietWindows: true))
    /// Live-vs-VOD shape features plus direction features, one row per 30 s, 60 s look-back.
    public static let livevodV1 = builtInSet(
        "livevod-v1", FeatureFamily.shapeNames + FeatureFamily.directionNames,
        WindowConfig(window: 30, minPackets: 15, shapeSeconds: 60))
    /// Live-vs-VOD timing structure only (the rhythm family: no sizes, no byte rates), one row per 30 s, 60 s look-back;
    /// quiet windows are judged too (a full VOD buffer can leave a 30 s window with few packets).
    public static let livevodV2 = builtInSet(
        "livevod-v2", FeatureFamily.rhythmNames,
        WindowConfig(window: 30, minPackets: 15, quietWindows: true, shapeSeconds: 60))
    /// The 12 webcam-presence features on 0.5 s windows.
    public static let webcamV1 = builtInSet("webcam-v1", FeatureFamily.webcamNames, .webcam)

    /// Every built-in set.
    public static let builtIn: [FeatureSet] = [referenceV1, directionV1, streamV1, livevodV1, livevodV2, webcamV1]

    private static func builtInSet(_ name: String, _ names: [String], _ config: WindowConfig) -> FeatureSet {
        do {
            return try FeatureSet(name: name, names: names, defaultConfig: config)
        } catch {
            preconditionFailure("built-in feature set \(name) is inconsistent: \(error)")
        }
    }
}
