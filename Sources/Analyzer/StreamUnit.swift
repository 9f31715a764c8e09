import Features
import Flows
import Foundation
import Trees
import Wire

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
    /// Made by a second reading of the file (streams chosen by volume, see `VolumeStreams`).
    var readTwice = false
    var packets = 0
    var downloadBytes = 0
    var uploadBytes = 0
    var firstTime: Double?
    var lastTime = 0.0
    /// Whole-session features are computed only when something reads them: the model's stream
    /// stage, or a `summary-v1` row observer.
    private let wantsSummary: Bool
    /// Plays are estimated (`Observers.estimatesPlays`).
    private let estimatesPlays: Bool
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
    private(set) var sessionJudgements: [Judgement?] = []
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
        self.estimatesPlays = observers.estimatesPlays
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
        let upload = sample.direction == .upload
        if upload {
            uploadBytes += sample.frameLength
        } else {
            downloadBytes += sample.frameLength
            sessionDownBytes += sample.frameLength
        }
        if estimatesPlays {
            if !upload { plays.addDownload(time: sample.time, bytes: sample.frameLength) }
            plays.addPacket(time: sample.time, length: sample.frameLength, upload: upload)
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
}

extension StreamUnit {
    /// A FIN from the client ends one of its connections (a track's, when it changes track).
    @inline(__always)
    func noteClose(_ d: DecodedPacket, time: Double, direction: PacketDirection) {
        guard estimatesPlays, d.transport == .tcp, direction == .upload, d.tcpFlags.contains(.fin) else { return }
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
