@testable import Capture
import Foundation
import XCTest

final class LiveSourceTests: XCTestCase {
    func testUnknownInterfaceListsTheAvailableOnes() {
        XCTAssertTrue(LiveSource.availableInterfaces().contains("lo"))
        XCTAssertThrowsError(try LiveSource(interface: "nosuch0", duration: 1)) { error in
            let e = error as! CaptureError
            XCTAssertEqual(e.kind, .noSuchInterface)
            XCTAssertEqual(e.exitCode, 69)
            XCTAssertTrue(e.description.hasPrefix("nosuch0: no such interface (available: "), e.description)
            XCTAssertTrue(e.message.contains("lo"), e.message)
        }
    }

    func testWithoutPermissionTheErrorSaysWhatIsNeeded() throws {
        try XCTSkipIf(geteuid() == 0, "root may capture")
        XCTAssertThrowsError(try LiveSource(interface: "lo", duration: 1)) { error in
            let e = error as! CaptureError
            XCTAssertEqual(e.kind, .capturePermissionDenied)
            XCTAssertEqual(e.exitCode, 77)
            XCTAssertTrue(e.message.contains("root or the CAP_NET_RAW capability"), e.message)
        }
    }

    func testLoopbackCaptureReceivesDatagramsEndsOnTimeAndSavesTheCapture() throws {
        try XCTSkipUnless(geteuid() == 0, "live capture needs root")
        let port = UInt16.random(in: 40_000...60_000)
        let dir = try TempDirectory()
        let save = dir.path + "/live.pcap"
        let receiver = try UDPSocket(bindingPort: port)
        let source = try LiveSource(interface: "lo", filter: "udp and port \(port)", duration: 2, savePath: save)
        XCTAssertEqual(source.name, "lo")
        XCTAssertEqual(source.linkTypeName, "EN10MB")
        XCTAssertEqual(source.savedPath, save)

        let sender = Thread {
            Thread.sleep(forTimeInterval: 0.2)
            let socket = try! UDPSocket(bindingPort: 0)
            for i in 0..<50 { socket.send(Array("streamprobe-\(i)".utf8), toPort: port) }
        }
        sender.start()
        let started = Date()
        var lengths: [Int] = []
        var last = PacketTimestamp(seconds: 0, nanoseconds: 0)
        let end = try source.forEachPacket { packet in
            lengths.append(packet.capturedLength)
            XCTAssertEqual(packet.capturedLength, packet.originalLength)
            XCTAssertLessThanOrEqual(last, packet.timestamp)
            last = packet.timestamp
            // Ethernet(14) + IPv4(20) + UDP(8) + payload; destination port at 14+20+2.
            let dstPort = UInt16(packet.bytes[36]) << 8 | UInt16(packet.bytes[37])
            XCTAssertEqual(dstPort, port)
            return true
        }
        let elapsed = Date().timeIntervalSince(started)
        withExtendedLifetime(receiver) {}
        XCTAssertEqual(end, .timeLimit)
        XCTAssertEqual(lengths.count, 50)
        XCTAssertEqual(source.packetsCaptured, 50)
        XCTAssertEqual(lengths.first, 14 + 20 + 8 + "streamprobe-0".utf8.count)
        XCTAssertGreaterThanOrEqual(elapsed, 1.95)
        XCTAssertLessThan(elapsed, 3.0)
        XCTAssertGreaterThan(last.seconds, 1_600_000_000)

        var st = stat()
        XCTAssertEqual(stat(save, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        let reread = try FileSource(path: save)
        XCTAssertEqual(reread.linkType, 1)
        var rereadLengths: [Int] = []
        XCTAssertEqual(try reread.forEachPacket { rereadLengths.append($0.capturedLength); return true }, .endOfInput)
        XCTAssertEqual(rereadLengths, lengths)
    }

    func testCaptureWithoutTrafficStillEndsOnTime() throws {
        try XCTSkipUnless(geteuid() == 0, "live capture needs root")
        let port = UInt16.random(in: 40_000...60_000)
        let source = try LiveSource(interface: "lo", filter: "udp and port \(port)", duration: 1)
        let started = Date()
        let end = try source.forEachPacket { _ in true }
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(end, .timeLimit)
        XCTAssertGreaterThanOrEqual(elapsed, 0.95)
        XCTAssertLessThan(elapsed, 2.0)   // duration + 1 s, for a loaded machine
        XCTAssertEqual(source.packetsCaptured, 0)
        XCTAssertNil(source.savedPath)
    }

    func testStopFromAnotherThreadEndsAtOnce() throws {
        try XCTSkipUnless(geteuid() == 0, "live capture needs root")
        let source = try LiveSource(interface: "lo", filter: "udp and port 9", duration: 30)
        let stopper = Thread {
            Thread.sleep(forTimeInterval: 0.3)
            source.stop()
        }
        stopper.start()
        let started = Date()
        XCTAssertEqual(try source.forEachPacket { _ in true }, .interrupted)
        XCTAssertLessThan(Date().timeIntervalSince(started), 2.0)   // stop after 0.3 s; far from the 30 s duration
    }

    func testSIGINTInterruptsTheRunningCapture() throws {
        try XCTSkipUnless(geteuid() == 0, "live capture needs root")
        LiveSource.installInterruptHandler()
        LiveSource.installInterruptHandler()   // idempotent
        defer { LiveSource.resetInterrupt() }
        let source = try LiveSource(interface: "lo", filter: "udp and port 9", duration: 30)
        let signaller = Thread {
            // Only signal once the capture runs: without one, SIGINT keeps its default action.
            while InterruptSignal.activeCaptures == 0 { Thread.sleep(forTimeInterval: 0.01) }
            Thread.sleep(forTimeInterval: 0.2)
            kill(getpid(), SIGINT)
        }
        signaller.start()
        let started = Date()
        XCTAssertEqual(try source.forEachPacket { _ in true }, .interrupted)
        XCTAssertLessThan(Date().timeIntervalSince(started), 3.0)
        XCTAssertTrue(LiveSource.wasInterrupted)
        LiveSource.resetInterrupt()
        XCTAssertFalse(LiveSource.wasInterrupted)
    }

    func testDefaultInterfaceIsNotLoopback() throws {
        try XCTSkipUnless(geteuid() == 0, "live capture needs root")
        let source: LiveSource
        do {
            source = try LiveSource(interface: nil, duration: 0.1)
        } catch {
            XCTAssertEqual(error.kind, .interfaceUnusable, "\(error)")
            throw XCTSkip("no non-loopback interface is up here: \(error)")
        }
        XCTAssertNotEqual(source.name, "lo")
        XCTAssertNotEqual(source.name, "any")
        XCTAssertTrue(LiveSource.availableInterfaces().contains(source.name))
    }

    func testSaveFileThatCannotBeCreated() throws {
        try XCTSkipUnless(geteuid() == 0, "live capture needs root")
        XCTAssertThrowsError(try LiveSource(interface: "lo", duration: 1, savePath: "/nonexistent-dir/x.pcap")) { error in
            let e = error as! CaptureError
            XCTAssertEqual(e.source, "/nonexistent-dir/x.pcap")
            XCTAssertTrue(e.message.hasPrefix("cannot create the capture file"), e.message)
        }
    }
}

/// A UDP socket on 127.0.0.1 for loopback tests.
final class UDPSocket: @unchecked Sendable {
    let fd: Int32

    init(bindingPort port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = UDPSocket.loopback(port: port)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
    }

    deinit { close(fd) }

    static func loopback(port: UInt16) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return a
    }

    func send(_ bytes: [UInt8], toPort port: UInt16) {
        var address = UDPSocket.loopback(port: port)
        _ = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }
}

final class LiveSaveTests: XCTestCase {
    func testAnExistingSaveFileIsTruncatedAndMade0600() throws {
        try XCTSkipUnless(geteuid() == 0, "live capture needs root")
        let dir = try TempDirectory()
        let path = try dir.write("old.pcap", Array(repeating: 0x55, count: 5000))
        XCTAssertEqual(chmod(path, 0o644), 0)
        let source = try LiveSource(interface: "lo", filter: "udp and port 9", duration: 0.2, savePath: path)
        XCTAssertEqual(try source.forEachPacket { _ in true }, .timeLimit)
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        XCTAssertEqual(st.st_size, 24)   // just the pcap header
        XCTAssertEqual(CaptureFileKind.detect(path: path), .pcap(littleEndian: true, nanosecond: true))
    }

