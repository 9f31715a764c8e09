import XCTest
@testable import Analyzer

final class ServicePatternTests: XCTestCase {
    /// The byte path (printable-ASCII names) answers as the rule on `String`s does.
    func testBytePathMatchesCharacterRule() {
        let patterns = ["audio*.scdn.co", "*.spotifycdn.com", "audio-ak-spotify-com.akamaized.net", "audio*.spotify.com.edgesuite.net",
                        "*", "a*b*c", "*cdn*", "x*", "*.", "Audio*.SCDN.co", "é*.com"]
        let names = ["audio-fa.scdn.co", "AUDIO4.scdn.co.", "audio.scdn.co..", "scdn.co", "audio-fa.scdn.com", "x.spotifycdn.com",
                     ".spotifycdn.com", "spotifycdn.com", "abc", "aXbYc", "acb", "cdn", "xcdny", "x", "", ".", "..",
                     "audio-ak-spotify-com.akamaized.net", "audio1.spotify.com.edgesuite.net", "a b.scdn.co", "é.com",
                     "audio\u{301}x.scdn.co", "Ab*c", "audio*.scdn.co"]
        for p in patterns {
            let pattern = ServicePattern(p)
            for n in names {
                XCTAssertEqual(pattern.matches(n), pattern.matchesByCharacters(n), "\(p) on \(n)")
                XCTAssertEqual(ServicePatternSet([p]).matches(n), pattern.matchesByCharacters(n) && !n.isEmpty, "\(p) on \(n)")
            }
        }
    }

    func testGlobMatching() {
        let p = ServicePattern("audio*.scdn.co")
        XCTAssertTrue(p.matches("audio4-fa.scdn.co"))
        XCTAssertTrue(p.matches("AUDIO-fa.scdn.co."))
        XCTAssertFalse(p.matches("i.scdn.co"))
        XCTAssertFalse(p.matches("audio4-fa.scdn.com"))
        XCTAssertTrue(ServicePattern("*.spotifycdn.com").matches("audio-cf.spotifycdn.com"))
        XCTAssertFalse(ServicePattern("*.spotifycdn.com").matches("spotifycdn.com.evil.net"))
        XCTAssertTrue(ServicePattern("audio-ak-spotify-com.akamaized.net").matches("audio-ak-spotify-com.akamaized.net"))
        XCTAssertFalse(ServicePattern("audio-ak-spotify-com.akamaized.net").matches("x.audio-ak-spotify-com.akamaized.net"))
        XCTAssertTrue(ServicePattern("*dealer*").matches("gew1-dealer.spotify.com"))
        let set = ServicePatternSet(["audio*.scdn.co", "*.spotifycdn.com"])
        XCTAssertFalse(set.matches(nil))
        XCTAssertTrue(set.matches("audio-gm-off.spotifycdn.com"))
    }
}

final class StreamVerdictTests: XCTestCase {
    func testMeanProbabilitiesMajorityAndDisagreement() {
        let classes = ["a", "b", "c"]
        // Two windows mildly 'a', one window strongly 'c': the mean says c, the majority says a.
        let v = StreamVerdict(classes: classes, windowProbabilities: [[0.5, 0.1, 0.4], [0.5, 0.1, 0.4], [0.0, 0.0, 1.0]])
        XCTAssertEqual(v.label, "c")
        XCTAssertEqual(v.confidence!, 0.6, accuracy: 1e-12)
        XCTAssertEqual(v.final, "a")
        XCTAssertEqual(v.windowShare.map(\.share), [2.0 / 3, 0, 1.0 / 3])
        XCTAssertNotNil(v.disagreement)
        let agree = StreamVerdict(classes: classes, windowProbabilities: [[0.1, 0.8, 0.1]])
        XCTAssertEqual(agree.label, "b")
        XCTAssertEqual(agree.final, "b")
        XCTAssertNil(agree.disagreement)
        let none = StreamVerdict(classes: classes, windowProbabilities: [])
        XCTAssertNil(none.label)
        XCTAssertNil(none.final)
    }

    func testWindowRunsFold() {
        func w(_ i: Int, _ label: String?, skipped: Bool = false) -> WindowReport {
            WindowReport(index: i, start: Double(i) * 3, end: Double(i + 1) * 3, packets: skipped ? 2 : 100, skipped: skipped,
                         label: label, confidence: label == nil ? nil : 0.9, probabilities: nil)
        }
        let windows = [w(0, "high"), w(1, "high"), w(2, nil, skipped: true), w(3, nil, skipped: true), w(4, nil, skipped: true),
                       w(5, nil, skipped: true), w(6, "low")]
        let lines = TextReport.windowLines(windows)
        XCTAssertEqual(lines.count, 4, lines.joined(separator: "\n"))
        XCTAssertTrue(lines[2].contains("skipped ×4"), lines[2])
        XCTAssertTrue(lines[2].contains("8 packets"), lines[2])
        XCTAssertTrue(lines[3].contains("low"))
    }

    func testBarsAndNumbers() {
        XCTAssertEqual(TextReport.bar(1, width: 4, unicode: true), "████")
        XCTAssertEqual(TextReport.bar(0.5, width: 4, unicode: true), "██")
        XCTAssertEqual(TextReport.bar(0.3, width: 4, unicode: true), "█▎")  // 9.6 eighths → 10
        XCTAssertEqual(TextReport.bar(0, width: 4, unicode: true), "")
        // The C locale gets ASCII.
        XCTAssertEqual(TextReport.bar(0.5, width: 4, unicode: false), "##")
        XCTAssertEqual(TextReport.bar(.nan, width: 4, unicode: false), "")
        XCTAssertEqual(TextReport.grouped(1234567), "1,234,567")
        XCTAssertEqual(TextReport.formatBytes(4_200_000), "4.20 MB")
    }
}
