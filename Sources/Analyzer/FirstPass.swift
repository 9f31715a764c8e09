import Capture
import Features
import Flows
import Foundation
import Trees
import Wire

/// What becomes of a flow's packets in the analysis.
enum FlowRoute: Equatable {
    /// Not decided yet: the flow has no service name so far (the ClientHello may come a few packets in).
    case pending
    /// Its packets go to this unit (index into the analyzer's units).
    case unit(Int32)
    /// Not the model's service: its packets are not analysed.
    case ignored
    /// No service name (so far), followed in case streams are chosen by volume (`VolumeStreams`):
    /// a candidate, not (yet) in its client's unit.
    case held
    /// The same, joined to its volume client's unit.
    case joined(Int32)
}

/// What the analyzer keeps of ended flows: counts, and the flows big enough to be chosen by volume.
final class EndedFlows {
    let minimumBytes: Int
    private(set) var candidates: [FlowRecord] = []
    private(set) var count = 0
    private(set) var named = 0
    /// Listed flows of the units (flow id → unit): their final byte counts go to the report when they end.
    private var watchers: [UInt64: StreamUnit] = [:]
    init(minimumBytes: Int) { self.minimumBytes = minimumBytes }
    func watch(_ record: FlowRecord, by unit: StreamUnit) {
        if unit.noteFlow(record) { watchers[record.id] = unit }
    }
    /// Told of every ended flow while streams may be chosen by volume.
    weak var volume: VolumeStreams?
    func add(_ record: FlowRecord) {
        if let unit = watchers.removeValue(forKey: record.id) { unit.finishFlow(record) }
        volume?.flowEnded(record)
        count += 1
        if record.serviceName != nil { named += 1 }
        if Int(record.toClient.bytes) >= minimumBytes { candidates.append(record) }
    }
}

/// The single pass: protocol summary, flow table with names, and the units fed as packets arrive.
struct FirstPass {
    let plan: FeaturePlan
    let model: TreeModel?
    let options: AnalysisOptions
    let linkType: LinkType
    let observers: Observers
    var flows: FlowTable
    let ended: EndedFlows
    var summary = ProtocolSummary()
    var undecodable = 0
    /// Packets the capture's snap length cut (captured bytes < wire length).
    var cutPackets = 0
    var firstTime: Double?
    var lastTime: Double?
    /// What becomes of each flow's packets, by flow index (indices are reused: reset on a new flow).
    var routes: [FlowRoute] = []
    var units: [StreamUnit] = []
    /// `units`, unretained (`units` keeps them alive; appended together): a packet's unit without a
    /// retain and release per packet.
    private var unitRefs: [Unmanaged<StreamUnit>] = []
    var unitByClient: [IPAddress: Int] = [:]
    /// Every `clockTick` of capture time, silent units' windows that ended are emitted (live mode
    /// shows them as they complete, not when the unit's next packet comes).
    var nextClockTick = -Double.infinity
    /// Seconds of capture time between clock ticks: 0.5, a quarter second in a live capture (its lines
    /// must come within a second of their window's end).
    var clockTick = 0.5
    /// Streams chosen by download volume, followed while no flow has a service name (streams scope).
    var volume: VolumeStreams? {
        didSet { volumeRef = volume.map { Unmanaged.passUnretained($0) } }
    }
    /// `volume`, unretained (`volume` keeps it alive): the per-packet calls without a retain and release.
    private var volumeRef: Unmanaged<VolumeStreams>?

