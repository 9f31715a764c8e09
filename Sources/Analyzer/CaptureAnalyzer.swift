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
    /// At most this many flows live at once (`FlowTableConfiguration.maximumLiveFlows`).
    public var maximumLiveFlows = FlowTableConfiguration.defaultMaximumLiveFlows
    public init(scope: AnalysisScope = .streams, filter: String? = nil,
                maximumLiveFlows: Int = FlowTableConfiguration.defaultMaximumLiveFlows) {
        self.scope = scope
        self.filter = filter
        self.maximumLiveFlows = maximumLiveFlows
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
    /// Units estimate plays (off when nothing reads the report's plays: `features`).
    var estimatesPlays = true
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
    /// Streams estimate their plays (`StreamUnitReport.plays`). Off for callers that never read them
    /// (feature rows): the per-packet work of the play estimator is skipped, and reports carry no plays.
    public var estimatesPlays = true
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
        let observers = Observers(onWindow: onWindow, onRow: onRow, onCaptureStart: onCaptureStart, onSession: onSession, onPlay: onPlay,
                                  estimatesPlays: estimatesPlays)
        // Live capture and pipes get the volume-chosen streams' windows as they come; a file gets
        // them at the end, for the streams that are the answer.
        // Rows (`features`) of a pipe are kept too, so that only the chosen streams' rows are written.
        let passThrough = source.endsOnTheClock || (reread == nil && onRow == nil)
        var pass = FirstPass(plan: plan, model: model, options: options, linkType: linkType, observers: observers,
                             passThrough: passThrough, canReread: reread != nil, live: source.endsOnTheClock)
        var counter = 0
        let progress = onProgress
        var clock = CaptureClock()
        let end = try source.forEachPacket({ packet in
            clock.feed(packet) { p, time in pass.consume(p, time: time) }
            counter &+= 1
            if counter & 0xFFFF == 0, let progress { progress(counter, source.bytesRead) }
            return true
        }, idle: { now in
            if let time = clock.idle(at: now) { pass.advanceClock(to: time) }
        })
        clock.finish()
        var warnings: [String] = []
        if case .truncated(let message) = end { warnings.append(message) }
        warnings += clock.warnings
        for w in source.warnings where !warnings.contains(w) { warnings.append(w) }
        pass.flows.finish()
        if pass.summary.packets > 0, pass.undecodable > 0 {
            warnings.append("\(pass.undecodable) packets had a truncated or malformed header (see `streamprobe flows`)")
        }
        if pass.flows.evictedCount > 0 { warnings.append(FlowsReport.evictionNote(pass.flows.evictedCount, limit: options.maximumLiveFlows)) }
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
        // Each chosen stream: the followed unit when it is exactly the rule's choice; else, when the
        // input cannot be read again, the followed unit as it is (its selection says how it differs).
        var units: [(unit: StreamUnit, difference: String?)?] = []
        var again: [(client: IPAddress, flows: [FlowRecord])] = []
        for choice in chosen {
            if let unit = pass.volume?.unit(holdingExactly: choice.flows, of: choice.client) {
                units.append((unit, nil))
            } else if reread == nil, let closest = pass.volume?.closestUnit(to: choice.flows, of: choice.client) {
                units.append((closest.unit, closest.difference))
            } else {
                units.append(nil)
                again.append(choice)
            }
        }
        // Their kept observer calls (rows, windows, sessions, plays) first, as a first reading makes them.
        pass.volume?.replay(for: units.compactMap { $0?.unit })
        var reread2: [StreamUnit] = []
        if !again.isEmpty, let reread {
            reread2 = try SecondPass.run(source: try reread(), linkType: linkType, plan: plan, model: model, chosen: again,
                                         observers: observers)
            for u in reread2 { u.readTwice = true }
        }
        var out: [StreamUnit] = []
        for (i, choice) in chosen.enumerated() {
            let described = StreamSelection.volumeDescription(choice.flows, namedToo: plan.patterns.isEmpty)
            if let (unit, difference) = units[i] {
                unit.selection = described
                if let difference {
                    unit.selection += "; followed while reading (the input cannot be read again), so the stream holds the "
                        + "flows that qualified as they came: \(difference)"
                }
                for f in choice.flows { unit.noteFlow(f) }
                out.append(unit)
            } else if let unit = reread2.first(where: { $0.client == choice.client }) {
                out.append(unit)
            }
        }
        return out
    }
}
