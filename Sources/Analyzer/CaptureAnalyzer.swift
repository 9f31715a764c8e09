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
    /// Every IP packet the BPF filter passed, all flows mixed, as one unit.
    case filtered
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

/// The pipeline for one capture: source → decoder → flow table → stream units → windows →
/// features → model → `CaptureReport`. One pass over the packets; a second pass over the
/// file only when streams have to be chosen by download volume (no service name matched).
public final class CaptureAnalyzer {
    public let model: BoundModel
    public let options: AnalysisOptions
    public var onWindow: WindowObserver?
    /// Called now and then with (packets so far, bytes read of the file so far).
    public var onProgress: ((Int, Int64) -> Void)?

    public init(model: BoundModel, options: AnalysisOptions = AnalysisOptions()) {
        self.model = model
        self.options = options
    }

    /// Analyses a capture file.
    public func analyze(path: String) throws -> CaptureReport {
        let source = try FileSource(path: path, filter: options.filter)
        return try analyze(source: source, rereadPath: path)
    }

    /// Analyses any source. `rereadPath` is a file holding the same packets (the capture itself,
    /// or what a live source saved), read again when streams are chosen by download volume.
    public func analyze(source: PacketSource, rereadPath: String?) throws -> CaptureReport {
        let linkType = LinkType(rawValue: source.linkType)
        guard linkType.isSupported else {
            throw AnalysisError.unsupportedLinkType(source.name, source.linkType, source.linkTypeName)
        }
        var pass = FirstPass(model: model, options: options, linkType: linkType, onWindow: onWindow)
        let fileSource = source as? FileSource
        var counter = 0
        let progress = onProgress
        let end = try source.forEachPacket { packet in
            pass.consume(packet)
            counter &+= 1
            if counter & 0xFFFF == 0, let progress { progress(counter, fileSource?.bytesRead ?? 0) }
            return true
        }
        var warnings: [String] = []
        if case .truncated(let message) = end { warnings.append(message) }
        pass.flows.finish()
        if pass.summary.packets > 0, pass.undecodable > 0 {
            warnings.append("\(pass.undecodable) packets had a truncated or malformed header (see `streamprobe flows`)")
        }

        var units = pass.finishUnits()
        var selectionNote: String?
        if options.scope == .streams && units.isEmpty {
            // No flow carried one of the model's service names: choose by download volume.
            let chosen = options.selection.fallbackStreams(pass.allFlows(), hasPatterns: !model.patterns.isEmpty)
            if chosen.isEmpty {
                selectionNote = options.selection.noStreamNote(model: model.model, flows: pass.allFlows())
            } else if let rereadPath {
                units = try SecondPass.run(path: rereadPath, filter: options.filter, linkType: linkType,
                                           model: model, chosen: chosen, onWindow: onWindow)
            } else {
                selectionNote = "no stream found: no flow matched the model's service names, and the source cannot be read twice"
            }
        }
        let start = pass.firstTime ?? 0
        let streams = units.map { $0.report(captureStart: start, model: model) }
        return CaptureReport(
            capture: source.name, packets: Int(pass.summary.packets), bytes: Int(pass.summary.bytes),
            durationSeconds: max(0, (pass.lastTime ?? 0) - start), flows: Int(pass.flows.createdCount),
            linkType: source.linkTypeName, model: model.summary, streams: streams,
            note: streams.isEmpty ? (selectionNote ?? "no stream found") : nil, warnings: warnings)
    }
}

/// One analysed unit: a client's stream (or the mixed reference unit) and its windows.
final class StreamUnit {
    let client: IPAddress?
    let label: String
    var selection: String
    var extractor: FeatureExtractor
    var windows: [WindowReport] = []
    var probabilities: [[Double]] = []
    var flowNames: [UInt64: String] = [:]
    var packets = 0
    var downloadBytes = 0
    var uploadBytes = 0
    var firstTime: Double?
    var lastTime = 0.0
    private var scratch: [Double]

    init(client: IPAddress?, label: String, selection: String, model: BoundModel) {
        self.client = client
        self.label = label
        self.selection = selection
        // The model binding validated the set and config already, so this cannot fail.
        self.extractor = try! FeatureExtractor(featureSet: model.featureSet, config: model.config)
        self.scratch = [Double](repeating: 0, count: model.model.classCount)
    }