    /// `passThrough`: the volume units' observer calls go out as they happen (live capture, a pipe);
    /// `canReread`: the input can be read a second time (a file, or a live capture's saved file).
    /// `live`: a live capture (volume-chosen flows wait `VolumeStreams.liveDelay`, not `fileDelay`).
    init(plan: FeaturePlan, model: TreeModel?, options: AnalysisOptions, linkType: LinkType, observers: Observers,
         passThrough: Bool, canReread: Bool, live: Bool = false) {
        self.plan = plan
        self.model = model
        self.options = options
        self.linkType = linkType
        self.observers = observers
        if live { clockTick = 0.25 }
        // Ended flows are not kept: only the few that could form a stream by volume (bounded memory).
        let ended = EndedFlows(minimumBytes: options.selection.minimumFlowBytes)
        self.ended = ended
        var table = FlowTable(configuration: FlowTableConfiguration(keepFinished: false, maximumLiveFlows: options.maximumLiveFlows))
        table.onFinish = { ended.add($0) }
        self.flows = table
        let single: (label: String, client: IPAddress?, selection: String)?
        switch options.scope {
        case .reference:
            single = ("reference scope", nil, "every IPv4 packet longer than 60 bytes, all flows mixed (--scope reference)")
        case .client(let address):
            single = (address.description, address, "every IP packet to or from \(address) (--client)")
        case .all:
            single = ("all flows", nil, options.filter.map { "every IP packet the filter '\($0)' passed, all flows mixed" }
                        ?? "every IP packet, all flows mixed")
        case .streams:
            single = nil
            guard options.selection.followWhileReading else { break }
            volume = VolumeStreams(selection: options.selection, namedToo: plan.patterns.isEmpty, plan: plan, model: model,
                                   observers: observers, passThrough: passThrough, canReread: canReread, live: live)
            ended.volume = volume
            volumeRef = volume.map { Unmanaged.passUnretained($0) }  // (no didSet in an initializer)
        }
        if let single {
            units = [StreamUnit(client: single.client, label: single.label, selection: single.selection, plan: plan,
                                model: model, observers: observers)]
            unitRefs = units.map { Unmanaged.passUnretained($0) }
        }
    }

    /// Every unit's windows that ended by `time`, as they complete (every `clockTick` of packets).
    private mutating func tick(_ time: Double) {
        for u in units { u.advanceClock(to: time) }
        // Kept calls are handed on in the order a second reading would make them: that reading
        // feeds units their packets only (no clock), so only passed-through units follow the clock.
        if let volume, volume.passThrough { volume.advanceClock(to: time - volume.delay) }
        nextClockTick = time + clockTick
    }

    /// A live capture's clock while no packet comes (`CaptureClock.idle`): queued packets that are due
    /// go to their units, and windows that ended by `time` are emitted.
    mutating func advanceClock(to time: Double) {
        guard firstTime != nil else { return }
        lastTime = time
        if let volume { volume.releaseIfDue(now: time) }
        tick(time)
    }

    /// One packet at `time`, its timestamp as `CaptureClock` hands it on (never going back).
    mutating func consume(_ packet: borrowing CapturedPacket, time: Double) {
        if firstTime == nil {
            firstTime = time
            for u in units { u.captureStart = time }
            volume?.captureStart = time
            observers.onCaptureStart?(time)
        }
        lastTime = time
        if let volumeRef { volumeRef._withUnsafeGuaranteedRef { $0.releaseIfDue(now: time) } }
        if time >= nextClockTick { tick(time) }
        let decoded = decode(linkType: linkType, bytes: packet.bytes)
        summary.count(decoded, frameLength: packet.originalLength)
        if packet.capturedLength < packet.originalLength { cutPackets += 1 }
        if decoded.anomaly != nil { undecodable += 1 }
        guard decoded.network == .ipv4 || decoded.network == .ipv6 else { return }
        let touch = flows.process(decoded, bytes: packet.bytes, time: time, frameLength: packet.originalLength)
        // Sizes are what the wire carried (tshark's frame.len), whatever the snap length kept.
        let length = packet.originalLength

        switch options.scope {
        case .streams:
            if let touch { route(touch, decoded: decoded, frameLength: length, time: time) }
        case .reference:
            guard decoded.network == .ipv4, length > 60 else { return }
            feedSingle(decoded, touch: touch, time: time, length: length, direction: direction(of: touch))
        case .client(let address):
            guard decoded.src == address || decoded.dst == address else { return }
            feedSingle(decoded, touch: touch, time: time, length: length, direction: decoded.dst == address ? .download : .upload)
        case .all:
            feedSingle(decoded, touch: touch, time: time, length: length, direction: direction(of: touch))
        }
    }

    @inline(__always)
    func direction(of touch: FlowTouch?) -> PacketDirection {
        guard let touch else { return .unknown }
        return touch.direction == .serverToClient ? .download : .upload
    }

