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
}

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
    /// Called now and then with (packets so far, bytes read of the file so far).
    public var onProgress: ((Int, Int64) -> Void)?

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
        // A pipe (standard input) is copied to a hidden temporary file as it is read, in case the
        // streams have to be chosen by volume and read a second time.
        let source = try FileSource(path: path, filter: options.filter, spoolPipes: true)
        let filter = options.filter
        return try analyze(source: source, reread: { () throws(CaptureError) in try source.reopen(filter: filter) })
    }

    /// Analyses any source. `reread` opens the same packets again (the capture itself, or what a
    /// live source saved), read a second time when streams are chosen by download volume.
    public func analyze(source: PacketSource, reread: (() throws(CaptureError) -> FileSource)?) throws -> CaptureReport {
        let linkType = LinkType(rawValue: source.linkType)
        guard linkType.isSupported else {
            throw AnalysisError.unsupportedLinkType(source.name, source.linkType, source.linkTypeName)
        }
        let observers = Observers(onWindow: onWindow, onRow: onRow, onCaptureStart: onCaptureStart, onSession: onSession)
        var pass = FirstPass(plan: plan, model: model, options: options, linkType: linkType, observers: observers)
        let fileSource = source as? FileSource
        var counter = 0
        let progress = onProgress
        var clock = CaptureClock()
        let end = try source.forEachPacket { packet in
            clock.feed(packet) { p, time in pass.consume(p, time: time) }
            counter &+= 1
            if counter & 0xFFFF == 0, let progress { progress(counter, fileSource?.bytesRead ?? 0) }
            return true
        }
        clock.finish()
        var warnings: [String] = []
        if case .truncated(let message) = end { warnings.append(message) }
        warnings += clock.warnings
        let sourceWarnings = (source as? FileSource)?.warnings ?? (source as? LiveSource)?.warnings ?? []
        for w in sourceWarnings where !warnings.contains(w) { warnings.append(w) }
        pass.flows.finish()
        if pass.summary.packets > 0, pass.undecodable > 0 {
            warnings.append("\(pass.undecodable) packets had a truncated or malformed header (see `streamprobe flows`)")
        }
        if pass.cutPackets > 0 {
            warnings.append("\(pass.cutPackets) of \(pass.summary.packets) packets were cut by the capture's snap length: "
                            + "sizes come from each packet's length on the wire; names in cut payloads (TLS SNI, DNS) may be missing")
        }

        // A live capture ends on the clock, not at its last packet: windows up to the stop time are complete.
        if source is LiveSource, let last = pass.lastTime { pass.lastTime = max(last, Date().timeIntervalSince1970) }
        var units = pass.finishUnits()
        var selectionNote: String?
        if options.scope == .streams && units.isEmpty {
            // No flow carried one of the model's service names: choose by download volume.
            let chosen = options.selection.fallbackStreams(pass.ended.candidates, namedToo: plan.patterns.isEmpty)
            if chosen.isEmpty {
                selectionNote = options.selection.noStreamNote(patterns: plan.patterns, flowCount: pass.ended.count,
                                                               namedCount: pass.ended.named)
            } else if let reread {
                units = try SecondPass.run(source: try reread(), linkType: linkType,
                                           plan: plan, model: model, chosen: chosen, observers: observers)
            } else {
                selectionNote = "no stream found: no flow matched the model's service names, and the source cannot be read twice"
            }
        }
        let start = pass.firstTime ?? 0
        let streams = units.map { $0.report(classes: model?.classes ?? []) }
        return CaptureReport(
            capture: source.name, packets: Int(pass.summary.packets), bytes: Int(pass.summary.bytes),
            durationSeconds: max(0, (pass.lastTime ?? 0) - start), flows: Int(pass.flows.createdCount),
            linkType: source.linkTypeName, model: summary, streams: streams,
            note: streams.isEmpty ? (selectionNote ?? "no stream found") : nil, warnings: warnings)
    }
}

