import Foundation
import XCTest

final class SimulateCommandTests: XCTestCase {
    func testWritesAPcapAndSaysWhatItWrote() throws {
        let dir = try CLIRunner.temporaryDirectory("simulate")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("x.pcap").path
        let r = try CLIRunner.run(["simulate", "--profile", "spotify:high", "-d", "5", "--seed", "3", "--link", "cable", "-o", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("wrote \(out): "), r.stdout)
        XCTAssertTrue(r.stdout.contains("profile spotify:high (label high)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("link cable"), r.stdout)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: out)))
        XCTAssertGreaterThan(bytes.count, 1_000)
        XCTAssertEqual(Array(bytes[0..<4]), [0xD4, 0xC3, 0xB2, 0xA1], "little-endian microsecond pcap")
        XCTAssertEqual(bytes[20], 1, "Ethernet")

        // Same seed, same bytes; options change the link type and timestamp resolution.
        let again = dir.appendingPathComponent("y.pcap").path
        XCTAssertEqual(try CLIRunner.run(["simulate", "--profile", "spotify:high", "-d", "5", "--seed", "3", "--link", "cable", "-o", again]).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: again)), Data(bytes))
        let cooked = dir.appendingPathComponent("z.pcap").path
        let c = try CLIRunner.run(["simulate", "--profile", "call:person", "-d", "2", "--cooked", "--nanosecond", "--ipv6", "-o", cooked])
        XCTAssertEqual(c.status, 0, c.stderr)
        let cb = try [UInt8](Data(contentsOf: URL(fileURLWithPath: cooked)))
        XCTAssertEqual(Array(cb[0..<4]), [0x4D, 0x3C, 0xB2, 0xA1], "nanosecond magic")
        XCTAssertEqual(cb[20], 113, "Linux cooked")
    }

    func testCorpusWritesFoldersAndManifest() throws {
        let dir = try CLIRunner.temporaryDirectory("simulate-corpus")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLIRunner.run(["simulate", "--corpus", dir.path, "--profiles", "spotify:low,call:background", "--count", "2",
                                   "-d", "2", "--seed", "9", "--jobs", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("wrote 4 captures"), r.stdout)
        let manifest = try String(contentsOf: dir.appendingPathComponent("manifest.csv"), encoding: .utf8)
        let lines = manifest.split(separator: "\n")
        XCTAssertEqual(lines.first, "path,label,profile,download,link,seed,duration,packets,phases,category,background,clients,fetches")
        XCTAssertEqual(lines.count, 5)
        XCTAssertTrue(lines[1].hasPrefix("low/spotify-low-0000.pcap,low,spotify:low,"), String(lines[1]))
        XCTAssertTrue(lines[1].hasSuffix(",audio,,1,1"), String(lines[1]))
        XCTAssertTrue(lines[3].hasPrefix("background/call-background-0000.pcap,background,call:background,,"), String(lines[3]))
        XCTAssertTrue(lines[3].hasSuffix(",call,,1,"), String(lines[3]))
        for line in lines.dropFirst() {
            let path = String(line.split(separator: ",")[0])
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(path).path), path)
        }
    }

    func testNonAudioProfilesInACorpusAndOneCapture() throws {
        let dir = try CLIRunner.temporaryDirectory("simulate-nonaudio")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLIRunner.run(["simulate", "--corpus", dir.path, "--profiles", "video:web,call:voice,download:file,download:update,web:browse",
                                   "--count", "1", "-d", "2", "--seed", "5", "--link", "dsl", "--background", "dns", "--background", "web",
                                   "--clients", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = try String(contentsOf: dir.appendingPathComponent("manifest.csv"), encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 6)
        let expected = [("web/video-web-0000.pcap", "web", "video"), ("voice/call-voice-0000.pcap", "voice", "call"),
                        ("file/download-file-0000.pcap", "file", "download"), ("update/download-update-0000.pcap", "update", "download"),
                        ("browse/web-browse-0000.pcap", "browse", "browsing")]
        for (line, (path, label, category)) in zip(lines.dropFirst(), expected) {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(f.count, 13, line)
            XCTAssertEqual([f[0], f[1], f[9], f[10], f[11]], [path, label, category, "dns+web", "2"], line)
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(path).path), path)
        }
        let out = dir.appendingPathComponent("v.pcap").path
        let one = try CLIRunner.run(["simulate", "--profile", "call:voice", "-d", "3", "--vpn", "-o", out])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertTrue(one.stdout.contains("profile call:voice (label voice)"), one.stdout)
        XCTAssertTrue(one.stdout.contains("in a WireGuard tunnel; drew dtx="), one.stdout)
        let help = try CLIRunner.run(["simulate", "--help"])
        XCTAssertTrue(help.stdout.contains("download:update") && help.stdout.contains("web:browse"), help.stdout)
    }

    func testFlowsCSVGivesTheGroundTruthPerFlow() throws {
        let dir = try CLIRunner.temporaryDirectory("simulate-flows")
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("flows.csv").path
        let r = try CLIRunner.run(["simulate", "--profile", "spotify:low", "-d", "5", "--background", "dns",
                                   "-o", dir.appendingPathComponent("x.pcap").path, "--flows-csv", csv])
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = try String(contentsOfFile: csv, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("client,client_port,server,server_port,transport,role,service,spotify,"), text)
        XCTAssertTrue(text.contains(",access-point,ap-gew1.spotify.com,1,"), text)
        XCTAssertEqual(try CLIRunner.run(["simulate", "--corpus", dir.path, "--flows-csv", csv]).status, 64)
    }

    func testBadArgumentsAreUsageErrors() throws {
        let unknown = try CLIRunner.run(["simulate", "--profile", "spotify:ultra", "-o", "/tmp/never.pcap"])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.contains("unknown profile 'spotify:ultra'"), unknown.stderr)
        XCTAssertEqual(try CLIRunner.run(["simulate", "--profile", "spotify:low"]).status, 64, "needs -o or --corpus")
        XCTAssertEqual(try CLIRunner.run(["simulate", "--link", "dialup", "-o", "/tmp/never.pcap"]).status, 64)
        XCTAssertEqual(try CLIRunner.run(["simulate", "-d", "0", "-o", "/tmp/never.pcap"]).status, 64)
    }

    func testUnwritableOutputIsOneLineAndExit66() throws {
        let r = try CLIRunner.run(["simulate", "-d", "1", "-o", "/nonexistent-dir/x.pcap"])
        XCTAssertEqual(r.status, 66)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1)
        XCTAssertTrue(r.stderr.hasPrefix("streamprobe: /nonexistent-dir/x.pcap: cannot create file"), r.stderr)
    }
}
