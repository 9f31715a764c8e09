import Foundation
import XCTest

/// The committed man page (docs/man/streamprobe.1, scripts/man.sh) and `--help` agree: every option
/// of every subcommand, as the binary describes itself, is in the page; and the README names every
/// subcommand.
final class ManPageTests: XCTestCase {
    var root: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    func testManPageListsEveryOptionOfEverySubcommand() throws {
        let page = try String(contentsOf: root.appendingPathComponent("docs/man/streamprobe.1"), encoding: .utf8)
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let top = try CLIRunner.run(["--experimental-dump-help"])
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(top.stdout.utf8)) as? [String: Any])
        let subcommands = try XCTUnwrap((doc["command"] as? [String: Any])?["subcommands"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(subcommands.count, 7)
        var checked = 0
        for sub in subcommands {
            let name = try XCTUnwrap(sub["commandName"] as? String)
            if name == "help" { continue }
            XCTAssertTrue(page.contains(".It Em \(name)"), "man page lacks subcommand \(name): run scripts/man.sh")
            XCTAssertTrue(readme.contains("streamprobe \(name)"), "README never shows streamprobe \(name)")
            for argument in sub["arguments"] as? [[String: Any]] ?? [] {
                for n in argument["names"] as? [[String: Any]] ?? [] where (n["kind"] as? String) == "long" {
                    let option = try XCTUnwrap(n["name"] as? String)
                    XCTAssertTrue(page.contains("Fl -\(option)") || page.contains(" , -\(option)"), "man page lacks \(name) --\(option): run scripts/man.sh")
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 60)
    }
}