/// What the analyzer keeps of ended flows: counts, and the flows big enough to be chosen by volume.
final class EndedFlows {
    let minimumBytes: Int
    private(set) var candidates: [FlowRecord] = []
    private(set) var count = 0
    private(set) var named = 0
    init(minimumBytes: Int) { self.minimumBytes = minimumBytes }
    func add(_ record: FlowRecord) {
        count += 1
        if record.serviceName != nil { named += 1 }
        if Int(record.toClient.bytes) >= minimumBytes { candidates.append(record) }
    }
}

/// One analysed unit: a client's stream (or the mixed reference unit), its sessions and windows.
///
/// A silence longer than `sessionGap` (a pause, a gap in the capture, a clock jump) ends a
/// session: its windows are closed, its whole-session features judged, and the next packet starts
/// a new session with fresh window state, so nothing is computed for the empty time between them.
/// Windows with too few packets of the unit are idle: reported, never classified, never voting.
final class StreamUnit {
    /// The longest silence inside one session, seconds. Longer than any track a bulk client
    /// fetches in one go and then plays (a 10-minute track is rare), shorter than a real pause.
    static let sessionGap = 600.0
    /// The stream stage judges sessions at least this long: it learned from sessions of 60 s and
    /// more, and a few seconds of traffic hold one or two fetches, which do not fix a tier.
    static let minimumJudgedSession = 30.0

    let client: IPAddress?
    let label: String
    var selection: String
    /// Selected because a flow's name matched the model's service names (not by volume).
    let selectedByName: Bool
    let model: TreeModel?
    let plan: FeaturePlan
    let observers: Observers
    var captureStart = 0.0
    var extractor: FeatureExtractor
    var windows: [WindowReport] = []
    var probabilities: [[Double]] = []
    var flowNames: [UInt64: String] = [:]
    var packets = 0
    var downloadBytes = 0
    var uploadBytes = 0
    var firstTime: Double?
    var lastTime = 0.0
    /// Whole-session features are computed only when something reads them: the model's stream
    /// stage, or a `summary-v1` row observer.
    private let wantsSummary: Bool
    private var summary = StreamSummary()
    private var sessionFirst = 0.0
    private var sessionPackets = 0
    private var sessionDownBytes = 0
    private var sessionWindowStart = 0
    private var sessionOpen = false
    private(set) var sessions: [SessionReport] = []
    private var sessionJudgements: [Judgement?] = []
    private var sessionWindowSum: [Double]
    private var sessionWindowCount = 0
    private var scratch: [Double]

    init(client: IPAddress?, label: String, selection: String, selectedByName: Bool = false, plan: FeaturePlan,
         model: TreeModel?, observers: Observers) {
        self.client = client
        self.label = label
        self.selection = selection
        self.selectedByName = selectedByName
        self.wantsSummary = model?.streamModel != nil || observers.onSession != nil
        self.model = model
        self.plan = plan
        self.observers = observers
        self.extractor = Self.makeExtractor(plan)
        self.scratch = [Double](repeating: 0, count: model?.classCount ?? 0)
        self.sessionWindowSum = scratch
    }

    /// For each feature of the model's stream stage, its index in a session row (`summary-v1`
    /// values, then the window means); nil when the stage reads a feature no row carries.
    lazy var stageColumns: [Int]? = {
        guard let model, let stage = model.streamModel?.model else { return nil }
        let names = StreamSummary.featureNames + windowMeanFeatureNames(classes: model.classes)
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        let columns = stage.featureNames.compactMap { index[$0] }
        return columns.count == stage.featureNames.count ? columns : nil
    }()

    private static func makeExtractor(_ plan: FeaturePlan) -> FeatureExtractor {
        // The plan's set and configuration were validated when it was made, so this cannot fail.
        try! FeatureExtractor(featureSet: plan.featureSet, config: plan.config)
    }

