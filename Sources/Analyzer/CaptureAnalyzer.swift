import Capture
import Features
import Flows
import Foundation
import Trees
import Wire

/// Which packets form the analysed units.
public enum AnalysisScope: Sendable, Equatable {
    /// Per client, the flows of the model's service (by TLS SNI / DNS names), merged into one
    /// stream; when no flow has a matching name, the unnamed flows with the most download bytes
    /// (see `StreamSelection`).
    case streams
    /// The reference analyzer's unit: every IPv4 packet whose frame is longer than 60 bytes, all flows mixed.
    case reference
    /// Every IP packet to or from one address, as one stream of that client.
    case client(IPAddress)
    /// Every IP packet (that the BPF filter passed, if any), all flows mixed, as one unit.
    case all
}

public struct AnalysisOptions: Sendable {
    public var scope: AnalysisScope = .streams
    /// A BPF filter compiled by libpcap; packets it rejects are never seen.
    public var filter: String?
    public var selection = StreamSelection()
    public init(scope: AnalysisScope = .streams, filter: String? = nil) {
        self.scope = scope
        self.filter = filter
    }
}

/// Called as each window of a stream completes (live mode prints it).
public typealias WindowObserver = (_ client: String, _ window: WindowReport) -> Void
/// Called with each window's raw feature values (the `features` command writes them).
public typealias RowObserver = (_ unit: String, _ window: WindowResult) -> Void

/// Called as each session of a unit ends: (unit, session index, first and last packet time,
/// packets, the `summary-v1` values).
/// With a model, the row goes on with the mean probability of each of its classes over the
/// session's classified windows (`wm_p_<class>`; NaN when no window was classified).
public typealias SessionObserver = (_ unit: String, _ index: Int, _ start: Double, _ end: Double, _ packets: Int, _ values: [Double]) -> Void

/// The names of the window-model columns a session row carries after the `summary-v1` values.
public func windowMeanFeatureNames(classes: [String]) -> [String] { classes.map { "wm_p_\($0)" } }

/// The per-window hooks of one run.
struct Observers {
    var onWindow: WindowObserver?
    var onRow: RowObserver?
    var onCaptureStart: ((Double) -> Void)?
    var onSession: SessionObserver?
    var onPlay: PlayObserver?
}

/// Called as each estimated play of a unit is decided (its next play started, or the unit's session ended).
public typealias PlayObserver = (_ unit: String, _ play: PlayReport) -> Void

/// The pipeline for one capture: source → decoder → flow table → stream units → windows →
/// features → model → `CaptureReport`. One pass over the packets; a second pass over the
/// file only when streams have to be chosen by download volume (no service name matched).
public final class CaptureAnalyzer {
    public let plan: FeaturePlan
    /// Nil for feature extraction only (no predictions).
    public let model: TreeModel?
    public let options: AnalysisOptions
    public var onWindow: WindowObserver?
    public var onRow: RowObserver?
    /// Called once with the time of the capture's first packet (seconds since the epoch).
    public var onCaptureStart: ((Double) -> Void)?
    /// Called as each session of a unit ends, with its whole-session (`summary-v1`) features.
    public var onSession: SessionObserver?
    /// Called as each play (an audio track, estimated from the stream's fetches) is decided.
    public var onPlay: PlayObserver?
    /// Called now and then with (packets so far, bytes read of the file so far).
    public var onProgress: ((Int, Int64) -> Void)?
    /// The last `analyze` read its input a second time (streams chosen by volume that the single
    /// pass could not follow exactly). For tests and benchmarks.
    public private(set) var lastRunReadTwice = false

    public init(model: BoundModel, options: AnalysisOptions = AnalysisOptions()) {
        self.plan = model.plan
        self.model = model.model
        self.summary = model.summary
        self.options = options
    }

    /// A model with another plan (other service names), for feature rows that carry its outputs.
    public init(model: BoundModel, plan: FeaturePlan, options: AnalysisOptions = AnalysisOptions()) {
        self.plan = plan
        self.model = model.model
        self.summary = model.summary
        self.options = options
    }

    /// Feature extraction without a model: windows carry features, no classes.
    public init(plan: FeaturePlan, options: AnalysisOptions = AnalysisOptions()) {
        self.plan = plan
        self.model = nil
        self.summary = ModelSummary(name: "none", classes: [], featureSet: plan.featureSet.name, windowSeconds: plan.config.window)
        self.options = options
    }

    let summary: ModelSummary