    func testAWriteErrorOnTheSaveFileIsAWarning() throws {
        try XCTSkipUnless(geteuid() == 0, "live capture needs root")
        var before = stat()
        XCTAssertEqual(stat("/dev/full", &before), 0)
        let port = UInt16.random(in: 40_000...60_000)
        let receiver = try UDPSocket(bindingPort: port)
        let source = try LiveSource(interface: "lo", filter: "udp and port \(port)", duration: 1, savePath: "/dev/full")
        let sender = Thread {
            Thread.sleep(forTimeInterval: 0.1)
            let socket = try! UDPSocket(bindingPort: 0)
            for _ in 0..<20 { socket.send(Array(repeating: 0x41, count: 1000), toPort: port) }
        }
        sender.start()
        var count = 0
        XCTAssertEqual(try source.forEachPacket { _ in count += 1; return true }, .timeLimit)
        withExtendedLifetime(receiver) {}
        XCTAssertEqual(count, 20)
        XCTAssertEqual(source.warnings.count, 1)
        XCTAssertTrue(source.warnings.first?.hasPrefix("/dev/full: cannot write the saved capture: ") ?? false, "\(source.warnings)")
        var after = stat()
        XCTAssertEqual(stat("/dev/full", &after), 0)
        XCTAssertEqual(after.st_mode, before.st_mode)   // a device is never chmod-ed
    }
}
