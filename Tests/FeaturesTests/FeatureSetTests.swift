import XCTest

@testable import Features

final class FeatureSetTests: XCTestCase {
    func testBuiltInSetsAreNamedVersionedAndOrdered() throws {
        XCTAssertEqual(FeatureSet.knownNames, ["reference-v1", "direction-v1", "stream-v1", "livevod-v1", "livevod-v2", "webcam-v1"])
        let reference = try FeatureSet.named("reference-v1")
        XCTAssertEqual(reference.featureNames.count, 37)
        XCTAssertEqual(reference.featureNames.first, "bytes_per_second")
        XCTAssertEqual(reference.featureNames.last, "iat_per_byte")
        XCTAssertEqual(try FeatureSet.named("reference").name, "reference-v1")
        XCTAssertEqual(try FeatureSet.named("livevod").name, "livevod-v2", "without a version: the latest")
        XCTAssertEqual(try FeatureSet.named("livevod-v1").name, "livevod-v1")
        let stream = try FeatureSet.named("stream-v1")
        XCTAssertEqual(Array(stream.featureNames.prefix(37)), reference.featureNames)
        XCTAssertEqual(stream.families, [.reference, .direction, .context])
        XCTAssertEqual(try FeatureSet.named("webcam-v1").featureNames.count, 12)
        XCTAssertEqual(try FeatureSet.named("webcam-v1").defaultConfig.window, 0.5)
    }

    func testResolveKeepsTheGivenOrder() throws {
        let set = try FeatureSet.resolve(names: ["iat_per_byte", "Bit Rate", "ctx_down_bytes_per_second", "bytes_total"])
        XCTAssertEqual(set.featureNames, ["iat_per_byte", "Bit Rate", "ctx_down_bytes_per_second", "bytes_total"])
        XCTAssertEqual(set.families, [.reference, .context, .webcam])
        var config = WindowConfig.reference
        config.minPackets = 1
        config.skipZeroDuration = false
        let windows = try extract(samples([0, 1, 2, 3.5], size: 100), set: set, config: config)
        XCTAssertEqual(windows.count, 1)
        XCTAssertEqual(windows[0].values.count, 4)
        XCTAssertEqual(windows[0].values[3], 300)  // bytes_total
        XCTAssertEqual(windows[0].values[1], 100)  // Bit Rate = 300 B / 3 s
        XCTAssertEqual(windows[0].values[0], 2.0 / 300, accuracy: 1e-15)  // iat_per_byte
    }

    func testUnknownFeatureIsAnErrorNamingIt() {
        XCTAssertThrowsError(try FeatureSet.resolve(names: ["bytes_total", "tls_version", "mean_iat"])) { error in
            XCTAssertEqual(error as? FeatureError, .unknownFeature("tls_version"))
            XCTAssertTrue("\(error)".contains("tls_version"), "\(error)")
        }
        XCTAssertThrowsError(try FeatureSet.named("reference-v9")) { error in
            XCTAssertEqual(error as? FeatureError, .unknownFeatureSet("reference-v9"))
            XCTAssertTrue("\(error)".contains("reference-v1"))
        }
        XCTAssertThrowsError(try FeatureSet.resolve(names: ["bytes_total", "bytes_total"])) { error in
            XCTAssertEqual(error as? FeatureError, .duplicateFeature("bytes_total"))
        }
        XCTAssertThrowsError(try FeatureSet.resolve(names: [])) { error in
            XCTAssertEqual(error as? FeatureError, .emptyFeatureList)
        }
    }

    func testFeatureNamesAreUniqueAcrossFamilies() {
        let all = FeatureFamily.allCases.flatMap(\.featureNames)
        XCTAssertEqual(Set(all).count, all.count)
    }
}

/// The reference names derive from `ReferenceSlot`: they must stay the reference analyzer's list,
/// in its order (the contract with models trained by the reference code).
final class ReferenceSlotTests: XCTestCase {
    func testNamesAreTheReferenceListInOrder() {
        let published = [
            "bytes_per_second", "packets_per_second", "bytes_total", "mean_pkt_size", "std_pkt_size",
            "min_pkt_size", "max_pkt_size", "p10_pkt_size", "p25_pkt_size", "p50_pkt_size", "p75_pkt_size",
            "p90_pkt_size", "p95_pkt_size", "large_pkt_ratio", "small_pkt_ratio", "medium_pkt_ratio",
            "pkt_size_range", "pkt_size_iqr", "pkt_size_skew", "pkt_size_kurtosis", "mean_iat", "std_iat",
            "min_iat", "max_iat", "p10_iat", "p50_iat", "p90_iat", "cv_iat", "iat_range", "burst_count",
            "mean_burst_packets", "max_burst_packets", "std_burst_packets", "burst_bytes_ratio",
            "entropy_pkt_sizes", "bytes_per_packet", "iat_per_byte",
        ]
        XCTAssertEqual(FeatureFamily.referenceNames, published)
        XCTAssertEqual(ReferenceSlot.allCases.map(\.rawValue), Array(0..<37))
    }
}
