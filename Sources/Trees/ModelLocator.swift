import Foundation

/// Finds a model by path or name. Order:
/// 1. `nameOrPath` as a file path (when such a file exists, or it ends in `.json` or contains `/`);
/// 2. a model embedded in the binary under that name (`embedded`: name → its bytes, JSON or compiled;
///    a compiled one's trees are read at their first use, `TreeModel.decode(embedded:source:)`);
/// 3. `NAME.json` in the directory `$STREAMPROBE_MODELS`;
/// 4. `NAME.json` in `../share/streamprobe/models` next to the executable, then `models/` next to it.
public enum ModelLocator {
    /// Where a model was found.
    public enum Origin: Sendable, Equatable {
        case file(String)
        case embedded(String)
    }

    /// `environment` is read only when the name is neither a file nor an embedded model.
    public static func resolve(nameOrPath: String, embedded: [String: Data],
                               environment: @autoclosure () -> [String: String] = ProcessInfo.processInfo.environment,
                               executablePath: String? = CommandLine.arguments.first) throws(ModelError) -> TreeModel {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: nameOrPath, isDirectory: &isDirectory), !isDirectory.boolValue {
            return try TreeModel.load(path: nameOrPath)
        }
        if nameOrPath.hasSuffix(".json") || nameOrPath.contains("/") {
            throw ModelError(source: nameOrPath, problem: "no such file")
        }
        if let bytes = embedded[nameOrPath] {
            return try TreeModel.decode(embedded: bytes, source: "embedded:\(nameOrPath)")
        }
        let environment = environment()
        for dir in searchDirectories(environment: environment, executablePath: executablePath) {
            let path = (dir as NSString).appendingPathComponent(nameOrPath + ".json")
            if fm.fileExists(atPath: path) { return try TreeModel.load(path: path) }
        }
        let known = available(embedded: embedded, environment: environment, executablePath: executablePath).map(\.name)
        throw ModelError(source: nameOrPath, problem: "is neither a model file nor a known model name (known: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")
    }

    /// The directories searched for `NAME.json`, in order.
    public static func searchDirectories(environment: [String: String] = ProcessInfo.processInfo.environment,
                                         executablePath: String? = CommandLine.arguments.first) -> [String] {
        var dirs: [String] = []
        if let d = environment["STREAMPROBE_MODELS"], !d.isEmpty { dirs.append(d) }
        if let exe = executablePath {
            let resolved = URL(fileURLWithPath: exe).resolvingSymlinksInPath().deletingLastPathComponent()
            dirs.append(resolved.appendingPathComponent("../share/streamprobe/models").standardized.path)
            dirs.append(resolved.appendingPathComponent("models").path)
        }
        return dirs
    }

    /// Every model name reachable without a path: embedded ones first, then the search directories
    /// (a name found earlier hides later ones).
    public static func available(embedded: [String: Data],
                                 environment: [String: String] = ProcessInfo.processInfo.environment,
                                 executablePath: String? = CommandLine.arguments.first) -> [(name: String, origin: Origin)] {
        var out: [(String, Origin)] = embedded.keys.sorted().map { ($0, .embedded($0)) }
        var seen = Set(embedded.keys)
        for dir in searchDirectories(environment: environment, executablePath: executablePath) {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            for f in files.sorted() where f.hasSuffix(".json") {
                let name = String(f.dropLast(5))
                if seen.insert(name).inserted { out.append((name, .file((dir as NSString).appendingPathComponent(f)))) }
            }
        }
        return out
    }

    /// Loads a model listed by `available`.
    public static func load(_ origin: Origin, embedded: [String: Data]) throws(ModelError) -> TreeModel {
        switch origin {
        case .file(let path): return try TreeModel.load(path: path)
        case .embedded(let name):
            guard let bytes = embedded[name] else { throw ModelError(source: "embedded:\(name)", problem: "is not embedded") }
            return try TreeModel.decode(embedded: bytes, source: "embedded:\(name)")
        }
    }
}
