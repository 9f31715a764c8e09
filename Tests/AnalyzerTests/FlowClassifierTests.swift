import XCTest
import Simulator
import Capture
@testable import Analyzer
@testable import Flows
import Trees
import Wire

/// The decision order of a flow model (name, then port, then the trees with the model threshold), with a
/// one-split model built in code: `same_port <= 0.5` → other for sure, else P(spotify) = 0.8.
final class FlowClassifierTests: XCTestCase {
    func model(threshold: Double?) throws -> TreeModel {
        let tree = TreeArrays(feature: [0, -1, -1],
                              threshold: [0.5, 0, 0], left: [1, -1, -1], right: [2, -1, -1], missingLeft: [true, false, false],
                              value: [0, 0, 1, 0, 0.2, 0.8])
        var m = try TreeModel(name: "toy-flow", task: "is this flow Spotify?", classes: ["other", "spotify"], featureSet: "flow-v1",
                              featureNames: ["same_port"],
                              ensemble: TreeEnsemble(kind: .decisionTree, comparison: .lessOrEqual, aggregation: .meanDistribution, trees: [tree]))
        m.flowRules = FlowRules(positiveClass: "spotify", namePatterns: ["*.spotify.com", "*.scdn.co"],
                                ports: [.init(proto: "udp", port: 57621), .init(proto: "tcp", port: 4070)], modelThreshold: threshold)
        return m
    }

    /// Writes frames to a pcap and returns the flows report with a classifier.
    func report(_ frames: [[UInt8]], classifier: FlowClassifier) throws -> FlowsReport {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("flowclass-\(UUID().uuidString).pcap").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let w = try PcapWriter(path: path, linkType: PcapLinkType.ethernet)
        var t = 1_700_000_000.0
        for f in frames { t += 0.5; try w.write(timestamp: t, frame: f) }
        try w.close()
        return try FlowsReport.build(path: path, classifier: classifier)
    }

    func frames() -> [[UInt8]] {
        let me = IPAddress(192, 168, 1, 20), resolver = IPAddress(192, 168, 1, 1)
        let cdn = IPAddress(151, 101, 2, 133), ap = IPAddress(104, 154, 127, 126), other = IPAddress(93, 184, 216, 34)
        let bcast = IPAddress(192, 168, 1, 255)
        var out: [[UInt8]] = []
        // DNS: cdn is audio4-fa.scdn.co.
        out.append(FrameBuilder.udp(src: me, dst: resolver, srcPort: 40000, dstPort: 53, payload: DNSBuilder.query(id: 1, name: "audio4-fa.scdn.co")))
        out.append(FrameBuilder.udp(src: resolver, dst: me, srcPort: 53, dstPort: 40000,
                                    payload: DNSBuilder.response(id: 1, question: "audio4-fa.scdn.co", answers: [.a("audio4-fa.scdn.co", cdn)])))
        out.append(FrameBuilder.tcp(src: me, dst: cdn, srcPort: 50000, dstPort: 443, seq: 0, flags: .syn))
        // A named non-Spotify host on the Spotify AP port is decided by its name.
        out.append(FrameBuilder.tcp(src: me, dst: other, srcPort: 50001, dstPort: 443, seq: 0, flags: .syn))
        out.append(FrameBuilder.tcp(src: me, dst: other, srcPort: 50001, dstPort: 443, seq: 1, ack: 1, flags: .ack,
                                    payload: TLSBuilder.clientHello(serverName: "www.example.org", seed: 2)))
        out.append(FrameBuilder.tcp(src: me, dst: ap, srcPort: 50002, dstPort: 4070, seq: 0, flags: .syn))
        out.append(FrameBuilder.udp(src: me, dst: bcast, srcPort: 57621, dstPort: 57621, payload: Array("SpotUdp0".utf8) + [UInt8](repeating: 0, count: 36)))
        // Unnamed, no Spotify port, same port both sides: the tree says P(spotify) = 0.8.
        out.append(FrameBuilder.udp(src: me, dst: bcast, srcPort: 17500, dstPort: 17500, payload: [UInt8](repeating: 1, count: 150)))
        return out
    }