    /// Analyses a capture file (`-`: standard input).
    public func analyze(path: String) throws -> CaptureReport {
        // A pipe (standard input) is read once: streams chosen by volume are followed as it is read.
        // A file may be read again for such a stream that the single pass could not follow exactly.
        let source = try FileSource(path: path, filter: options.filter)
        let filter = options.filter
        let isPipe = source.fileKind == nil && source.fileSize == 0
        return try analyze(source: source, reread: isPipe ? nil : { () throws(CaptureError) in try source.reopen(filter: filter) })
    }

    /// Analyses any source. `reread` opens the same packets again (the capture itself, or what a
    /// live source saved), read a second time when streams are chosen by download volume.
    public func analyze(source: PacketSource, reread: (() throws(CaptureError) -> FileSource)?) throws -> CaptureReport {
        let linkType = LinkType(rawValue: source.linkType)
        guard linkType.isSupported else {
            throw AnalysisError.unsupportedLinkType(source.name, source.linkType, source.linkTypeName)
        }
        let observers = Observers(onWindow: onWindow, onRow: onRow, onCaptureStart: onCaptureStart, onSession: onSession, onPlay: onPlay)
        // Live capture and pipes get the volume-chosen streams' windows as they come; a file gets
        // them at the end, for the streams that are the answer.
        let passThrough = source.endsOnTheClock || reread == nil
        var pass = FirstPass(plan: plan, model: model, options: options, linkType: linkType, observers: observers,
                             passThrough: passThrough)
        var counter = 0
        let progress = onProgress
        var clock = CaptureClock()
        let end = try source.forEachPacket { packet in
            clock.feed(packet) { p, time in pass.consume(p, time: time) }
            counter &+= 1
            if counter & 0xFFFF == 0, let progress { progress(counter, source.bytesRead) }
            return true
        }
        clock.finish()
        var warnings: [String] = []
        if case .truncated(let message) = end { warnings.append(message) }
        warnings += clock.warnings
        for w in source.warnings where !warnings.contains(w) { warnings.append(w) }
        pass.flows.finish()
        if pass.summary.packets > 0, pass.undecodable > 0 {
            warnings.append("\(pass.undecodable) packets had a truncated or malformed header (see `streamprobe flows`)")
        }
        if pass.flows.evictedCount > 0 { warnings.append(FlowsReport.evictionNote(pass.flows.evictedCount)) }
        if pass.cutPackets > 0 {
            warnings.append("\(pass.cutPackets) of \(pass.summary.packets) packets were cut by the capture's snap length: "
                            + "sizes come from each packet's length on the wire; names in cut payloads (TLS SNI, DNS) may be missing")
        }

        // A live capture ends on the clock, not at its last packet: windows up to the stop time are complete.
        if source.endsOnTheClock, let last = pass.lastTime { pass.lastTime = max(last, Date().timeIntervalSince1970) }
        var units = pass.finishUnits()
        var selectionNote: String?
        var readTwice = false
        if options.scope == .streams && units.isEmpty {
            // No flow carried one of the model's service names: choose by download volume.
            let chosen = options.selection.fallbackStreams(pass.ended.candidates, namedToo: plan.patterns.isEmpty)
            if chosen.isEmpty {
                selectionNote = options.selection.noStreamNote(patterns: plan.patterns, flowCount: pass.ended.count,
                                                               namedCount: pass.ended.named)
            } else {
                units = try volumeUnits(chosen, pass: pass, linkType: linkType, observers: observers, reread: reread)
                readTwice = units.contains { $0.readTwice }
            }
        }
        if case .client(let address) = options.scope, units.allSatisfy({ $0.packets == 0 }) {
            // Nothing to or from the address: say so instead of an empty "unclassified" stream.
            units = []
            selectionNote = "no stream found: 0 packets to or from \(address) (of \(pass.summary.packets) packets in the capture)"
        }
        let start = pass.firstTime ?? 0
        let streams = units.map { $0.report(classes: model?.classes ?? []) }
        lastRunReadTwice = readTwice
        return CaptureReport(
            capture: source.name, packets: Int(pass.summary.packets), bytes: Int(pass.summary.bytes),
            durationSeconds: max(0, (pass.lastTime ?? 0) - start), flows: Int(pass.flows.createdCount),
            linkType: source.linkTypeName, model: summary, streams: streams,
            note: streams.isEmpty ? (selectionNote ?? "no stream found") : nil, warnings: warnings, startEpoch: pass.firstTime)
    }
}

