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
        let observers = Observers(onWindow: onWindow, onRow: onRow, onCaptureStart: onCaptureStart, onSession: onSession, onPlay: onPlay)
        var pass = FirstPass(plan: plan, model: model, options: options, linkType: linkType, observers: observers)
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
        if case .client(let address) = options.scope, units.allSatisfy({ $0.packets == 0 }) {
            // Nothing to or from the address: say so instead of an empty "unclassified" stream.
            units = []
            selectionNote = "no stream found: 0 packets to or from \(address) (of \(pass.summary.packets) packets in the capture)"
        }
        let start = pass.firstTime ?? 0
        let streams = units.map { $0.report(classes: model?.classes ?? []) }
        return CaptureReport(
            capture: source.name, packets: Int(pass.summary.packets), bytes: Int(pass.summary.bytes),
            durationSeconds: max(0, (pass.lastTime ?? 0) - start), flows: Int(pass.flows.createdCount),
            linkType: source.linkTypeName, model: summary, streams: streams,
            note: streams.isEmpty ? (selectionNote ?? "no stream found") : nil, warnings: warnings, startEpoch: pass.firstTime)
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
    func add(_ record: FlowRecord) {
        if let unit = watchers.removeValue(forKey: record.id) { unit.finishFlow(record) }
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
    /// Per entry of `probabilities`: the window it belongs to (index in `windows`) and its session.
    /// The model's temporal smoothing averages within a session, never across a long silence.
    var classifiedWindow: [Int] = []
    var classifiedSession: [Int] = []
    /// The first entry of `probabilities` of the open session (for the live trailing mean).
    private var sessionFirstClassified = 0
    var flowNames: [UInt64: StreamFlow] = [:]
    /// The report lists at most this many of a unit's flows (the first ones seen); the rest are counted.
    static let maximumListedFlows = 1_000
    var unlistedFlows = 0
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
    /// The unit's window number of the open session's first window.
    private var sessionWindowStart = 0
    /// Windows so far, each of a folded run of empty windows counted (the reports are fewer).
    private var windowTotal = 0
    private var sessionOpen = false
    private(set) var sessions: [SessionReport] = []
    private var sessionJudgements: [Judgement?] = []
    private var sessionWindowSum: [Double]
    private var sessionWindowCount = 0
    private var scratch: [Double]
    /// The plays (tracks) estimated from the stream's fetches.
    var plays = PlayEstimator()

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
        self.extractor = Self.makeExtractor(plan, foldEmpty: observers.onRow == nil)
        self.scratch = [Double](repeating: 0, count: model?.classCount ?? 0)
        self.sessionWindowSum = scratch
        if let onPlay = observers.onPlay {
            let label = label
            plays.onPlay = { onPlay(label, $0) }
        }
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

    /// `foldEmpty`: nobody reads the rows of windows, so a silence's empty windows can be one
    /// report entry (they are idle: never classified, never voting) instead of one per window.
    private static func makeExtractor(_ plan: FeaturePlan, foldEmpty: Bool) -> FeatureExtractor {
        // The plan's set and configuration were validated when it was made, so this cannot fail.
        var extractor = try! FeatureExtractor(featureSet: plan.featureSet, config: plan.config)
        extractor.foldsEmptyWindows = foldEmpty
        return extractor
    }

    @inline(__always)
    func add(_ sample: PacketSample) {
        if sessionOpen, sample.time - lastTime > Self.sessionGap { endSession(clock: sample.time, byGap: true) }
        if !sessionOpen {
            sessionOpen = true
            sessionWindowStart = windowTotal
            sessionFirstClassified = probabilities.count
            sessionFirst = sample.time
            sessionPackets = 0
            sessionDownBytes = 0
        }
        sessionPackets += 1
        packets += 1
        if firstTime == nil { firstTime = sample.time; plays.captureStart = captureStart }
        if sample.time > lastTime || packets == 1 { lastTime = sample.time }
        if sample.direction == .upload {
            uploadBytes += sample.frameLength
        } else {
            downloadBytes += sample.frameLength
            sessionDownBytes += sample.frameLength
            plays.addDownload(time: sample.time, bytes: sample.frameLength)
        }
        plays.addPacket(time: sample.time, length: sample.frameLength, upload: sample.direction == .upload)
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
        plays.finish(observedUntil: observedEnd)
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
        // A session none of whose windows had enough packets to classify is not judged either: its
        // packets are too sparse to be a stream (hostile or broken captures make such sessions).
        if let stage = model?.streamModel?.model, let columns = stageColumns, sessionSeconds >= Self.minimumJudgedSession,
           sessionWindowCount > 0 {
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
        extractor = Self.makeExtractor(plan, foldEmpty: observers.onRow == nil)
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
        report.windowCount = window.windowCount
        windowTotal = index + window.windowCount
        report.startEpoch = window.start
        report.endEpoch = window.end
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
            classifiedWindow.append(windows.count)
            classifiedSession.append(sessions.count)
            for i in scratch.indices { sessionWindowSum[i] += scratch[i] }
            sessionWindowCount += 1
        }
        if report.packets == 0, report.idle, let last = windows.last, last.idle, last.packets == 0,
           last.skipped == report.skipped, last.index + last.windowCount == report.index {
            // Empty windows next to each other are one entry, however they came (a folded run, or
            // one per clock tick in live mode, or every window when rows are written): a silence
            // costs one entry of the report.
            windows[windows.count - 1].end = report.end
            windows[windows.count - 1].endEpoch = report.endEpoch
            windows[windows.count - 1].windowCount += report.windowCount
        } else {
            windows.append(report)
        }
        guard let onWindow = observers.onWindow else { return }
        if let t = model?.temporal, t.windows > 1, report.probabilities != nil,
           let mean = TemporalSmoothing.trailingMean(of: probabilities[sessionFirstClassified...], windows: t.windows) {
            // As windows arrive the later ones are not known yet: live lines show the trailing mean of
            // the last N windows (the causal form); the final report uses the model's own alignment.
            var live = report
            let best = StreamVerdict.argmax(mean)
            live.label = model!.classes[best]
            live.confidence = mean[best]
            live.probabilities = mean
            onWindow(label, live)
        } else {
            onWindow(label, report)
        }
    }

    /// The classified windows' probabilities after the model's temporal smoothing, applied to each
    /// session's windows in time order (unchanged without smoothing); the windows' classes and
    /// confidences are rewritten from them, so the evolution, the share and the majority all
    /// follow the smoothed answers.
    func smoothedProbabilities(windows reports: inout [WindowReport]) -> [[Double]] {
        guard let model, let t = model.temporal, t.windows > 1, !probabilities.isEmpty else { return probabilities }
        var out = probabilities
        var start = 0
        while start < probabilities.count {
            var end = start
            while end < probabilities.count && classifiedSession[end] == classifiedSession[start] { end += 1 }
            let smoothed = t.apply(Array(probabilities[start..<end]))
            for (offset, p) in smoothed.enumerated() { out[start + offset] = p }
            start = end
        }
        for (i, p) in out.enumerated() {
            let best = StreamVerdict.argmax(p)
            reports[classifiedWindow[i]].label = model.classes[best]
            reports[classifiedWindow[i]].confidence = p[best]
            reports[classifiedWindow[i]].probabilities = p
        }
        return out
    }

    func report(classes: [String]) -> StreamReport {
        var windows = self.windows
        let probabilities = smoothedProbabilities(windows: &windows)
        let verdict = StreamVerdict(classes: classes, windowProbabilities: probabilities)
        var r = StreamReport(
            client: label, selection: selection,
            flows: flowNames.sorted { $0.key < $1.key }.map(\.value),
            packets: packets, downloadBytes: downloadBytes, uploadBytes: uploadBytes,
            durationSeconds: firstTime.map { lastTime - $0 } ?? 0,
            label: verdict.label, confidence: verdict.confidence, probabilities: verdict.probabilities,
            windows: windows, windowShare: verdict.windowShare, final: verdict.final, disagreement: verdict.disagreement)
        r.sessions = sessions
        r.plays = plays.plays
        r.flowsNotListed = unlistedFlows > 0 ? unlistedFlows : nil
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
                let share: Double = r.windowShare.first { $0.label == final }?.share ?? 0
                let votes = Int((share * Double(probabilities.count)).rounded())
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
            if longest >= Self.minimumJudgedSession {
                r.note = "too sparse to judge: no window of a session of \(Int(Self.minimumJudgedSession)) s or more had "
                    + "\(max(plan.config.minPackets, 1)) packets of the stream, the fewest a window is classified on"
            } else {
                r.note = "too short to judge: the longest session lasts \(String(format: "%.1f", longest)) s; the answer needs "
                    + "\(Int(Self.minimumJudgedSession)) s of the stream"
            }
        } else if let model, let label = verdict.label,
                  let j = StreamJudge.judge(verdict.probabilities.map(\.probability), model: model, selectedByName: selectedByName),
                  j.label == label {
            // No stream stage: the window model's own decision rule (calibration, between) if it has one.
            r.confidence = j.confidence
            r.rawConfidence = j.rawConfidence
            r.alternatives = j.alternatives
        }
        // Plays are an audio stream's: none for what the model calls something else.
        if r.looksLike != nil || r.label == "not_audio" || (r.label == nil && r.plays?.isEmpty == true) { r.plays = nil }
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
    /// What becomes of each flow's packets, by flow index (indices are reused: reset on a new flow).
    var routes: [FlowRoute] = []
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

    /// Streams scope: a packet of a flow whose service name matches the plan goes to its client's unit.
    @inline(__always)
    mutating func route(_ touch: FlowTouch, decoded: DecodedPacket, frameLength: Int, time: Double) {
        let index = touch.index
        growRoutes(to: index)
        if touch.isNew { routes[index] = .pending }
        if routes[index] == .pending {
            // Until the flow has a name (the ClientHello may come a few packets in), look again per packet.
            guard let name = flows.records[index].serviceName else { return }
            let record = flows.records[index]
            if plan.patterns.matches(name) {
                let u = unit(for: record.clientAddress)
                routes[index] = .unit(Int32(u))
                ended.watch(record, by: units[u])
            } else {
                routes[index] = .ignored
            }
        }
        guard case .unit(let u) = routes[index] else { return }
        let direction: PacketDirection = touch.direction == .serverToClient ? .download : .upload
        units[Int(u)].add(PacketSample(decoded, time: time, length: frameLength, direction: direction))
        units[Int(u)].noteClose(decoded, time: time, direction: direction)
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
    /// A FIN from the client ends one of its connections (a track's, when it changes track).
    @inline(__always)
    func noteClose(_ d: DecodedPacket, time: Double, direction: PacketDirection) {
        guard d.transport == .tcp, direction == .upload, d.tcpFlags.contains(.fin) else { return }
        plays.addClientClose(time: time)
    }

    /// Lists a flow of the unit (at most `maximumListedFlows`, the rest counted); true when listed.
    @discardableResult
    func noteFlow(_ record: FlowRecord) -> Bool {
        guard flowNames[record.id] == nil else { return false }
        guard flowNames.count < Self.maximumListedFlows else { unlistedFlows += 1; return false }
        flowNames[record.id] = StreamFlow(record)
        return true
    }

    /// A listed flow ended: its whole-life byte counts.
    func finishFlow(_ record: FlowRecord) {
        if flowNames[record.id] != nil { flowNames[record.id] = StreamFlow(record) }
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

extension StreamFlow {
    init(_ r: FlowRecord) {
        self.init(proto: r.protocolName, client: r.clientAddress.description, clientPort: Int(r.clientPort),
                  server: r.serverAddress.description, serverPort: Int(r.serverPort), service: r.serviceName,
                  bytesToServer: Int(r.toServer.bytes), bytesToClient: Int(r.toClient.bytes))
    }
}