    func answers(threshold: Double?) throws -> [String: FlowClassification] {
        let r = try report(frames(), classifier: FlowClassifier(model: model(threshold: threshold)))
        XCTAssertEqual(r.flowFeatures?.count, r.flows.count)
        XCTAssertEqual(r.modelName, "toy-flow")
        // Keyed by server port (the two 443 flows are checked by name in testNamesDecideFirst).
        return Dictionary(zip(r.flows, r.classifications!).filter { $0.0.serverPort != 443 }
            .map { ("\($0.0.serverPort)/\($0.0.protocolName)", $0.1) }, uniquingKeysWith: { a, _ in a })
    }

    func testDecisionOrderAndThreshold() throws {
        let a = try answers(threshold: 0.9)
        XCTAssertEqual(a["4070/TCP"], FlowClassification(label: "spotify", confidence: 1, decidedBy: .port))
        XCTAssertEqual(a["57621/UDP"], FlowClassification(label: "spotify", confidence: 1, decidedBy: .port))
        XCTAssertEqual(a["53/UDP"]?.label, "other")
        XCTAssertEqual(a["53/UDP"]?.decidedBy, .model)
        XCTAssertEqual(a["53/UDP"]?.confidence ?? .nan, 1, accuracy: 1e-12)
        // P(spotify) 0.8 is below the threshold 0.9: other, with the trees' probability of other.
        XCTAssertEqual(a["17500/UDP"]?.label, "other")
        XCTAssertEqual(a["17500/UDP"]?.decidedBy, .model)
        XCTAssertEqual(a["17500/UDP"]?.confidence ?? .nan, 0.2, accuracy: 1e-12)
        // Without a threshold (top class), or a lower one, the same flow is Spotify by the model.
        for t in [nil, 0.7] as [Double?] {
            let b = try answers(threshold: t)
            XCTAssertEqual(b["17500/UDP"]?.label, "spotify")
            XCTAssertEqual(b["17500/UDP"]?.confidence ?? .nan, 0.8, accuracy: 1e-12)
        }
    }

    func testNamesDecideFirst() throws {
        let r = try report(frames(), classifier: FlowClassifier(model: model(threshold: 0.9)))
        let named = zip(r.flows, r.classifications!).filter { $0.0.serverPort == 443 }
        XCTAssertEqual(named.count, 2)
        for (f, c) in named {
            XCTAssertEqual(c.decidedBy, .name)
            XCTAssertEqual(c.label, f.serviceName == "audio4-fa.scdn.co" ? "spotify" : "other", "\(f.serviceName ?? "-")")
        }
        let text = r.text()
        XCTAssertTrue(text.contains("model toy-flow: 3 other (name 1, model 2); 3 spotify (name 1, port 2)\n"), text)
    }

    func testModelsThatAreNotFlowModelsAreRefused() throws {
        var m = try model(threshold: nil)
        m.flowRules = nil
        XCTAssertThrowsError(try FlowClassifier(model: m)) { XCTAssertTrue("\($0)".contains("not a flow model")) }
        var wrongSet = try model(threshold: nil)
        wrongSet.featureSet = "stream-v1"
        XCTAssertThrowsError(try FlowClassifier(model: wrongSet)) { XCTAssertTrue("\($0)".contains("flow-v1")) }
        var badRule = FlowRules(positiveClass: "spotify", namePatterns: [], ports: [], modelThreshold: 1.5)
        XCTAssertThrowsError(try TreeModel.decode(json: jsonWithRules(&badRule), source: "t.json")) {
            XCTAssertTrue("\($0)".contains("model_threshold"), "\($0)")
        }
    }

    /// A minimal flow model file carrying `rules`.
    func jsonWithRules(_ rules: inout FlowRules) -> String {
        let r = String(decoding: try! JSONEncoder().encode(rules), as: UTF8.self)
        return """
        {"format":"streamprobe-model","format_version":1,"name":"t","task":"t","classes":["other","spotify"],"feature_set":"flow-v1",
         "features":["same_port"],"ensemble":{"kind":"decision_tree","comparison":"<=","aggregation":"mean_distribution",
         "trees":[{"feature":[-1],"threshold":[0],"left":[-1],"right":[-1],"missing_left":[0],"value":[1,0]}]},"flow_rules":\(r)}
        """
    }
}
