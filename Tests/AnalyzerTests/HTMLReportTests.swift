import Foundation
import Simulator
import Trees
import XCTest
@testable import Analyzer

/// The HTML page is self-contained (no script, no network), draws one band per window in its class's
/// colour with the confidence line, and escapes what it shows.
final class HTMLReportTests: XCTestCase {
    func testAPageForACapture() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("streamprobe-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("a<b>&c.pcap").path
        try Session(profile: .spotify(.high), link: .cable, download: .paced, duration: 60, seed: 93).write(to: path)
        let model = try BoundModel(try ModelLocator.resolve(nameOrPath: "spotify-quality", embedded: EmbeddedModels.json))
        let report = try CaptureAnalyzer(model: model).analyze(path: path)
        let html = HTMLReport.render(report, modelCard: "card <text>")
        let stream = try XCTUnwrap(report.streams.first)
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.hasSuffix("</html>\n"))
        XCTAssertEqual(html.components(separatedBy: "<rect class=\"window\"").count - 1, stream.windows.count)
        XCTAssertTrue(html.contains("<polyline class=\"confidence\""))
        XCTAssertFalse(html.lowercased().contains("<script"), "no script")
        XCTAssertFalse(html.contains("http://") || html.contains("https://") || html.contains("src="), "nothing loaded from elsewhere")
        XCTAssertTrue(html.contains("a&lt;b&gt;&amp;c.pcap"))
        XCTAssertFalse(html.contains("a<b>&c"))
        XCTAssertTrue(html.contains("card &lt;text&gt;"))
        // The answer's class colour is the one of its position in the model's classes.
        let i = try XCTUnwrap(report.model.classes.firstIndex(of: try XCTUnwrap(stream.final)))
        XCTAssertTrue(html.contains("fill=\"\(HTMLReport.palette[i])\""))
    }
}
