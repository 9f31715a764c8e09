import Foundation
import Simulator
import XCTest

/// Every JSON output validates against its committed schema (docs/schema/*.schema.json), and every
/// member the output carries is declared there, so docs/json.md and the schema cannot fall behind.
final class JSONSchemaTests: XCTestCase {
    var root: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    /// A small validator for the keywords the schemas use: type (a name or a list of names), const,
    /// enum, minimum, maximum, required, properties (and: no undeclared member unless
    /// additionalProperties gives their schema), additionalProperties, items, $ref to #/$defs.
    struct Validator {
        let root: [String: Any]
        var problems: [String] = []

        mutating func check(_ value: Any, _ schema: [String: Any], at path: String) {
            if let ref = schema["$ref"] as? String {
                let name = String(ref.dropFirst("#/$defs/".count))
                guard let def = (root["$defs"] as? [String: Any])?[name] as? [String: Any] else { problems.append("\(path): bad $ref \(ref)"); return }
                return check(value, def, at: path)
            }
            if let c = schema["const"] { if !same(value, c) { problems.append("\(path): \(value) is not \(c)") } }
            if let e = schema["enum"] as? [Any], !e.contains(where: { same(value, $0) }) { problems.append("\(path): \(value) is not one of \(e)") }
            if let t = schema["type"] as? String, !isType(value, t) { problems.append("\(path): not a \(t): \(value)"); return }
            if let ts = schema["type"] as? [String], !ts.contains(where: { isType(value, $0) }) {
                problems.append("\(path): not a \(ts.joined(separator: " or ")): \(value)"); return
            }
            if let n = value as? NSNumber, !(value is Bool) {
                if let lo = (schema["minimum"] as? NSNumber)?.doubleValue, !(n.doubleValue >= lo) { problems.append("\(path): \(n) < \(lo)") }
                if let hi = (schema["maximum"] as? NSNumber)?.doubleValue, !(n.doubleValue <= hi) { problems.append("\(path): \(n) > \(hi)") }
            }
            if let object = value as? [String: Any] {
                for key in schema["required"] as? [String] ?? [] where object[key] == nil { problems.append("\(path).\(key): missing") }
                let properties = schema["properties"] as? [String: Any]
                let additional = schema["additionalProperties"] as? [String: Any]
                if properties != nil || additional != nil {
                    for (key, member) in object {
                        guard let sub = properties?[key] as? [String: Any] ?? additional else { problems.append("\(path).\(key): not in the schema"); continue }
                        check(member, sub, at: "\(path).\(key)")
                    }
                }
            }
            if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
                for (i, item) in array.enumerated() { check(item, items, at: "\(path)[\(i)]") }
            }
        }

        func isType(_ v: Any, _ t: String) -> Bool {
            switch t {
            case "object": return v is [String: Any]
            case "array": return v is [Any]
            case "string": return v is String
            case "boolean": return isBool(v)
            case "integer": return !isBool(v) && (v as? NSNumber).map { $0.doubleValue == $0.doubleValue.rounded() } ?? false
            case "number": return !isBool(v) && v is NSNumber
            case "null": return v is NSNull
            default: return false
            }
        }

        /// JSON true/false (a Swift Bool, or an NSNumber made from one), never a number.
        func isBool(_ v: Any) -> Bool {
            if type(of: v) == Bool.self { return true }
            guard let n = v as? NSNumber else { return false }
            return String(cString: n.objCType) == "c" || String(cString: n.objCType) == "B"
        }

