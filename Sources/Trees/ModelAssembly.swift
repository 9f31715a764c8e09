import Foundation

/// The parts of a model file that `streamprobe train` adds to a trained forest from files the user
/// gives it, so that a training script never edits a model file itself:
/// - a decision rule (`--decision FILE`): class groups, classes never answered for a named stream,
///   a calibration map and the "between" threshold, as `DecisionRule` documents them;
/// - card members (`--card-file FILE`): every member of a JSON object, set in the card (replacing a
///   member of the same name, else appended), in the file's order;
/// - a host model (`--stage-of MODEL`): the trained forest becomes its whole-session stage
///   (`stream_model`), the host's own forest and settings kept as they are.
public enum ModelAssembly {
    /// A JSON document read with its members in the file's order (the card is written in that order).
    public static func readJSON(path: String) throws(ModelError) -> JSONValue {
        ModelReader.jsonValue(try document(path: path))
    }

    /// The parsed document in `path`, by the model files' own reader.
    static func document(path: String) throws(ModelError) -> ModelReader.Value {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ModelError(source: path, problem: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        if data.isEmpty { throw ModelError(source: path, problem: "is empty") }
        return try ModelReader.parse(data, source: path)
    }

    /// The decision rule in a JSON file: the object a model file holds as `decision` (`version`, `groups`,
    /// `named_excludes`, `calibration`, `between_below`), read and checked against `classes` as a model
    /// file's is. Other members (e.g. the `report` that scripts/fit_calibration.py writes beside the map)
    /// are not part of the rule.
    public static func decisionRule(path: String, classes: [String]) throws(ModelError) -> DecisionRule {
        let root = try document(path: path)
        guard case .object = root else { throw ModelError(source: path, problem: "is not a JSON object") }
        let fields = ModelReader.Fields(members: .object([("decision", root)]), path: "", source: path)
        guard let rule = try fields.decoded("decision", DecisionRule.self) else { throw ModelError(source: path, problem: "is not a decision rule") }
        try rule.validate(classes: classes, source: path)
        return rule
    }

    /// The members of the JSON object in `path` (card members, in the file's order).
    public static func cardMembers(path: String) throws(ModelError) -> [(String, JSONValue)] {
        guard case .object(let members) = try readJSON(path: path) else {
            throw ModelError(source: path, problem: "is not a JSON object (card members)")
        }
        return members
    }

    /// `card` with each of `members` set (replaced in place, or appended).
    public static func card(_ card: JSONValue, setting members: [(String, JSONValue)]) -> JSONValue {
        members.reduce(card) { $0.setting($1.0, $1.1) }
    }

    /// `host` with `stage` as its whole-session stage: the stage's own window is dropped (it judges
    /// sessions, cut by the host's window settings), an earlier stage is replaced.
    public static func stage(_ stage: TreeModel, into host: TreeModel) -> TreeModel {
        var stage = stage
        stage.window = nil
        var out = host
        out.streamModel = NestedModel(stage)
        return out
    }
}