extension CaptureAnalyzer {
    /// The units of the streams chosen by volume: the ones followed while reading when they hold
    /// exactly the chosen flows; otherwise the chosen flows read again from the file, or (a pipe, or
    /// nothing to read again) the followed unit with what it holds said in its selection.
    func volumeUnits(_ chosen: [(client: IPAddress, flows: [FlowRecord])], pass: FirstPass, linkType: LinkType,
                     observers: Observers, reread: (() throws(CaptureError) -> FileSource)?) throws -> [StreamUnit] {
        var units: [StreamUnit?] = []
        var again: [(client: IPAddress, flows: [FlowRecord])] = []
        for choice in chosen {
            let unit = pass.volume?.unit(holdingExactly: choice.flows, of: choice.client)
            if unit == nil { again.append(choice) }
            units.append(unit)
        }
        pass.volume?.replay(for: units.compactMap { $0 })
        var reread2: [StreamUnit] = []
        if !again.isEmpty, let reread {
            reread2 = try SecondPass.run(source: try reread(), linkType: linkType, plan: plan, model: model, chosen: again,
                                         observers: observers)
            for u in reread2 { u.readTwice = true }
        }
        var out: [StreamUnit] = []
        for (i, choice) in chosen.enumerated() {
            let described = StreamSelection.volumeDescription(choice.flows, namedToo: plan.patterns.isEmpty)
            if let unit = units[i] {
                unit.selection = described
                for f in choice.flows { unit.noteFlow(f) }
                out.append(unit)
            } else if let unit = reread2.first(where: { $0.client == choice.client }) {
                out.append(unit)
            } else if let closest = pass.volume?.closestUnit(to: choice.flows, of: choice.client) {
                closest.unit.selection = described + "; followed while reading (the input cannot be read again), so the stream "
                    + "holds the flows that qualified as they came: \(closest.difference)"
                for f in choice.flows { closest.unit.noteFlow(f) }
                out.append(closest.unit)
            }
        }
        return out
    }
}

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
    var unitByClient: [IPAddress: Int] = [:]
    /// Every half second of capture time, silent units' windows that ended are emitted (live mode
    /// shows them as they complete, not when the unit's next packet comes).
    var nextClockTick = -Double.infinity
    /// Streams chosen by download volume, followed while no flow has a service name (streams scope).
    var volume: VolumeStreams?

    /// `passThrough`: the volume units' observer calls go out as they happen (live capture, a pipe).
    init(plan: FeaturePlan, model: TreeModel?, options: AnalysisOptions, linkType: LinkType, observers: Observers,
         passThrough: Bool) {
        self.plan = plan
        self.model = model
        self.options = options
        self.linkType = linkType
        self.observers = observers
        // Ended flows are not kept: only the few that could form a stream by volume (bounded memory).
        let ended = EndedFlows(minimumBytes: options.selection.minimumFlowBytes)
        self.ended = ended
        var table = FlowTable(configuration: FlowTableConfiguration(keepFinished: false))
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
                                   observers: observers, passThrough: passThrough)
            ended.volume = volume
        }
        if let single {
            units = [StreamUnit(client: single.client, label: single.label, selection: single.selection, plan: plan,
                                model: model, observers: observers)]
        }
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
        if let volume { volume.releaseIfDue(now: time) }
        if time >= nextClockTick {
            for u in units { u.advanceClock(to: time) }
            // Kept calls are handed on in the order a second reading would make them: that reading
            // feeds units their packets only (no clock), so only passed-through units follow the clock.
            if let volume, volume.passThrough { volume.advanceClock(to: time - VolumeStreams.delay) }
            nextClockTick = time + 0.5
        }
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
        units[0].add(PacketSample(decoded, time: time, length: length, direction: direction))
        units[0].noteClose(decoded, time: time, direction: direction)
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
            units[Int(u)].add(PacketSample(decoded, time: time, length: frameLength, direction: direction))
            units[Int(u)].noteClose(decoded, time: time, direction: direction)
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
        guard candidate, let volume, volume.active else { return }
        let fin = decoded.transport == .tcp && direction == .upload && decoded.tcpFlags.contains(.fin)
        if let c = volume.offer(PacketSample(decoded, time: time, length: frameLength, direction: direction),
                                flowID: flows.records[index].id, downloadBytes: Int(flows.records[index].toClient.bytes),
                                firstTime: flows.records[index].firstTime, index: index,
                                clientAddress: flows.records[index].clientAddress, clientFin: fin) {
            routes[index] = .joined(c)
        }
    }

    @inline(__always)
    mutating func growRoutes(to index: Int) {
        if index >= routes.count {
            routes += repeatElement(.pending, count: max(index + 1, routes.count * 2, 64) - routes.count)
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
        unitByClient[client] = units.count - 1
        return units.count - 1
    }

    mutating func finishUnits() -> [StreamUnit] {
        for u in units { u.finish(captureEnd: lastTime) }
        volume?.finish(captureEnd: lastTime)
        return units.filter { $0.packets > 0 || options.scope != .streams }
    }

}