    @inline(__always)
    func add(_ sample: PacketSample) {
        if sessionOpen, sample.time - lastTime > Self.sessionGap { endSession(clock: sample.time, byGap: true) }
        if !sessionOpen {
            sessionOpen = true
            sessionWindowStart = windows.count
            sessionFirst = sample.time
            sessionPackets = 0
            sessionDownBytes = 0
        }
        sessionPackets += 1
        packets += 1
        if firstTime == nil { firstTime = sample.time }
        if sample.time > lastTime || packets == 1 { lastTime = sample.time }
        if sample.direction == .upload {
            uploadBytes += sample.frameLength
        } else {
            downloadBytes += sample.frameLength
            sessionDownBytes += sample.frameLength
        }
        if wantsSummary { summary.add(sample) }
        extractor.add(sample) { window in self.record(window) }
    }

    func advanceClock(to time: Double) {
        guard sessionOpen else { return }
        if time - lastTime > Self.sessionGap {
            endSession(clock: time, byGap: true)
        } else {
            extractor.advanceClock(to: time) { window in self.record(window) }
        }
    }

    /// Ends the unit at `captureEnd`, the capture's last packet: windows that ended before it are
    /// complete even if this unit had no packet after them.
    func finish(captureEnd: Double?) {
        guard sessionOpen else { return }
        // A silence longer than a session gap before the capture's end ended the session at its
        // last packet, as `advanceClock` would have: its time is not the session's (a 1 kB capture
        // whose clock went back 3.6e9 s made the session's per-second counters take 22 GB; found by
        // Fuzz/Targets/analyze-capture.swift).
        if let end = captureEnd, end - lastTime > Self.sessionGap {
            endSession(clock: end, byGap: true)
        } else {
            endSession(clock: captureEnd, byGap: false)
        }
    }

    /// Closes the open session: its windows up to `clock` (at most one window past its last
    /// packet), its summary features, its judgement. A session that ends with the capture was
    /// observed until the capture's end (its silence counts: a bulk client plays what it
    /// fetched); one ended by a gap, until its last packet.
    private func endSession(clock: Double?, byGap: Bool) {
        if let clock {
            extractor.advanceClock(to: min(max(clock, lastTime), lastTime + plan.config.window)) { window in self.record(window) }
        }
        extractor.finish { window in self.record(window) }
        let observedUntil = byGap ? nil : clock
        let observedEnd = max(lastTime, observedUntil ?? lastTime)
        let index = sessions.count
        var values: [Double] = []
        if wantsSummary {
            values = summary.values(observedUntil: observedUntil)
            if model != nil {
                values += sessionWindowSum.map { sessionWindowCount > 0 ? $0 / Double(sessionWindowCount) : .nan }
            }
            observers.onSession?(label, index, sessionFirst, observedEnd, sessionPackets, values)
        }
        var judgement: Judgement?
        let sessionSeconds = observedEnd - sessionFirst
        if let stage = model?.streamModel?.model, let columns = stageColumns, sessionSeconds >= Self.minimumJudgedSession {
            let row = columns.map { $0 < values.count ? values[$0] : .nan }
            var out = [Double](repeating: 0, count: stage.classCount)
            row.withUnsafeBufferPointer { row in
                out.withUnsafeMutableBufferPointer { stage.evaluator.probabilities(row: row, into: $0) }
            }
            judgement = StreamJudge.judge(out, model: stage, selectedByName: selectedByName)
        }
        sessions.append(SessionReport(index: index, start: sessionFirst - captureStart, end: observedEnd - captureStart,
                                      packets: sessionPackets, downloadBytes: sessionDownBytes, label: judgement?.label, confidence: judgement?.confidence,
                                      alternatives: judgement?.alternatives ?? [], looksLike: judgement?.looksLike))
        sessionJudgements.append(judgement)
        summary = StreamSummary()
        extractor = Self.makeExtractor(plan)
        sessionOpen = false
        for i in sessionWindowSum.indices { sessionWindowSum[i] = 0 }
        sessionWindowCount = 0
    }

