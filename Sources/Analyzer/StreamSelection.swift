import Capture
import Features
import Flows
import Trees
import Wire

/// How streams are chosen when no flow carries one of the model's service names
/// (encrypted SNI, QUIC, a VPN tunnel, or a capture that started after the handshakes).
///
/// The rule, per client address (the client side of each flow):
/// 1. Candidates are the TCP / UDP flows whose service name is unknown (any flow, when the model
///    declares no service names), except DNS, mDNS, NTP,
///    DHCP and SSDP (ports 53, 5353, 123, 67/68, 1900), that brought the client at least
///    `minimumFlowBytes` of download.
/// 2. The client's top candidate is the one with the most download bytes. Every candidate with at
///    least `mergeFraction` of the top one's download bytes joins it: a client's media flows
///    (one TCP connection per track or per CDN host) merge into one stream.
///    When the model declares no service names (`namedToo`), only the candidates that last at least
///    `longLivedFraction` of the client's longest-lived candidate compete: such a model is about a
///    stream that lasts the session (video, a call), and an unrelated bulk download in the clear
///    moves more bytes in less time; inside a VPN tunnel everything is one flow either way.
/// 3. A client whose merged stream has less than `minimumStreamBytes` of download has no stream.
public struct StreamSelection: Sendable {
    public var minimumFlowBytes = 64 * 1024
    public var mergeFraction = 0.25
    public var minimumStreamBytes = 256 * 1024
    /// Without service names: a candidate must last at least this share of the longest-lived one.
    public var longLivedFraction = 0.5
    /// Follow the candidates while reading (`VolumeStreams`) so that a file is read once; off, the
    /// chosen flows are always read a second time (the reference the single pass is tested against).
    public var followWhileReading = true
    public init() {}

    static let ignoredPorts: Set<UInt16> = [53, 5353, 123, 67, 68, 1900, 137, 138, 5355]

    /// The chosen flows, grouped by client, largest stream first.
    public func fallbackStreams(_ flows: [FlowRecord], namedToo: Bool) -> [(client: IPAddress, flows: [FlowRecord])] {
        var byClient: [IPAddress: [FlowRecord]] = [:]
        for f in flows where (namedToo || f.serviceName == nil)
            && !Self.ignoredPorts.contains(f.serverPort) && !Self.ignoredPorts.contains(f.clientPort)
            && Int(f.toClient.bytes) >= minimumFlowBytes {
            byClient[f.clientAddress, default: []].append(f)
        }
        var out: [(client: IPAddress, flows: [FlowRecord], bytes: Int)] = []
        for (client, all) in byClient {
            let longest = all.map(\.duration).max() ?? 0
            let candidates = namedToo ? all.filter { $0.duration >= longLivedFraction * longest } : all
            let top = candidates.map { Int($0.toClient.bytes) }.max() ?? 0
            let merged = candidates.filter { Double($0.toClient.bytes) >= mergeFraction * Double(top) }
                .sorted { $0.firstTime < $1.firstTime }
            let bytes = merged.reduce(0) { $0 + Int($1.toClient.bytes) }
            if bytes >= minimumStreamBytes { out.append((client, merged, bytes)) }
        }
        return out.sorted { $0.bytes != $1.bytes ? $0.bytes > $1.bytes : $0.client < $1.client }.map { ($0.client, $0.flows) }
    }

    /// The `selection` sentence of a volume-chosen stream.
    static func volumeDescription(_ flows: [FlowRecord], namedToo: Bool) -> String {
        let down = TextReport.formatBytes(flows.reduce(0) { $0 + Int($1.toClient.bytes) })
        return (namedToo ? "the model declares no service names; the" : "no flow matched the service names; the")
            + " \(flows.count) \(namedToo ? "" : "unnamed ")flow(s) with the most download bytes (\(down))"
    }

    /// Why nothing was analysed, in one line, naming what the capture did hold.
    public func noStreamNote(patterns set: ServicePatternSet, flowCount: Int, namedCount: Int) -> String {
        let patterns = set.patterns.map(\.pattern).joined(separator: ", ")
        var note = "no stream found: "
        note += patterns.isEmpty ? "" : "no flow's TLS SNI or DNS name matches \(patterns); "
        note += patterns.isEmpty ? "no flow carried" : "no unnamed flow carried"
        note += " \(TextReport.formatBytes(minimumStreamBytes)) or more of download (\(flowCount) flows, \(namedCount) with a known name)"
        return note
    }
}

/// The second pass over a file: only the chosen flows' packets, fed to one unit per client. Used when
/// the single pass could not follow a chosen stream exactly (see `VolumeStreams`).
enum SecondPass {
    static func run(source: FileSource, linkType: LinkType, plan: FeaturePlan, model: TreeModel?,
                    chosen: [(client: IPAddress, flows: [FlowRecord])], observers: Observers) throws -> [StreamUnit] {
        var unitOfKey: [FlowKey: Int] = [:]
        var units: [StreamUnit] = []
        for (i, choice) in chosen.enumerated() {
            let unit = StreamUnit(
                client: choice.client, label: choice.client.description,
                selection: StreamSelection.volumeDescription(choice.flows, namedToo: plan.patterns.isEmpty),
                plan: plan, model: model, observers: observers)
            for f in choice.flows {
                unitOfKey[f.key] = i
                unit.noteFlow(f)
            }
            units.append(unit)
        }
        var start: Double?
        var last: Double?
        func route(_ packet: borrowing CapturedPacket, _ time: Double) {
            last = time
            if start == nil {
                start = time
                for u in units { u.captureStart = time }
            }
            let d = decode(linkType: linkType, bytes: packet.bytes)
            guard d.transport == .tcp || d.transport == .udp else { return }
            let (key, _) = FlowKey.make(src: d.src, srcPort: d.srcPort, dst: d.dst, dstPort: d.dstPort, ipProtocol: d.ipProtocol)
            guard let u = unitOfKey[key] else { return }
            let unit = units[u]
            let direction: PacketDirection = d.dst == unit.client ? .download : .upload
            unit.add(PacketSample(d, time: time, length: packet.originalLength, direction: direction))
            unit.noteClose(d, time: time, direction: direction)
        }
        // The same clock rules as the first pass, so the same packets fall in the same windows.
        var clock = CaptureClock()
        _ = try source.forEachPacket { packet in
            clock.feed(packet) { packet, time in route(packet, time) }
            return true
        }
        clock.finish()
        for u in units { u.finish(captureEnd: last) }
        return units
    }
}
