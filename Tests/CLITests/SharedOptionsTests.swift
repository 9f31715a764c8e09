import Foundation
import XCTest

/// Options shared by several commands are declared once (option groups in CommandSupport.swift):
/// the same help, the same checks, the same errors, whichever command takes them.
final class SharedOptionsTests: XCTestCase {
    /// The help of one option as `--help` prints it: its line and the indented lines that continue it.
    static func helpBlock(_ help: String, option: String) -> String? {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(option) }) else { return nil }
        var block = [lines[start].trimmingCharacters(in: .whitespaces)]
        for line in lines[(start + 1)...] {
            // A continuation is indented past the option column; the next option starts at two spaces.
            guard line.hasPrefix("                  ") else { break }
            block.append(line.trimmingCharacters(in: .whitespaces))
        }
        return block.joined(separator: " ")
    }

    func testModelOptionIsTheSameEverywhere() throws {
        var helps: [String: String] = [:]
        for command in [["analyze"], ["features"], ["flows"], ["evaluate"], ["history", "add"]] {
            let r = try CLIRunner.run(command + ["--help"])
            XCTAssertEqual(r.status, 0, r.stderr)
            helps[command.joined(separator: " ")] = try XCTUnwrap(Self.helpBlock(r.stdout, option: "-m, --model <name|path>"), "\(command)")
            // A model that does not exist: exit 65, one line naming it, before any input is read.
            let args = command == ["evaluate"] ? ["evaluate", "-m", "no-such-model", "t.csv"] : command + ["x.pcap", "-m", "no-such-model"]
            let bad = try CLIRunner.run(args)
            XCTAssertEqual(bad.status, 65, "\(command): \(bad.stderr)")
            XCTAssertTrue(bad.stderr.contains("no-such-model"), bad.stderr)
        }
        XCTAssertEqual(Set(helps.values).count, 1, "\(helps)")
        XCTAssertTrue(helps.values.first!.contains("streamprobe models"), "\(helps)")
        // evaluate cannot do without a model: a usage error.
        let none = try CLIRunner.run(["evaluate", "t.csv"])
        XCTAssertEqual(none.status, 64)
        XCTAssertTrue(none.stderr.contains("-m NAME|PATH"), none.stderr)
    }

    func testJobsOptionIsTheSameEverywhere() throws {
        var helps: Set<String> = []
        for command in [["analyze", "x.pcap"], ["evaluate", "-m", "spotify-quality", "t.csv"], ["train", "t.csv", "-o", "m.json"],
                        ["simulate", "-o", "x.pcap"], ["history", "add", "x.pcap"]] {
            let help = try CLIRunner.run(Array(command.prefix(command[0] == "history" ? 2 : 1)) + ["--help"])
            helps.insert(try XCTUnwrap(Self.helpBlock(help.stdout, option: "-j, --jobs <n>"), "\(command)"))
            for bad in ["0", "-2"] {
                let r = try CLIRunner.run(command + ["--jobs", bad])
                XCTAssertEqual(r.status, 64, "\(command) --jobs \(bad): \(r.stderr)")
                XCTAssertTrue(r.stderr.contains("--jobs must be at least 1"), r.stderr)
            }
        }
        XCTAssertEqual(helps.count, 1, "\(helps)")
    }

    func testWindowAndFeatureSetAreTheSameWhereShared() throws {
        let analyze = try CLIRunner.run(["analyze", "--help"]).stdout, features = try CLIRunner.run(["features", "--help"]).stdout
        XCTAssertEqual(Self.helpBlock(analyze, option: "--window <seconds>"), Self.helpBlock(features, option: "--window <seconds>"))
        XCTAssertNotNil(Self.helpBlock(analyze, option: "--window <seconds>"))
        for args in [["analyze", "x.pcap", "--window", "5000"], ["features", "x.pcap", "--window", "5000"]] {
            let r = try CLIRunner.run(args)
            XCTAssertEqual(r.status, 64, r.stderr)
            XCTAssertTrue(r.stderr.contains("--window must be between"), r.stderr)
        }
        let train = try CLIRunner.run(["train", "--help"]).stdout
        XCTAssertEqual(Self.helpBlock(train, option: "--feature-set, --set <set>"), Self.helpBlock(features, option: "--feature-set, --set <set>"))
        XCTAssertNotNil(Self.helpBlock(train, option: "--feature-set, --set <set>"))
        // --format text|json: the same in analyze, evaluate and models, and an unknown value is a usage error.
        var formats: Set<String> = []
        for command in ["analyze", "evaluate", "models"] {
            formats.insert(try XCTUnwrap(Self.helpBlock(try CLIRunner.run([command, "--help"]).stdout, option: "--format <format>")))
        }
        XCTAssertEqual(formats.count, 1, "\(formats)")
        XCTAssertEqual(try CLIRunner.run(["models", "--format", "yaml"]).status, 64)
    }

    /// analyze's one error path: every failure is one line on stderr with its documented exit code.
    func testAnalyzeErrorsAreOneLineWithTheDocumentedCode() throws {
        let dir = try CLIRunner.temporaryDirectory("errors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let empty = dir.appendingPathComponent("empty").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let cases: [([String], Int32, String)] = [
            (["analyze", "--dir", empty], 66, "no pcap or pcapng capture found"),
            (["analyze", "--dir", empty, "--windows-csv", dir.appendingPathComponent("no/such/w.csv").path], 66, "no such folder"),
            (["analyze", dir.appendingPathComponent("missing.pcap").path], 66, "missing.pcap"),
            (["analyze", "x.pcap", "-m", dir.appendingPathComponent("nope.json").path], 65, "nope.json"),
        ]
        for (args, code, words) in cases {
            let r = try CLIRunner.run(args)
            XCTAssertEqual(r.status, code, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("streamprobe: ") && r.stderr.contains(words), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", "\(args)")
        }
    }
}
