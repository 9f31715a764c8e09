import XCTest
import Capture
import Simulator
@testable import Flows
@testable import Wire

/// `flow-v1` on frames built by the simulator's frame builder, checked against numbers worked out by hand.
final class FlowFeatureTests: XCTestCase {
    /// Runs frames through decode + FlowTable + FlowFeatureTracker, as `flows --model` does.
    func features(_ frames: [(Double, [UInt8])]) -> [(FlowRecord, [String: Double])] {
        var table = FlowTable(configuration: FlowTableConfiguration(keepFinished: true))
        var tracker = FlowFeatureTracker()
        for (time, frame) in frames {
            frame.withUnsafeBytes { bytes in
                let p = decode(linkType: LinkType(rawValue: 1), bytes: bytes)
                if let touch = table.process(p, bytes: bytes, time: time, frameLength: bytes.count) {
                    let r = table.records[touch.index]
                    tracker.add(p, bytes: bytes, touch: touch, flowID: r.id, clientIsLow: r.clientIsLow, time: time, frameLength: bytes.count)
                }
            }
        }
        table.finish()
        let flows = table.finished.sorted { $0.id < $1.id }
        return zip(flows, tracker.values(for: flows)).map { f, v in
            XCTAssertEqual(v.count, FlowFeatureSet.featureNames.count)
            return (f, Dictionary(uniqueKeysWithValues: zip(FlowFeatureSet.featureNames, v)))
        }
    }