    private func record(_ window: WindowResult) {
        observers.onRow?(label, window)
        let index = sessionWindowStart + window.index
        let idle = window.packetCount < max(plan.config.minPackets, 1)
        var report = WindowReport(index: index, start: window.start - captureStart, end: window.end - captureStart,
                                  packets: window.packetCount, skipped: window.skipped, idle: idle, label: nil, confidence: nil,
                                  probabilities: nil)
        if !window.skipped, !idle, let model {
            window.values.withUnsafeBufferPointer { row in
                scratch.withUnsafeMutableBufferPointer { out in
                    model.evaluator.probabilities(row: row, into: out)
                }
            }
            let best = StreamVerdict.argmax(scratch)
            report.label = model.classes[best]
            report.confidence = scratch[best]
            report.probabilities = scratch
            probabilities.append(scratch)
            for i in scratch.indices { sessionWindowSum[i] += scratch[i] }
            sessionWindowCount += 1
        }
        windows.append(report)
        observers.onWindow?(label, report)
    }

    func report(classes: [String]) -> StreamReport {
        let verdict = StreamVerdict(classes: classes, windowProbabilities: probabilities)
        var r = StreamReport(
            client: label, selection: selection, flows: flowNames.sorted { $0.key < $1.key }.map(\.value),
            packets: packets, downloadBytes: downloadBytes, uploadBytes: uploadBytes,
            durationSeconds: firstTime.map { lastTime - $0 } ?? 0,
            label: verdict.label, confidence: verdict.confidence, probabilities: verdict.probabilities,
            windows: windows, windowShare: verdict.windowShare, final: verdict.final, disagreement: verdict.disagreement)
        r.sessions = sessions
        r.basis = verdict.label == nil ? nil : "windows"
        // The answer: the stream stage's judgement of the session that carried the most download.
        var best: Int?
        for (i, j) in sessionJudgements.enumerated() where j != nil {
            if best == nil || sessions[i].downloadBytes > sessions[best!].downloadBytes { best = i }
        }
        if let best, let j = sessionJudgements[best] {
            r.label = j.label
            r.confidence = j.confidence
            r.rawConfidence = j.rawConfidence
            r.alternatives = j.alternatives
            r.looksLike = j.looksLike
            r.probabilities = j.probabilities
            r.basis = "stream"
            let from = sessions.count > 1 ? " (session \(best + 1) of \(sessions.count), the one with the most download)" : ""
            if j.looksLike != nil {
                // Not what the model is about: no window claims a class of it.
                for i in r.windows.indices where r.windows[i].label != nil {
                    r.windows[i].label = nil; r.windows[i].confidence = nil; r.windows[i].probabilities = nil
                }
                r.windowShare = []
                r.final = j.label
                r.disagreement = "the windows are not classified: the stream does not look like what the model is about\(from)"
            } else if let final = r.final, final != j.label {
                let votes = r.windowShare.first { $0.label == final }.map { Int(($0.probability * Double(probabilities.count)).rounded()) } ?? 0
                r.disagreement = "the majority of \(TextReport.trim(plan.config.window)) s windows (\(final), \(votes) of \(probabilities.count)) "
                    + "differs from the answer (\(j.text)), which judges the whole session\(from): fetch sizes and the time between "
                    + "fetches, which a single window cannot see"
            } else {
                r.disagreement = nil
            }
        } else if model?.streamModel != nil {
            // A stream stage exists but no session was long enough for it: no answer rather than a guess.
            let longest = sessions.map { $0.end - $0.start }.max() ?? 0
            r.label = nil
            r.confidence = nil
            r.rawConfidence = nil
            r.probabilities = []
            r.basis = nil
            r.note = "too short to judge: the longest session lasts \(String(format: "%.1f", longest)) s; the answer needs "
                + "\(Int(Self.minimumJudgedSession)) s of the stream"
        } else if let model, let label = verdict.label,
                  let j = StreamJudge.judge(verdict.probabilities.map(\.probability), model: model, selectedByName: selectedByName),
                  j.label == label {
            // No stream stage: the window model's own decision rule (calibration, between) if it has one.
            r.confidence = j.confidence
            r.rawConfidence = j.rawConfidence
            r.alternatives = j.alternatives
        }
        return r
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
    /// Per flow index: 0 = name not known yet, 1 = media (its unit is `unitOf`), 2 = not media.
    var mediaState: [UInt8] = []
    var unitOf: [Int32] = []
    var units: [StreamUnit] = []
    var unitByClient: [IPAddress: Int] = [:]
    /// Every half second of capture time, silent units' windows that ended are emitted (live mode
    /// shows them as they complete, not when the unit's next packet comes).
    var nextClockTick = -Double.infinity

    init(plan: FeaturePlan, model: TreeModel?, options: AnalysisOptions, linkType: LinkType, observers: Observers) {
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
            observers.onCaptureStart?(time)
        }
        lastTime = time
        if time >= nextClockTick {
            for u in units { u.advanceClock(to: time) }
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
        guard let touch else { return }
        // mediaState doubles as "this flow is listed in the unit" for the single-unit scopes.
        let index = touch.index
        if index >= mediaState.count { mediaState += [UInt8](repeating: 0, count: max(index + 1, mediaState.count * 2, 64) - mediaState.count) }
        if touch.isNew { mediaState[index] = 0 }
        if mediaState[index] == 0 {
            mediaState[index] = 1
            units[0].noteFlow(flows.records[index])
        }
    }

    /// Streams scope: a packet of a flow whose service name matches the plan goes to its client's unit.
    @inline(__always)
    mutating func route(_ touch: FlowTouch, decoded: DecodedPacket, frameLength: Int, time: Double) {
        let index = touch.index
        if index >= mediaState.count {
            let grow = max(index + 1, mediaState.count * 2, 64)
            mediaState += [UInt8](repeating: 0, count: grow - mediaState.count)
            unitOf += [Int32](repeating: -1, count: grow - unitOf.count)
        }
        if touch.isNew { mediaState[index] = 0; unitOf[index] = -1 }
        if mediaState[index] == 0 {
            // Until the flow has a name (the ClientHello may come a few packets in), look again per packet.
            guard let name = flows.records[index].serviceName else { return }
            let record = flows.records[index]
            if plan.patterns.matches(name) {
                mediaState[index] = 1
                unitOf[index] = Int32(unit(for: record.clientAddress))
                units[Int(unitOf[index])].noteFlow(record)
            } else {
                mediaState[index] = 2
            }
        }
        guard mediaState[index] == 1 else { return }
        let direction: PacketDirection = touch.direction == .serverToClient ? .download : .upload
        units[Int(unitOf[index])].add(PacketSample(decoded, time: time, length: frameLength, direction: direction))
    }

    mutating func unit(for client: IPAddress) -> Int {
        if let u = unitByClient[client] { return u }
        let names = plan.patterns.patterns.map(\.pattern).joined(separator: ", ")
        let unit = StreamUnit(client: client, label: client.description,
                              selection: "flows whose TLS SNI or DNS name matches the service names \(names)",
                              selectedByName: true, plan: plan, model: model, observers: observers)
        unit.captureStart = firstTime ?? 0
        units.append(unit)
        unitByClient[client] = units.count - 1
        return units.count - 1
    }

    mutating func finishUnits() -> [StreamUnit] {
        for u in units { u.finish(captureEnd: lastTime) }
        return units.filter { $0.packets > 0 || options.scope != .streams }
    }

}

extension StreamUnit {
    func noteFlow(_ record: FlowRecord) {
        guard flowNames[record.id] == nil else { return }
        let name = record.serviceName.map { " (\($0))" } ?? ""
        flowNames[record.id] = "\(record.protocolName) \(record.serverAddress.bracketed):\(record.serverPort)\(name)"
    }
}

extension PacketSample {
    /// The feature engine's view of a decoded packet of a unit.
    @inline(__always)
    init(_ d: DecodedPacket, time: Double, length: Int, direction: PacketDirection) {
        self.init(time: time, frameLength: length, direction: direction, isIPv4: d.network == .ipv4,
                  ipProtocol: UInt8(truncatingIfNeeded: d.ipProtocol.rawValue), payloadLength: d.payloadLength)
    }
}

extension IPAddress {
    /// IPv6 in brackets, for address:port text.
    var bracketed: String { isIPv4 ? description : "[\(description)]" }
}