    @inline(__always)
    mutating func feedSingle(_ decoded: DecodedPacket, touch: FlowTouch?, time: Double, length: Int, direction: PacketDirection) {
        unitRefs[0]._withUnsafeGuaranteedRef { unit in
            unit.add(PacketSample(decoded, time: time, length: length, direction: direction))
            unit.noteClose(decoded, time: time, direction: direction)
        }
        guard let touch else { return }
        // Single-unit scopes: every packet is the unit's; a flow's first packet lists it in the unit.
        let index = touch.index
        growRoutes(to: index)
        if touch.isNew || routes[index] == .pending {
            routes[index] = .unit(0)
            ended.watch(flows.records[index], by: units[0])
        }
    }

    /// Streams scope: a packet of a flow whose service name matches the plan goes to its client's
    /// unit; until some flow matches, flows that could be chosen by volume are followed.
    @inline(__always)
    mutating func route(_ touch: FlowTouch, decoded: DecodedPacket, frameLength: Int, time: Double) {
        let index = touch.index
        growRoutes(to: index)
        if touch.isNew {
            routes[index] = .pending
            if let volume, volume.isCandidate(flows.records[index]) { routes[index] = .held }
        }
        let route = routes[index]
        let direction: PacketDirection = touch.direction == .serverToClient ? .download : .upload
        var candidate = false
        switch route {
        case .unit(let u):
            // The unit without a retain and release (each `units[u]` would retain and release it).
            unitRefs[Int(u)]._withUnsafeGuaranteedRef { unit in
                unit.add(PacketSample(decoded, time: time, length: frameLength, direction: direction))
                unit.noteClose(decoded, time: time, direction: direction)
            }
            return
        case .ignored:
            return
        case .pending:
            break
        case .held, .joined:
            candidate = true
        }
        // Until the flow has a name (the ClientHello may come a few packets in), look again per packet;
        // for a model without names, a candidate's name does not matter.
        if let name = flows.records[index].serviceName, !candidate || !plan.patterns.isEmpty {
            let record = flows.records[index]
            if plan.patterns.matches(name) {
                let u = unit(for: record.clientAddress)
                routes[index] = .unit(Int32(u))
                ended.watch(record, by: units[u])
                units[u].add(PacketSample(decoded, time: time, length: frameLength, direction: direction))
                units[u].noteClose(decoded, time: time, direction: direction)
            } else {
                if case .joined(let c) = route { volume?.withdraw(client: c) }
                routes[index] = .ignored
            }
            return
        }
        guard candidate, let volumeRef else { return }
        let joined: Int32? = volumeRef._withUnsafeGuaranteedRef { volume in
            guard volume.active else { return nil }
            let fin = decoded.transport == .tcp && direction == .upload && decoded.tcpFlags.contains(.fin)
            return volume.offer(PacketSample(decoded, time: time, length: frameLength, direction: direction),
                                flowID: flows.records[index].id, downloadBytes: Int(flows.records[index].toClient.bytes),
                                firstTime: flows.records[index].firstTime, index: index,
                                clientAddress: flows.records[index].clientAddress, clientFin: fin)
        }
        if let c = joined { routes[index] = .joined(c) }
    }

    @inline(__always)
    mutating func growRoutes(to index: Int) {
        if index >= routes.count {
            // Filled only as far as the flow indices go (in steps of 1,024; the array's capacity
            // still grows geometrically): indices are reused, so this follows the most live flows.
            routes += repeatElement(.pending, count: (index + 1024) & ~1023 - routes.count)
        }
    }

    mutating func unit(for client: IPAddress) -> Int {
        if let u = unitByClient[client] { return u }
        let names = plan.patterns.patterns.map(\.pattern).joined(separator: ", ")
        let unit = StreamUnit(client: client, label: client.description,
                              selection: "flows whose TLS SNI or DNS name matches the service names \(names)",
                              selectedByName: true, plan: plan, model: model, observers: observers)
        unit.captureStart = firstTime ?? 0
        // A flow carries the service's name: streams are not chosen by volume.
        volume?.stop()
        volume = nil
        units.append(unit)
        unitRefs.append(Unmanaged.passUnretained(unit))
        unitByClient[client] = units.count - 1
        return units.count - 1
    }

    mutating func finishUnits() -> [StreamUnit] {
        for u in units { u.finish(captureEnd: lastTime) }
        volume?.finish(captureEnd: lastTime)
        return units.filter { $0.packets > 0 || options.scope != .streams }
    }

}
