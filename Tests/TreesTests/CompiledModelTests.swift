import Foundation
import SplitMix
import XCTest
@testable import Trees

/// The compiled form of a model (`CompiledModel`) is its JSON document in binary: it decodes to the
/// same document bit for bit, hence to the same model and the same probabilities; damaged bytes are
/// refused with a message; models/compiled/ holds exactly the compiled forms of models/*.json.
final class CompiledModelTests: XCTestCase {
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
    static var modelsDirectory: URL { repository.appendingPathComponent("models") }
    static var compiledDirectory: URL { modelsDirectory.appendingPathComponent("compiled") }

    static func modelNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: modelsDirectory.path).filter { $0.hasSuffix(".json") }
            .map { String($0.dropLast(5)) }.sorted()
    }

    /// models/compiled/NAME.spmodel is what compiling models/NAME.json gives today, for every model
    /// and nothing else. `scripts/compile-models.sh` runs this test with STREAMPROBE_COMPILE_MODELS=1,
    /// which writes the files instead of comparing them.
    func testCompiledFilesMatchTheModels() throws {
        let write = ProcessInfo.processInfo.environment["STREAMPROBE_COMPILE_MODELS"] == "1"
        let names = try Self.modelNames()
        XCTAssertFalse(names.isEmpty)
        if write { try FileManager.default.createDirectory(at: Self.compiledDirectory, withIntermediateDirectories: true) }
        for name in names {
            let json = try Data(contentsOf: Self.modelsDirectory.appendingPathComponent("\(name).json"))
            let compiled = try CompiledModel.compile(json: json, source: "\(name).json")
            let url = Self.compiledDirectory.appendingPathComponent("\(name).spmodel")
            if write {
                try compiled.write(to: url)
                continue
            }
            let committed = try Data(contentsOf: url)
            let recorded = try XCTUnwrap(CompiledModel.source(of: committed), name)
            XCTAssertEqual(recorded.length, json.count, "\(name).spmodel was compiled from another \(name).json: run scripts/compile-models.sh")
            XCTAssertEqual(recorded.hash, CompiledModel.fnv1a(json), "\(name).spmodel was compiled from another \(name).json: run scripts/compile-models.sh")
            XCTAssertTrue(committed == compiled, "\(name).spmodel differs from the compiled \(name).json: run scripts/compile-models.sh")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.compiledDirectory.path)
        XCTAssertEqual(Set(files), Set(names.map { "\($0).spmodel" }), "models/compiled/ holds one .spmodel per models/*.json")
    }

    /// Every model in models/ and every parity fixture: the compiled form decodes to the document the
    /// JSON parser reads (numbers compared bit for bit), to an equal model, and to the same
    /// probabilities (bit for bit) on rows that reach every side of the splits, NaN included.
    func testCompiledModelsDecodeToTheirJSONModels() throws {
        var files = try Self.modelNames().map { Self.modelsDirectory.appendingPathComponent("\($0).json") }
        files += ["dt_4class_nan", "rf_4class_scaled", "xgb_4class", "xgb_binary"].map { Fixtures.url("parity/\($0).model.json") }
        for url in files {
            let name = url.lastPathComponent
            let json = try Data(contentsOf: url)
            let compiled = try CompiledModel.compile(json: json, source: name)
            XCTAssertTrue(CompiledModel.isCompiled(compiled))
            XCTAssertFalse(CompiledModel.isCompiled(json))
            XCTAssertLessThan(compiled.count, json.count, name)
            let document = try CompiledModel.document(compiled, source: name)
            XCTAssertTrue(Self.identical(document, try ModelReader.parse(json, source: name)), "\(name): documents differ")
            let a = try TreeModel.decode(json: json, source: name)
            let b = try TreeModel.decode(compiled: compiled, source: name)
            Self.assertSameModel(a, b, name)
            let c = try TreeModel.decode(bytes: compiled, source: name)
            XCTAssertTrue(c.ensemble == a.ensemble, name)
        }
    }

    /// An embedded model (`decode(embedded:)`, what `ModelLocator` loads for a model name) leaves its
    /// trees, and its stream stage's, unread until their first use, then reads and validates them
    /// as the JSON's are: the same model in every part, every model in models/ and every parity fixture.
    func testEmbeddedModelsReadTheirTreesAtFirstUse() throws {
        var files = try Self.modelNames().map { Self.modelsDirectory.appendingPathComponent("\($0).json") }
        files += ["dt_4class_nan", "rf_4class_scaled", "xgb_4class", "xgb_binary"].map { Fixtures.url("parity/\($0).model.json") }
        for url in files {
            let name = url.lastPathComponent
            let json = try Data(contentsOf: url)
            let compiled = try CompiledModel.compile(json: json, source: name)
            let lazy = try TreeModel.decode(embedded: compiled, source: name)
            XCTAssertFalse(lazy.ensembleStore.isBuilt, name)
            if let stage = lazy.streamModel?.model {
                XCTAssertFalse(stage.featureNames.isEmpty, name)
                XCTAssertFalse(stage.ensembleStore.isBuilt, "\(name): the stream stage's trees are read at first use too")
            }
            Self.assertSameModel(try TreeModel.decode(json: json, source: name), lazy, name)
            XCTAssertTrue(lazy.ensembleStore.isBuilt, name)
            // An embedded JSON model is read in full, as any JSON.
            XCTAssertTrue(try TreeModel.decode(embedded: json, source: name).ensembleStore.isBuilt, name)
        }
    }

    /// Normalised at first use as at load: an embedded forest whose leaves hold counts gives
    /// distributions, as the same model read in full does.
    func testEmbeddedModelLeavesAreNormalisedAtFirstUse() throws {
        let url = Fixtures.url("parity/rf_4class_scaled.model.json")
        var text = try String(contentsOf: url, encoding: .utf8)
        let json = try TreeModel.decode(json: Data(text.utf8), source: "m")
        // Every leaf value doubled: no longer distributions.
        var counts = json
        counts.ensemble.trees = counts.ensemble.trees.map { t in
            var t = t
            t.value = t.value.map { $0 * 2 }
            return t
        }
        text = counts.jsonText()
        let compiled = try CompiledModel.compile(json: Data(text.utf8), source: "m")
        let lazy = try TreeModel.decode(embedded: compiled, source: "m")
        let full = try TreeModel.decode(json: Data(text.utf8), source: "m")
        XCTAssertFalse(full.ensemble == counts.ensemble, "the counts were normalised")
        XCTAssertTrue(lazy.ensemble == full.ensemble)
    }

    /// The trees of a model with deferred trees are read once, whichever thread asks first.
    func testDeferredTreesAreReadOnce() throws {
        let json = try Data(contentsOf: Fixtures.url("parity/xgb_4class.model.json"))
        let model = try TreeModel.decode(embedded: try CompiledModel.compile(json: json, source: "m"), source: "m")
        let reference = try TreeModel.decode(json: json, source: "m")
        let rows = Self.probeRows(reference)
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var all: [[Double]] = []
            func add(_ p: [Double]) { lock.lock(); all.append(p); lock.unlock() }
        }
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in results.add(model.predictProbabilities(rows: rows)) }
        let expected = reference.predictProbabilities(rows: rows)
        XCTAssertEqual(results.all.count, 8)
        for p in results.all { XCTAssertTrue(p.elementsEqual(expected) { $0.bitPattern == $1.bitPattern }) }
        // Setting the trees replaces them.
        var copy = model
        copy.ensemble.trees.removeLast()
        XCTAssertEqual(copy.ensemble.trees.count, reference.ensemble.trees.count - 1)
        XCTAssertEqual(model.ensemble.trees.count, reference.ensemble.trees.count)
    }

    /// Every packing of an array of numbers, -0, strings with escapes and non-ASCII text, nesting,
    /// empty containers and repeated member names come back as they were.
    func testEveryKindOfValueRoundTrips() throws {
        typealias V = ModelReader.Value
        let distinct300 = (0..<300).map { Double($0) / 7 }
        let distinct70000 = (0..<70_000).map { Double($0) + 0.5 }
        let arrays: [[Double]] = [
            [], [0, 1, -1, 127, -128], [300, -300, 5], [70_000, -2_000_000_000, 1], [-0.0, 1, 2],
            [0.1, 0.2, 0.1, 0.1, 0.2, 0.3], distinct300 + distinct300, distinct70000,
            [Double.greatestFiniteMagnitude, -Double.leastNonzeroMagnitude, 2_147_483_648, 1e300],
        ]
        let root: V = .object([
            ("a", .null), ("b", .bool(true)), ("c", .bool(false)), ("d", .number(-0.0)), ("e", .number(3.25)),
            ("f", .string("caf\u{e9} \"q\" \\ \u{1F3B5}\t\n")), ("g", .string("")),
            ("h", .array(arrays.map { V.numbers($0) } + [.array([.object([]), .array([]), .string("x")])])),
            ("h", .number(2)), ("", .object([("nested", .object([("deeper", .numbers([1.5]))]))])),
        ])
        var w = CompiledWriter()
        w.bytes = CompiledModel.magic
        w.fixed(CompiledModel.formatVersion)
        w.fixed(UInt64(0))
        w.fixed(UInt64(0))
        w.value(root)
        let back = try CompiledModel.document(Data(w.bytes), source: "t")
        XCTAssertTrue(Self.identical(back, root))
        // Arrays stored as integers come back as Int (no conversion when read as node indices).
        guard case .array(let items)? = back.firstMember("h") else { return XCTFail("h") }
        if case .integers(let xs) = items[1] { XCTAssertEqual(xs, [0, 1, -1, 127, -128]) } else { XCTFail("not integers: \(items[1])") }
        if case .numbers(let xs) = items[0] { XCTAssertTrue(xs.isEmpty) } else { XCTFail("the empty array: \(items[0])") }
        // Each packing is used: the encoder picks the smallest.
        func packing(_ xs: [Double]) -> UInt8 {
            var w = CompiledWriter()
            w.numbers(xs)
            return w.bytes[0]
        }
        XCTAssertEqual(arrays.map(packing), [1, 1, 2, 3, 0, 4, 5, 0, 0])
    }

    /// Truncated, damaged or foreign bytes are refused with a message naming the byte; none crashes.
    func testDamagedCompiledModelsAreRefused() throws {
        let json = try Data(contentsOf: Fixtures.url("parity/dt_4class_nan.model.json"))
        let compiled = try CompiledModel.compile(json: json, source: "m.json")
        for length in stride(from: 0, to: compiled.count, by: max(1, compiled.count / 300)) {
            XCTAssertThrowsError(try TreeModel.decode(compiled: compiled.prefix(length), source: "m.spmodel"), "length \(length)")
        }
        XCTAssertThrowsError(try TreeModel.decode(compiled: compiled + [0], source: "m.spmodel")) {
            XCTAssertEqual("\($0)", "m.spmodel: is not a valid compiled model (byte \(compiled.count): unexpected bytes after the document)")
        }
        var version = compiled
        version[8] = 9
        XCTAssertThrowsError(try TreeModel.decode(compiled: version, source: "m.spmodel")) {
            XCTAssertEqual("\($0)", "m.spmodel: is not a valid compiled model (byte 8: format version 9; this streamprobe reads version 1)")
        }
        var tag = compiled
        tag[CompiledModel.headerSize] = 42
        XCTAssertThrowsError(try TreeModel.decode(compiled: tag, source: "m.spmodel")) {
            XCTAssertEqual("\($0)", "m.spmodel: is not a valid compiled model (byte \(CompiledModel.headerSize): unknown tag 42)")
        }
        XCTAssertThrowsError(try TreeModel.decode(compiled: json, source: "m.spmodel")) {
            XCTAssertEqual("\($0)", "m.spmodel: is not a compiled model")
        }
        // Every single byte changed: refused or decoded, never a crash; a decoded one is a valid model.
        var rng = SplitMix64(seed: 11)
        for _ in 0..<400 {
            var bytes = compiled
            let at = Int.random(in: CompiledModel.headerSize..<bytes.count, using: &rng)
            bytes[at] ^= UInt8.random(in: 1...255, using: &rng)
            if let model = try? TreeModel.decode(compiled: bytes, source: "m.spmodel") {
                XCTAssertGreaterThan(model.nodeCount, 0)
            }
        }
    }

    /// JSON cannot hold NaN or infinity, so a compiled model that does is refused (fuzzing found a
    /// NaN leaf value that was read, then written back as `null` and not readable).
    func testNonFiniteNumbersAreRefused() throws {
        let json = #"{"format":"streamprobe-model","format_version":1,"name":"m","task":"t","classes":["a","b"],"feature_set":"custom","features":["x"],"ensemble":{"kind":"decision_tree","comparison":"<=","aggregation":"mean_distribution","trees":[{"feature":[0,-1,-1],"threshold":[0.123456789,0,0],"left":[1,-1,-1],"right":[2,-1,-1],"missing_left":[1,0,0],"value":[0,0,0.25,0.75,0.625,0.375]}]}}"#
        let compiled = try CompiledModel.compile(json: Data(json.utf8), source: "m.json")
        XCTAssertNoThrow(try TreeModel.decode(compiled: compiled, source: "m.spmodel"))
        for target in [0.123456789, 0.625] {
            for bad in [Double.nan, .infinity, -.infinity] {
                let from = withUnsafeBytes(of: target.bitPattern.littleEndian) { Data($0) }
                let to = withUnsafeBytes(of: bad.bitPattern.littleEndian) { Data($0) }
                let at = try XCTUnwrap(compiled.range(of: from), "\(target) stored as a double")
                var damaged = compiled
                damaged.replaceSubrange(at, with: to)
                XCTAssertThrowsError(try TreeModel.decode(compiled: damaged, source: "m.spmodel"), "\(target) → \(bad)") {
                    XCTAssertTrue("\($0)".contains("a number that is not finite"), "\($0)")
                }
            }
        }
    }

    func testIndexBeyondTheTableAndDeepNestingAreRefused() throws {
        var w = CompiledWriter()
        w.bytes = CompiledModel.magic
        w.fixed(CompiledModel.formatVersion)
        w.fixed(UInt64(0))
        w.fixed(UInt64(0))
        let header = w.bytes
        w.bytes += [5, 3, 4, 2]  // 3 numbers, 1-byte indices into a table of 2
        w.fixed((1.5).bitPattern)
        w.fixed((2.5).bitPattern)
        w.bytes += [0, 1, 2]
        XCTAssertThrowsError(try CompiledModel.document(Data(w.bytes), source: "t")) {
            XCTAssertEqual("\($0)", "t: is not a valid compiled model (byte \(header.count + 22): index 2 beyond a table of 2 numbers)")
        }
        w.bytes.removeLast()
        w.bytes.append(1)
        XCTAssertTrue(Self.identical(try CompiledModel.document(Data(w.bytes), source: "t"), .numbers([1.5, 2.5, 2.5])))
        let deep = header + [UInt8](repeating: 6, count: 1) + Array(repeating: [1, 6] as [UInt8], count: 300).flatMap { $0 }
        XCTAssertThrowsError(try CompiledModel.document(Data(deep), source: "t")) {
            XCTAssertTrue("\($0)".hasSuffix("nesting deeper than 256 levels)"), "\($0)")
        }
        // A count claiming more than the bytes left fails before anything is allocated.
        XCTAssertThrowsError(try CompiledModel.document(Data(header + [6, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]), source: "t")) {
            XCTAssertTrue("\($0)".contains("beyond the end of the data"), "\($0)")
        }
    }

    /// An invalid model is not compiled: the error is the one loading its JSON gives.
    func testInvalidModelsAreNotCompiled() throws {
        let json = try Data(contentsOf: Fixtures.url("parity/dt_binary.model.json"))
        let broken = Data(String(decoding: json, as: UTF8.self).replacingOccurrences(of: "\"classes\"", with: "\"klasses\"").utf8)
        var compileError = "", loadError = ""
        XCTAssertThrowsError(try CompiledModel.compile(json: broken, source: "m.json")) { compileError = "\($0)" }
        XCTAssertThrowsError(try TreeModel.decode(json: broken, source: "m.json")) { loadError = "\($0)" }
        XCTAssertEqual(compileError, "m.json: classes is missing")
        XCTAssertEqual(compileError, loadError)
        XCTAssertThrowsError(try CompiledModel.compile(json: Data(), source: "m.json")) { XCTAssertEqual("\($0)", "m.json: is empty") }
    }

    // MARK: - Helpers

    /// The same document: same kinds, same member names in the same order, numbers with the same bits.
    static func identical(_ a: ModelReader.Value, _ b: ModelReader.Value) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x.bitPattern == y.bitPattern
        case let (.string(x), .string(y)): return x == y
        case let (.numbers(x), .numbers(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.bitPattern == $1.bitPattern }
        case let (.integers(x), .integers(y)): return x == y
        case let (.integers(x), .numbers(y)), let (.numbers(y), .integers(x)):
            return x.count == y.count && zip(x, y).allSatisfy { Double($0).bitPattern == $1.bitPattern }
        case let (.array(x), .array(y)): return x.count == y.count && zip(x, y).allSatisfy { identical($0, $1) }
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && identical($0.1, $1.1) }
        default: return false
        }
    }

    static func assertSameModel(_ a: TreeModel, _ b: TreeModel, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.name, b.name, name, file: file, line: line)
        XCTAssertEqual(a.task, b.task, name, file: file, line: line)
        XCTAssertEqual(a.description, b.description, name, file: file, line: line)
        XCTAssertEqual(a.classes, b.classes, name, file: file, line: line)
        XCTAssertEqual(a.featureSet, b.featureSet, name, file: file, line: line)
        XCTAssertEqual(a.featureNames, b.featureNames, name, file: file, line: line)
        XCTAssertEqual(a.window, b.window, name, file: file, line: line)
        XCTAssertEqual(a.scaler, b.scaler, name, file: file, line: line)
        XCTAssertTrue(a.ensemble == b.ensemble, "\(name): trees differ", file: file, line: line)
        XCTAssertEqual(a.selection, b.selection, name, file: file, line: line)
        XCTAssertTrue(a.card == b.card, "\(name): cards differ", file: file, line: line)
        XCTAssertEqual(a.decision, b.decision, name, file: file, line: line)
        XCTAssertEqual(a.temporal, b.temporal, name, file: file, line: line)
        XCTAssertEqual(a.flowRules, b.flowRules, name, file: file, line: line)
        XCTAssertTrue(a.jsonText() == b.jsonText(), "\(name): written again, the two differ", file: file, line: line)
        let rows = probeRows(a)
        let pa = a.predictProbabilities(rows: rows), pb = b.predictProbabilities(rows: rows)
        XCTAssertFalse(pa.contains { $0.isNaN }, name, file: file, line: line)
        XCTAssertTrue(pa.count == pb.count && zip(pa, pb).allSatisfy { $0.bitPattern == $1.bitPattern },
                      "\(name): probabilities differ", file: file, line: line)
        XCTAssertEqual(a.streamModel == nil, b.streamModel == nil, name, file: file, line: line)
        if let sa = a.streamModel?.model, let sb = b.streamModel?.model {
            assertSameModel(sa, sb, "\(name) stream_model", file: file, line: line)
        }
    }

    /// Rows whose values sit on, just below and just above the thresholds (and NaN), seeded.
    static func probeRows(_ model: TreeModel, count: Int = 200) -> [Double] {
        var perFeature = [[Double]](repeating: [0], count: model.featureCount)
        for tree in model.ensemble.trees {
            for (f, t) in zip(tree.feature, tree.threshold) where f >= 0 { perFeature[f].append(t) }
        }
        var rng = SplitMix64(seed: 5)
        var rows: [Double] = []
        for _ in 0..<count {
            for f in 0..<model.featureCount {
                let t = perFeature[f].randomElement(using: &rng)!
                switch Int.random(in: 0..<8, using: &rng) {
                case 0: rows.append(.nan)
                case 1: rows.append(t)
                case 2, 3: rows.append(t.nextDown)
                default: rows.append(t.nextUp)
                }
            }
        }
        return rows
    }
}

extension ModelReader.Value {
    /// The first member `key` of an object (the subscript gives the last).
    func firstMember(_ key: String) -> ModelReader.Value? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }
}
