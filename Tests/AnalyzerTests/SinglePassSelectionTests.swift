import Capture
import Foundation
import Simulator
import Trees
import XCTest
@testable import Analyzer

/// Streams chosen by download volume are followed in the one pass (`VolumeStreams`): the report
/// must be the one a second reading of the chosen flows gives, and a file must be read once when
/// the followed units hold exactly the chosen flows.
final class SinglePassSelectionTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamprobe-onepass-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func json(_ report: CaptureReport, classes: [String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.userInfo[.streamprobeClasses] = classes
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    /// Analyses `path` with the single pass and with the second reading; returns whether the single
    /// pass had to read the file again.
    @discardableResult
    func assertSameAsSecondReading(_ path: String, model name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Bool {
        let model = try BoundModel(try ModelLocator.resolve(nameOrPath: name, embedded: EmbeddedModels.json))
        let one = CaptureAnalyzer(model: model)
        var rows: [String] = []
        one.onRow = { unit, w in rows.append("\(unit) \(w.index) \(w.packetCount) \(w.values)") }
        let single = try one.analyze(path: path)
        var options = AnalysisOptions()
        options.selection.followWhileReading = false
        let two = CaptureAnalyzer(model: model, options: options)
        var referenceRows: [String] = []
        two.onRow = { unit, w in referenceRows.append("\(unit) \(w.index) \(w.packetCount) \(w.values)") }
        let reference = try two.analyze(path: path)
        XCTAssertFalse(reference.streams.isEmpty, "no stream in \(path)", file: file, line: line)
        XCTAssertEqual(try json(single, classes: model.model.classes), try json(reference, classes: model.model.classes),
                       "\(path) with \(name)", file: file, line: line)
        XCTAssertEqual(rows, referenceRows, "rows of \(path) with \(name)", file: file, line: line)
        XCTAssertTrue(two.lastRunReadTwice)
        return one.lastRunReadTwice
    }

    func write(_ profile: String, link: LinkProfile?, background: [BackgroundMix] = [], clients: Int = 1, vpn: Bool = false,
               download: DownloadBehaviour? = nil, seconds: Double = 240, seed: UInt64) throws -> String {
        let path = directory.appendingPathComponent("\(profile.replacingOccurrences(of: ":", with: "-"))-\(seed).pcap").path
        var options = SimulationOptions()
        options.clients = clients
        options.vpn = vpn
        try Session(profile: Profile(parsing: profile)!, link: link, download: download, background: background,
                    duration: seconds, seed: seed, options: options).write(to: path)
        return path
    }

    /// Live capture inside a VPN (no service name): the tunnel is followed as it is read and each window
    /// line comes within a second (of capture time) of the window's end, also when the stream is silent
    /// (the live source's clock moves on without packets).
    func testLiveLinesOfATunnelComeWithinASecond() throws {
        let path = try write("spotify:high", link: .cable, background: [.web, .dns], vpn: true, download: .paced, seed: 64)
        let model = try BoundModel(try ModelLocator.resolve(nameOrPath: "spotify-quality", embedded: EmbeddedModels.json))
        let source = ReplayedLiveSource(try FileSource(path: path))
        let analyzer = CaptureAnalyzer(model: model)
        var lags: [Double] = []
        analyzer.onWindow = { _, w in if !w.idle { lags.append(source.now - w.endEpoch) } }
        let report = try analyzer.analyze(source: source, reread: nil)
        XCTAssertEqual(report.streams.count, 1)
        XCTAssertGreaterThan(lags.count, 30)
        XCTAssertLessThanOrEqual(lags.max() ?? .nan, 1.0, "the latest window line came \(lags.max() ?? .nan) s after its window")
    }

    /// Inside a VPN tunnel every client's traffic is one flow: followed exactly, read once.
    func testVPNTunnelIsFollowedInOnePass() throws {
        let path = try write("spotify:normal", link: .cable, background: [.web, .dns], vpn: true, download: .bulk, seed: 61)
        for model in ["spotify-quality", "live-vs-vod", "webcam-presence"] {
            XCTAssertFalse(try assertSameAsSecondReading(path, model: model), "read twice with \(model)")
        }
    }

    /// Video in a tunnel and a call: the models without service names.
    func testVideoAndCallMatchTheSecondReading() throws {
        let video = try write("video:vod+vpn", link: .cable, background: [.web], seed: 62)
        let call = try write("call:alternate", link: .cable, seed: 63)
        for model in ["live-vs-vod", "webcam-presence", "spotify-quality"] { try assertSameAsSecondReading(video, model: model) }
        for model in ["live-vs-vod", "webcam-presence"] { try assertSameAsSecondReading(call, model: model) }
    }

    /// Several clients in tunnels, and flows the end-of-capture rule leaves out (the file is read
    /// again for those): the report is the second reading's either way.
    func testSeveralClientsAndMixedFlowsMatchTheSecondReading() throws {
        let tunnels = try write("spotify:high", link: .lte, background: [.web, .quic], clients: 3, vpn: true, seed: 64)
        XCTAssertFalse(try assertSameAsSecondReading(tunnels, model: "spotify-quality"))
        let clear = try write("spotify:low", link: .cable, background: [.web, .download], seed: 65)
        for model in ["live-vs-vod", "webcam-presence"] { try assertSameAsSecondReading(clear, model: model) }
    }
}

/// A capture file handed on as a live capture hands on packets (it ends on the clock), with the time
/// of the packet it handed on last.
final class ReplayedLiveSource: PacketSource {
    let file: FileSource
    private(set) var now = 0.0
    init(_ file: FileSource) { self.file = file }
    var name: String { file.name }
    var linkType: Int32 { file.linkType }
    var linkTypeName: String { file.linkTypeName }
    var warnings: [String] { file.warnings }
    var bytesRead: Int64 { file.bytesRead }
    var endsOnTheClock: Bool { true }
    func forEachPacket(_ body: (borrowing CapturedPacket) throws -> Bool) throws -> SourceEnd {
        try forEachPacket(body, idle: { _ in })
    }
    /// As a live capture does: between packets more than `idleInterval` apart, the time every `idleInterval`.
    func forEachPacket(_ body: (borrowing CapturedPacket) throws -> Bool, idle: (Double) throws -> Void) throws -> SourceEnd {
        try file.forEachPacket { packet in
            let time = Double(packet.timestamp.seconds) + Double(packet.timestamp.nanoseconds) / 1e9
            if now > 0 {
                var t = now + Self.idleInterval
                while t < time { now = t; try idle(t); t += Self.idleInterval }
            }
            now = time
            return try body(packet)
        }
    }
}