    @inline(__always)
    func add(_ sample: PacketSample, model: BoundModel, captureStart: Double, onWindow: WindowObserver?) {
        packets += 1
        if firstTime == nil { firstTime = sample.time }
        lastTime = sample.time
        if sample.direction == .upload { uploadBytes += sample.frameLength } else { downloadBytes += sample.frameLength }
        extractor.add(sample) { window in
            self.record(window, model: model, captureStart: captureStart, onWindow: onWindow)
        }
    }

    func finish(model: BoundModel, captureStart: Double, onWindow: WindowObserver?) {
        extractor.finish { window in
            self.record(window, model: model, captureStart: captureStart, onWindow: onWindow)
        }
    }

    private func record(_ window: WindowResult, model: BoundModel, captureStart: Double, onWindow: WindowObserver?) {
        var report = WindowReport(index: window.index, start: window.start - captureStart, end: window.end - captureStart,
                                  packets: window.packetCount, skipped: window.skipped, label: nil, confidence: nil,
                                  probabilities: nil)
        if !window.skipped {
            window.values.withUnsafeBufferPointer { row in
                scratch.withUnsafeMutableBufferPointer { out in
                    model.model.evaluator.probabilities(row: row, into: out)
                }
            }
            let best = StreamVerdict.argmax(scratch)
            report.label = model.model.classes[best]
            report.confidence = scratch[best]
            report.probabilities = scratch
            probabilities.append(scratch)
        }
        windows.append(report)
        onWindow?(label, report)
    }

    func report(captureStart: Double, model: BoundModel) -> StreamReport {
        let verdict = StreamVerdict(classes: model.model.classes, windowProbabilities: probabilities)
        return StreamReport(
            client: label, selection: selection, flows: flowNames.sorted { $0.key < $1.key }.map(\.value),
            packets: packets, downloadBytes: downloadBytes, uploadBytes: uploadBytes,
            durationSeconds: firstTime.map { lastTime - $0 } ?? 0,
            label: verdict.label, confidence: verdict.confidence, probabilities: verdict.probabilities,
            windows: windows, windowShare: verdict.windowShare, final: verdict.final, disagreement: verdict.disagreement)
    }
}

/// The single pass: protocol summary, flow table with names, and the units fed as packets arrive.
struct FirstPass {
    let model: BoundModel
    let options: AnalysisOptions
    let linkType: LinkType
    let onWindow: WindowObserver?
    var flows: FlowTable
    var summary = ProtocolSummary()
    var undecodable = 0
    var firstTime: Double?
    var lastTime: Double?
    var finishedFlows: [FlowRecord] = []
    /// Per flow index: 0 = name not known yet, 1 = media (the unit index is in `unitOf`), 2 = not media.
    var mediaState: [UInt8] = []
    var unitOf: [Int32] = []
    var units: [StreamUnit] = []
    var unitByClient: [IPAddress: Int] = [:]

    init(model: BoundModel, options: AnalysisOptions, linkType: LinkType, onWindow: WindowObserver?) {
        self.model = model
        self.options = options
        self.linkType = linkType
        self.onWindow = onWindow
        var table = FlowTable(configuration: FlowTableConfiguration(keepFinished: true))
        table.onFinish = nil
        self.flows = table
        switch options.scope {
        case .reference:
            units = [StreamUnit(client: nil, label: "reference scope",
                                selection: "every IPv4 packet longer than 60 bytes, all flows mixed (--scope reference)", model: model)]
        case .client(let address):
            units = [StreamUnit(client: address, label: address.description,
                                selection: "every IP packet to or from \(address) (--client)", model: model)]
        case .filtered:
            units = [StreamUnit(client: nil, label: "filter \(options.filter ?? "")",
                                selection: "every IP packet the filter '\(options.filter ?? "")' passed, all flows mixed", model: model)]
        case .streams:
            break
        }
    }

