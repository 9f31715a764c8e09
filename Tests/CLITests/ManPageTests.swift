import Foundation
import XCTest

/// The committed man page (docs/man/streamprobe.1, scripts/man.sh), `--help` and the README agree:
/// every option of every subcommand, as the binary describes itself, is in the page and in the
/// README's section for that subcommand (`### analyze: …`; `history add` and `history summary` in
/// `### history: …`), and the README shows every subcommand.
final class ManPageTests: XCTestCase {
    var root: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    /// The options `--help` shows for one command (long names; help and version left out).
    static func longOptions(_ command: [String: Any]) -> [String] {
        var names: [String] = []
        for argument in command["arguments"] as? [[String: Any]] ?? [] where (argument["shouldDisplay"] as? Bool) != false {
            for n in argument["names"] as? [[String: Any]] ?? [] where (n["kind"] as? String) == "long" {
                if let name = n["name"] as? String, name != "help", name != "version" { names.append(name) }
            }
        }
        return names
    }

    /// The README's `### NAME…: …` section (to the next heading), where NAME is one of the names before the colon.
    static func section(of name: String, in readme: String) -> String? {
        var lines: [Substring]?
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("#") {
                if lines != nil { break }
                guard line.hasPrefix("### "), let colon = line.firstIndex(of: ":") else { continue }
                let names = line.dropFirst(4)[..<colon].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                if names.contains(name) { lines = [line] }
            } else {
                lines?.append(line)
            }
        }
        return lines?.joined(separator: "\n")
    }

    func testManPageAndReadmeListEveryOptionOfEverySubcommand() throws {
        let page = try String(contentsOf: root.appendingPathComponent("docs/man/streamprobe.1"), encoding: .utf8)
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let top = try CLIRunner.run(["--experimental-dump-help"])
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(top.stdout.utf8)) as? [String: Any])
        let subcommands = try XCTUnwrap((doc["command"] as? [String: Any])?["subcommands"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(subcommands.count, 8)
        var checked = 0
        for sub in subcommands {
            let name = try XCTUnwrap(sub["commandName"] as? String)
            if name == "help" { continue }
            XCTAssertTrue(page.contains(".It Em \(name)"), "man page lacks subcommand \(name): run scripts/man.sh")
            XCTAssertTrue(readme.contains("streamprobe \(name)"), "README never shows streamprobe \(name)")
            let section = try XCTUnwrap(Self.section(of: name, in: readme), "README has no ### section for \(name)")
            // The command and its own subcommands (history add, history summary), which the same section documents.
            let commands = [sub] + (sub["subcommands"] as? [[String: Any]] ?? []).filter { ($0["commandName"] as? String) != "help" }
            for (k, command) in commands.enumerated() {
                let path = k == 0 ? name : "\(name) \(command["commandName"] as? String ?? "?")"
                for option in Self.longOptions(command) {
                    XCTAssertTrue(page.contains("Fl -\(option)") || page.contains(" , -\(option)"), "man page lacks \(path) --\(option): run scripts/man.sh")
                    XCTAssertTrue(section.contains("--\(option)"), "README's section for \(name) does not mention \(path) --\(option)")
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 100)
    }

    /// The section finder itself: it finds a command among several names and stops at the next heading,
    /// so an option documented only in another command's section is not counted.
    func testTheSectionFinder() {
        let readme = "# x\n### train, evaluate: a\n`--trees` here\n### flows: b\n`--limit`\n## Other\n`--elsewhere`\n"
        XCTAssertEqual(Self.section(of: "evaluate", in: readme), "### train, evaluate: a\n`--trees` here")
        XCTAssertEqual(Self.section(of: "flows", in: readme), "### flows: b\n`--limit`")
        XCTAssertNil(Self.section(of: "limit", in: readme))
        XCTAssertFalse(Self.section(of: "flows", in: readme)!.contains("--elsewhere"))
    }
}