    func testTLSConnection() throws {
        let hello = TLSBuilder.clientHello(serverName: "spclient.wg.spotify.com", seed: 3)
        let syn = tcp(phone, api, 50000, 443, .syn)
        let synAck = tcp(api, phone, 443, 50000, ack: 1, [.syn, .ack])
        let ack = tcp(phone, api, 50000, 443, seq: 1, ack: 1, .ack)
        let helloFrame = tcp(phone, api, 50000, 443, seq: 1, ack: 1, .ack, payload: hello)
        let data = tcp(api, phone, 443, 50000, seq: 1, ack: 1 + UInt32(hello.count), .ack, payload: [UInt8](repeating: 7, count: 1000))
        let fin = tcp(phone, api, 50000, 443, seq: 1 + UInt32(hello.count), ack: 1001, [.fin, .ack])
        let finBack = tcp(api, phone, 443, 50000, seq: 1001, ack: 2 + UInt32(hello.count), [.fin, .ack])
        let out = features([(10.0, syn), (10.1, synAck), (10.2, ack), (10.3, helloFrame), (10.5, data), (11.0, fin), (11.2, finBack)])
        XCTAssertEqual(out.count, 1)
        let f = out[0].1
        let up = [syn.count, ack.count, helloFrame.count, fin.count].map(Double.init)
        let down = [synAck.count, data.count, finBack.count].map(Double.init)
        XCTAssertEqual(f["flow_duration"]!, 1.2, accuracy: 1e-9)
        XCTAssertEqual(f["packets_up"], 4)
        XCTAssertEqual(f["packets_down"], 3)
        XCTAssertEqual(f["bytes_up"], up.reduce(0, +))
        XCTAssertEqual(f["bytes_down"], down.reduce(0, +))
        let meanUp = up.reduce(0, +) / 4
        XCTAssertEqual(f["size_mean_up"]!, meanUp, accuracy: 1e-9)
        XCTAssertEqual(f["size_std_up"]!, (up.map { ($0 - meanUp) * ($0 - meanUp) }.reduce(0, +) / 4).squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(f["size_min_up"], up.min())
        XCTAssertEqual(f["size_max_down"], Double(data.count))
        // Gaps up: 0.2, 0.1, 0.7; down: 0.4, 0.7; whole flow: six gaps over 1.2 s, the largest 0.5.
        XCTAssertEqual(f["iat_mean_up"]!, 1.0 / 3, accuracy: 1e-9)
        XCTAssertEqual(f["iat_max_up"]!, 0.7, accuracy: 1e-9)
        XCTAssertEqual(f["iat_mean_down"]!, 0.55, accuracy: 1e-9)
        XCTAssertEqual(f["iat_mean"]!, 0.2, accuracy: 1e-9)
        XCTAssertEqual(f["iat_max"]!, 0.5, accuracy: 1e-9)
        XCTAssertEqual(f["upload_packet_share"]!, 4.0 / 7, accuracy: 1e-12)
        XCTAssertEqual(f["empty_share_up"]!, 0.75, accuracy: 1e-12)   // SYN, ACK and FIN carry no payload
        XCTAssertEqual(f["empty_share_down"]!, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(f["first_size_up"], Double(syn.count))
        XCTAssertEqual(f["tls_hello"], 1)
        XCTAssertEqual(f["is_tcp"], 1)
        XCTAssertEqual(f["is_quic"], 0)
        XCTAssertEqual(f["server_port_class"], 0)
        XCTAssertEqual(f["client_port_class"], 2)
        XCTAssertEqual(f["same_port"], 0)
        XCTAssertEqual(f["server_group_address"], 0)
        XCTAssertEqual(f["client_local"], 1)
        XCTAssertEqual(f["server_local"], 0)
        XCTAssertEqual(f["ended_fin"], 1)
        XCTAssertEqual(f["ended_rst"], 0)
    }

    func testDiscoveryBroadcastAndUnnamedTCP() throws {
        let broadcast = IPAddress(192, 168, 1, 255)
        let spot = Array("SpotUdp0".utf8) + [UInt8](repeating: 1, count: 36)
        var frames: [(Double, [UInt8])] = []
        for (k, t) in [0.0, 3.0, 33.0].enumerated() {
            frames.append((100 + t, udp(phone, broadcast, 57621, 57621, spot + [UInt8(k)])))
        }
        // A TCP connection seen from its middle: the server sends first, then a SYN of a new one is not there;
        // the client comes from the ports (5223 < 49152 <= 50123), and its payload is not TLS.
        let push = IPAddress(17, 57, 144, 27)
        frames.append((101, tcp(push, phone, 5223, 50123, seq: 1, ack: 1, .ack, payload: [UInt8](repeating: 9, count: 500))))
        frames.append((101.1, tcp(phone, push, 50123, 5223, seq: 1, ack: 501, .ack, payload: [0x17, 0x03, 0x03, 0, 20] + [UInt8](repeating: 0, count: 20))))
        let out = features(frames)
        XCTAssertEqual(out.count, 2)
        let (spotFlow, s) = out.first { $0.0.serverPort == 57621 }!
        XCTAssertEqual(spotFlow.serverAddress, broadcast)
        XCTAssertEqual(s["packets_up"], 3)
        XCTAssertEqual(s["packets_down"], 0)
        XCTAssertEqual(s["bytes_down"], 0)
        XCTAssertEqual(s["size_mean_down"], 0)
        XCTAssertEqual(s["size_min_down"], 0)
        XCTAssertEqual(s["iat_mean_up"]!, 16.5, accuracy: 1e-9)
        XCTAssertEqual(s["iat_std_up"]!, 13.5, accuracy: 1e-9)
        XCTAssertEqual(s["iat_max_up"]!, 30, accuracy: 1e-9)
        XCTAssertEqual(s["upload_byte_share"], 1)
        XCTAssertEqual(s["same_port"], 1)
        XCTAssertEqual(s["server_group_address"], 1)
        XCTAssertEqual(s["server_local"], 1)
        XCTAssertEqual(s["is_tcp"], 0)
        XCTAssertEqual(s["tls_hello"], 0)
        XCTAssertEqual(s["server_port_class"], 2)
        XCTAssertEqual(s["bytes_per_second"]!, s["bytes_up"]! / 33, accuracy: 1e-9)

        let (pushFlow, p) = out.first { $0.0.serverPort == 5223 }!
        XCTAssertEqual(pushFlow.clientAddress, phone)
        XCTAssertEqual(p["packets_up"], 1)
        XCTAssertEqual(p["packets_down"], 1)
        XCTAssertEqual(p["first_size_down"], Double(frames[3].1.count))
        XCTAssertEqual(p["first_size_down"], Double(14 + 20 + 20 + 500))
        XCTAssertEqual(p["tls_hello"], 0)     // application data record, not a handshake
        XCTAssertEqual(p["server_port_class"], 1)
        XCTAssertEqual(p["ended_fin"], 0)
    }

    func testGroupAddresses() {
        XCTAssertTrue(FlowFeatureSet.isGroupAddress(IPAddress(224, 0, 0, 251)))
        XCTAssertTrue(FlowFeatureSet.isGroupAddress(IPAddress(239, 255, 255, 250)))
        XCTAssertTrue(FlowFeatureSet.isGroupAddress(IPAddress(255, 255, 255, 255)))
        XCTAssertTrue(FlowFeatureSet.isGroupAddress(IPAddress("ff02::fb")!))
        XCTAssertFalse(FlowFeatureSet.isGroupAddress(IPAddress(192, 168, 1, 1)))
        XCTAssertFalse(FlowFeatureSet.isGroupAddress(IPAddress("2001:db8::ff")!))
        XCTAssertEqual(FlowFeatureSet.portClass(443), 0)
        XCTAssertEqual(FlowFeatureSet.portClass(1024), 1)
        XCTAssertEqual(FlowFeatureSet.portClass(49152), 2)
    }
}