    mutating func consume(_ packet: borrowing CapturedPacket) {
        let time = packet.timestamp.timeInterval
        if firstTime == nil { firstTime = time }
        lastTime = time
        let decoded = decode(linkType: linkType, bytes: packet.bytes)
        summary.count(decoded, frameLength: packet.originalLength)
        if decoded.anomaly != nil { undecodable += 1 }
        guard decoded.network == .ipv4 || decoded.network == .ipv6 else { return }
        let touch = flows.process(decoded, bytes: packet.bytes, time: time, frameLength: packet.originalLength)
        let start = firstTime!

        switch options.scope {
        case .streams:
            guard let touch else { return }
            route(touch, decoded: decoded, frameLength: packet.capturedLength, time: time, captureStart: start)
        case .reference:
            guard decoded.network == .ipv4, packet.capturedLength > 60 else { return }
            let direction: PacketDirection = touch.map { $0.direction == .serverToClient ? .download : .upload } ?? .unknown
            units[0].add(sample(decoded, time: time, length: packet.capturedLength, direction: direction),
                         model: model, captureStart: start, onWindow: onWindow)
            if let touch { units[0].noteFlow(flows.records[touch.index]) }
        case .client(let address):
            guard decoded.src == address || decoded.dst == address else { return }
            units[0].add(sample(decoded, time: time, length: packet.capturedLength, direction: decoded.dst == address ? .download : .upload),
                         model: model, captureStart: start, onWindow: onWindow)
            if let touch { units[0].noteFlow(flows.records[touch.index]) }
        case .filtered:
            let direction: PacketDirection = touch.map { $0.direction == .serverToClient ? .download : .upload } ?? .unknown
            units[0].add(sample(decoded, time: time, length: packet.capturedLength, direction: direction),
                         model: model, captureStart: start, onWindow: onWindow)
            if let touch { units[0].noteFlow(flows.records[touch.index]) }
        }
    }

    /// Streams scope: a packet of a flow whose service name matches the model goes to its client's unit.
    @inline(__always)
    mutating func route(_ touch: FlowTouch, decoded: DecodedPacket, frameLength: Int, time: Double, captureStart: Double) {
        let index = touch.index
        if index >= mediaState.count {
            let grow = max(index + 1, mediaState.count * 2)
            mediaState += [UInt8](repeating: 0, count: grow - mediaState.count)
            unitOf += [Int32](repeating: -1, count: grow - unitOf.count)
        }
        if touch.isNew { mediaState[index] = 0; unitOf[index] = -1 }
        if mediaState[index] == 0 {
            let record = flows.records[index]
            guard let name = record.serviceName else { return }
            if model.patterns.matches(name) {
                mediaState[index] = 1
                unitOf[index] = Int32(unit(for: record.clientAddress))
                units[Int(unitOf[index])].noteFlow(record)
            } else {
                mediaState[index] = 2
            }
        }
        guard mediaState[index] == 1 else { return }
        let direction: PacketDirection = touch.direction == .serverToClient ? .download : .upload
        units[Int(unitOf[index])].add(sample(decoded, time: time, length: frameLength, direction: direction),
                                      model: model, captureStart: captureStart, onWindow: onWindow)
    }

    mutating func unit(for client: IPAddress) -> Int {
        if let u = unitByClient[client] { return u }
        let names = model.patterns.patterns.map(\.pattern).joined(separator: ", ")
        units.append(StreamUnit(client: client, label: client.description,
                                selection: "flows whose TLS SNI or DNS name matches the model's service names (\(names))",
                                model: model))
        unitByClient[client] = units.count - 1
        return units.count - 1
    }

    @inline(__always)
    func sample(_ d: DecodedPacket, time: Double, length: Int, direction: PacketDirection) -> PacketSample {
        PacketSample(time: time, frameLength: length, direction: direction, isIPv4: d.network == .ipv4,
                     ipProtocol: UInt8(truncatingIfNeeded: d.ipProtocol.rawValue), payloadLength: d.payloadLength)
    }

    mutating func finishUnits() -> [StreamUnit] {
        let start = firstTime ?? 0
        for u in units { u.finish(model: model, captureStart: start, onWindow: onWindow) }
        return units.filter { $0.packets > 0 || options.scope != .streams }
    }

    func allFlows() -> [FlowRecord] { flows.finished }
}

extension StreamUnit {
    func noteFlow(_ record: FlowRecord) {
        guard flowNames[record.id] == nil else { return }
        let name = record.serviceName.map { " (\($0))" } ?? ""
        flowNames[record.id] = "\(record.protocolName) \(record.serverAddress.bracketed):\(record.serverPort)\(name)"
    }
}

extension IPAddress {
    /// IPv6 in brackets, for address:port text.
    var bracketed: String { isIPv4 ? description : "[\(description)]" }
}