        func same(_ a: Any, _ b: Any) -> Bool {
            if let x = a as? String, let y = b as? String { return x == y }
            if let x = a as? NSNumber, let y = b as? NSNumber { return x == y }
            return a is NSNull && b is NSNull
        }
    }

    func validate(_ json: String, schema name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let schema = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("docs/schema/\(name)"))) as? [String: Any])
        let value = try JSONSerialization.jsonObject(with: Data(json.utf8))
        var v = Validator(root: schema)
        v.check(value, schema, at: "$")
        XCTAssertEqual(v.problems, [], "\(name)", file: file, line: line)
    }

    func testAnalyzeAndFlowsOutputMatchTheirSchemas() throws {
        let dir = try CLIRunner.temporaryDirectory("schema")
        defer { try? FileManager.default.removeItem(at: dir) }
        let named = dir.appendingPathComponent("named.pcap").path, vpn = dir.appendingPathComponent("vpn.pcap").path
        try Session(profile: .spotify(.high), link: .cable, download: .paced, background: [.web, .dns], duration: 90, seed: 91).write(to: named)
        try Session(profile: .video(.vod, vpn: true), duration: 90, seed: 92).write(to: vpn)
        for args in [["analyze", named, "--format", "json"], ["analyze", vpn, "--format", "json"],
                     ["analyze", vpn, "-m", "live-vs-vod", "--format", "json"], ["analyze", named, "--scope", "all", "--format", "json"]] {
            let r = try CLIRunner.run(args)
            XCTAssertEqual(r.status, 0, r.stderr)
            try validate(r.stdout, schema: "analyze.schema.json")
        }
        // A capture without a stream: the note, no streams.
        let none = try CLIRunner.run(["analyze", named, "--client", "10.99.0.1", "--format", "json"])
        try validate(none.stdout, schema: "analyze.schema.json")
        for args in [["flows", named, "--format", "json"], ["flows", named, "-m", "spotify-flow", "--format", "json"]] {
            let r = try CLIRunner.run(args)
            XCTAssertEqual(r.status, 0, r.stderr)
            try validate(r.stdout, schema: "flows.schema.json")
        }
    }

    /// `features --format jsonl`: every row (windows, skipped windows, summary-v1 sessions, a label)
    /// matches docs/schema/features-row.schema.json and carries schema_version 1.
    func testFeatureRowsMatchTheirSchema() throws {
        let dir = try CLIRunner.temporaryDirectory("schema-rows")
        defer { try? FileManager.default.removeItem(at: dir) }
        let capture = dir.appendingPathComponent("s.pcap").path
        try Session(profile: .spotify(.high), link: .cable, download: .paced, background: [.web], duration: 90, seed: 93).write(to: capture)
        var rows = 0, skipped = 0, labelled = 0
        for args in [["features", capture, "--format", "jsonl"],
                     ["features", capture, "--feature-set", "stream-v1", "--scope", "streams", "--label", "high", "--format", "jsonl"],
                     ["features", capture, "--feature-set", "summary-v1", "-m", "spotify-quality", "--format", "jsonl"]] {
            let r = try CLIRunner.run(args)
            XCTAssertEqual(r.status, 0, r.stderr)
            for line in r.stdout.split(separator: "\n") {
                try validate(String(line), schema: "features-row.schema.json")
                let row = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                XCTAssertEqual(row["schema_version"] as? Int, 1)
                rows += 1
                if row["skipped"] as? Bool == true { skipped += 1 }
                if row["label"] as? String == "high" { labelled += 1 }
            }
        }
        XCTAssertGreaterThan(rows, 30)
        XCTAssertGreaterThan(skipped, 0, "no skipped window was checked")
        XCTAssertGreaterThan(labelled, 0)
    }

    /// `models --format json` lists every embedded model with its figures; `evaluate` is versioned too.
    func testModelsJSON() throws {
        let r = try CLIRunner.run(["models", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(doc["schema_version"] as? Int, 1)
        let models = try XCTUnwrap(doc["models"] as? [[String: Any]])
        XCTAssertEqual(Set(models.compactMap { $0["name"] as? String }), ["live-vs-vod", "spotify-flow", "spotify-quality", "webcam-presence"])
        XCTAssertTrue(models.allSatisfy { ($0["trees"] as? Int ?? 0) > 0 && $0["origin"] as? String == "embedded" })
        let one = try CLIRunner.run(["models", "live-vs-vod", "--format", "json"])
        let card = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as? [String: Any])?["card"] as? [String: Any])
        XCTAssertNotNil(card["summary"])
    }

    /// The validator itself fails on what it must fail on.
    func testTheValidatorRejects() throws {
        let schema: [String: Any] = ["type": "object", "required": ["a"], "properties": ["a": ["type": "integer", "minimum": 0]]]
        for (doc, expected) in [(#"{}"#, "missing"), (#"{"a": -1}"#, "< 0"), (#"{"a": 1.5}"#, "not a integer"),
                                (#"{"a": 1, "b": 2}"#, "not in the schema"), (#"{"a": true}"#, "not a integer")] {
            var v = Validator(root: schema)
            v.check(try JSONSerialization.jsonObject(with: Data(doc.utf8)), schema, at: "$")
            XCTAssertTrue(v.problems.contains { $0.contains(expected) }, "\(doc): \(v.problems)")
        }
        // A feature row's kinds: a list of types, null in an enum, additionalProperties.
        let row: [String: Any] = ["type": "object", "properties": [
            "f": ["type": ["object", "null"], "additionalProperties": ["type": ["number", "null"]]],
            "r": ["enum": [NSNull(), "x"]]]]
        for (doc, expected) in [(#"{"f": 3}"#, "not a object or null"), (#"{"f": {"a": "s"}}"#, "not a number or null"),
                                (#"{"r": "y"}"#, "is not one of"), (#"{"r": 1}"#, "is not one of")] {
            var v = Validator(root: row)
            v.check(try JSONSerialization.jsonObject(with: Data(doc.utf8)), row, at: "$")
            XCTAssertTrue(v.problems.contains { $0.contains(expected) }, "\(doc): \(v.problems)")
        }
        for doc in [#"{"f": null, "r": null}"#, #"{"f": {"a": 1.5, "b": null}, "r": "x"}"#] {
            var v = Validator(root: row)
            v.check(try JSONSerialization.jsonObject(with: Data(doc.utf8)), row, at: "$")
            XCTAssertEqual(v.problems, [], doc)
        }
        for (doc, expected) in [(#"{}"#, "missing")] {
            var v = Validator(root: schema)
            v.check(try JSONSerialization.jsonObject(with: Data(doc.utf8)), schema, at: "$")
            XCTAssertTrue(v.problems.contains { $0.contains(expected) }, "\(doc): \(v.problems)")
        }
    }
}
