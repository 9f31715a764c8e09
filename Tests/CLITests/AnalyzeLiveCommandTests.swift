import Foundation
import XCTest

/// `analyze --live`: capture on the loopback interface while the test sends datagrams (as root only).
extension AnalyzeCommandTests {
    /// As root only: capture on the loopback interface while this test sends UDP datagrams to 127.0.0.1.
    func testLiveCaptureOnLoopback() throws {
        guard geteuid() == 0 else { throw XCTSkip("live capture needs root") }
        let f = try fixture()
        let port = UInt16.random(in: 40000...60000)
        let save = f.dir.appendingPathComponent("live-\(port).pcap").path
        sendDatagrams(to: port, after: 0.5, count: 400, size: 900, every: 9000)
        let started = Date()
        let r = try CLIRunner.run(["analyze", "--live", "-i", "lo", "-d", "5", "--filter", "udp and port \(port)", "--scope", "all",
                                   "-m", f.model, "--save", save])
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertLessThan(elapsed, 5 + 2.5, "the capture ends on time")
        XCTAssertTrue(r.stdout.contains("capturing on lo"), r.stdout)
        XCTAssertTrue(r.stdout.contains("prediction:"), r.stdout)
        let attributes = try FileManager.default.attributesOfItem(atPath: save)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        // An unknown interface lists the available ones.
        let unknown = try CLIRunner.run(["analyze", "--live", "-i", "nosuch0", "-d", "1", "-m", f.model])
        XCTAssertEqual(unknown.status, 69, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("lo"), unknown.stderr)
    }

    /// As root only: once the device is open the process runs as `nobody` (tcpdump -Z), and the
    /// stream chosen by volume is still read back from the save file, which nobody could not open.
    func testLiveCaptureDropsRootWhileItRuns() throws {
        guard geteuid() == 0 else { throw XCTSkip("live capture needs root") }
        guard let nobody = getpwnam("nobody")?.pointee.pw_uid else { throw XCTSkip("no user nobody") }
        let f = try fixture()
        let port = UInt16.random(in: 40000...60000)
        let save = f.dir.appendingPathComponent("dropped-\(port).pcap").path
        let process = Process()
        process.executableURL = CLIRunner.binary
        process.arguments = ["analyze", "--live", "-i", "lo", "-d", "4", "--filter", "udp and port \(port)", "--save", save]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try process.run()
        Thread.sleep(forTimeInterval: 0.8)
        // From UDP port 443 to a high port: a download to the client at the high port.
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_port = UInt16(443).bigEndian
        local.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &local) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        XCTAssertEqual(bound, 0, "bind to UDP 443")
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let payload = [UInt8](repeating: 0x5A, count: 1200)
        var uids: [String] = []
        for i in 0..<500 {
            _ = withUnsafePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if i == 250 {
                let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
                uids = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }?.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().map(String.init) ?? []
            }
            usleep(4000)
        }
        close(fd)
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, text)
        // Real, effective, saved and file-system user ids: all nobody's, none root.
        XCTAssertEqual(uids, Array(repeating: String(nobody), count: 4), "uids while capturing: \(uids)")
        XCTAssertTrue(text.contains("running as nobody from now on"), text)
        XCTAssertTrue(text.contains("selected: no flow matched the service names"), text)
        // The save file keeps its owner (root) and mode.
        let attributes = try FileManager.default.attributesOfItem(atPath: save)
        XCTAssertEqual((attributes[.ownerAccountID] as? NSNumber)?.intValue, 0)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        // An unknown user stops before any capture, with exit 77.
        let unknown = try CLIRunner.run(["analyze", "--live", "-i", "lo", "-d", "1", "--user", "no-such-user-x"])
        XCTAssertEqual(unknown.status, 77, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("no-such-user-x: no such user"), unknown.stderr)
    }

    /// As root only: live JSON is JSON Lines: a `window` line per completed window, as it happens,
    /// then one `report` line naming the interface, the saved file and the start time.
    func testLiveJSONLines() throws {
        guard geteuid() == 0 else { throw XCTSkip("live capture needs root") }
        let f = try fixture()
        let port = UInt16.random(in: 40000...60000)
        let save = f.dir.appendingPathComponent("jsonl-\(port).pcap").path
        sendDatagrams(to: port, after: 0.3, count: 500, size: 700, every: 8000)
        let r = try CLIRunner.run(["analyze", "--live", "-i", "lo", "-d", "7", "--filter", "udp and port \(port)", "--scope", "all",
                                   "-m", f.model, "--save", save, "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertTrue(lines.allSatisfy { $0 != nil }, r.stdout)
        let types = lines.compactMap { $0?["type"] as? String }
        XCTAssertGreaterThanOrEqual(types.filter { $0 == "window" }.count, 1, r.stdout)
        XCTAssertEqual(types.last, "report", r.stdout)
        XCTAssertEqual(types.filter { $0 == "report" }.count, 1)
        let window = try XCTUnwrap(lines.first??["window"] as? [String: Any])
        XCTAssertNotNil(window["start_s"] as? Double)
        XCTAssertGreaterThan(try XCTUnwrap(lines.first??["start_epoch"] as? Double), 1.7e9)
        let live = try XCTUnwrap(lines.last??["live"] as? [String: Any])
        XCTAssertEqual(live["interface"] as? String, "lo")
        XCTAssertEqual(live["saved_to"] as? String, save)
        XCTAssertTrue(r.stderr.contains("capturing on lo"), r.stderr)
    }

    /// Ctrl-C ends a live capture early, and the report still comes.
    func testLiveCaptureStopsOnInterruptAndReports() throws {
        guard geteuid() == 0 else { throw XCTSkip("live capture needs root") }
        let f = try fixture()
        let process = Process()
        process.executableURL = CLIRunner.binary
        process.arguments = ["analyze", "--live", "-i", "lo", "-d", "30", "--filter", "udp and port 9", "-m", f.model,
                             "--save", f.dir.appendingPathComponent("interrupted.pcap").path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        let started = Date()
        try process.run()
        Thread.sleep(forTimeInterval: 1.5)
        process.interrupt()  // SIGINT, as Ctrl-C sends
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, text)
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "a 30 s capture ended early")
        XCTAssertTrue(text.contains("capture ended early by Ctrl-C"), text)
        XCTAssertTrue(text.contains("capture  lo"), text)
    }

    /// No packet at all: the capture still ends on time and reports that nothing was found.
    func testLiveCaptureEndsOnTimeWithoutTraffic() throws {
        guard geteuid() == 0 else { throw XCTSkip("live capture needs root") }
        let f = try fixture()
        let started = Date()
        let r = try CLIRunner.run(["analyze", "--live", "-i", "lo", "-d", "1.5", "--filter", "udp and port 9", "-m", f.model, "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.5 + 2)
        XCTAssertTrue(r.stdout.contains("no "), r.stdout)
    }

    /// Sends `count` UDP datagrams of `size` bytes to 127.0.0.1:`port` from a thread, one every
    /// `every` microseconds after `after` seconds (traffic for the live-capture tests on loopback).
    func sendDatagrams(to port: UInt16, after delay: Double, count: Int, size: Int, every micros: UInt32) {
        Thread {
            Thread.sleep(forTimeInterval: delay)
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = port.bigEndian
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let payload = [UInt8](repeating: 0x5A, count: size)
            for _ in 0..<count {
                _ = withUnsafePointer(to: &addr) { p in
                    p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                usleep(micros)
            }
            close(fd)
        }.start()
    }
}
