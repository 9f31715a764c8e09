import Foundation
import Capture
import Flows
import Wire

/// Output formats of the `flows` command.
public enum FlowsFormat: String, CaseIterable, Sendable {
    case text, json, csv
}

/// The flow table of one capture (the `flows` command): every TCP/UDP flow with its client and server,
/// packets and bytes each way, duration, how it ended and its service name; then the packets by
/// protocol and the decoding anomalies.
public struct FlowsReport {
    public var capture: String
    public var linkType: String
    /// Sorted by total bytes, largest first (then by creation order).
    public var flows: [FlowRecord]
    public var summary: ProtocolSummary
    public var firstTime: Double?
    public var lastTime: Double?
    /// Set when the capture broke off after some packets (the report covers the packets before), or
    /// when packets were skipped (pcapng interfaces of another link type); several joined by "; ".
    public var warning: String?
    /// The `flow-v1` features of each flow (same order as `flows`), when a flow model or the features were asked for.
    public var flowFeatures: [[Double]]?
    /// Each flow's class (same order as `flows`), when a flow model was given.
    public var classifications: [FlowClassification]?
    /// The flow model's name, when one was given.
    public var modelName: String?
    /// The version of the JSON layout (docs/json.md, docs/schema/flows.schema.json).
    public static let schemaVersion = 1
    /// The link type's libpcap name (`EN10MB`) and number (1), for JSON.
    public var linkTypeName = ""
    public var linkTypeNumber: Int32 = 0
    /// Flows not listed: beyond `maximumListedFlows`, only the flows with the most bytes are kept.
    public var omittedFlows = 0
    /// Flows the table ended early because too many were live at once (a scan or a flood).
    public var evictedFlows = 0
    /// The flow table's limit of live flows (`--max-flows`), for the eviction note.
    public var maximumLiveFlows = FlowTableConfiguration.defaultMaximumLiveFlows
    /// At most this many flows are kept for the listing (the protocol counts cover every packet):
    /// a 3-million-flow scan is summarised in bounded memory.
    public static let maximumListedFlows = 100_000
    /// CSV: append the `flow-v1` features of each flow (for training flow models).
    public var csvIncludesFeatures = false

    /// Reads the capture once: decode, flow table, protocol summary.
    ///
    /// With a `classifier` (a flow model) or `features`, each flow's `flow-v1` features are computed in
    /// the same pass (one `FlowFeatureAccumulator` per live flow); without, the pass is the plain flow table.
    ///
    /// Throws `CaptureError` (unreadable input 66, bad filter 64) or `AnalysisError` for an unsupported
    /// link type (66).
    public static func build(path: String, filter: String? = nil,
                             configuration: FlowTableConfiguration = FlowTableConfiguration(),
                             classifier: FlowClassifier? = nil, features: Bool = false) throws -> FlowsReport {
        let source = try FileSource(path: path, filter: filter)
        let linkType = LinkType(rawValue: source.linkType)
        guard linkType.isSupported else {
            throw AnalysisError.unsupportedLinkType(source.name, source.linkType, source.linkTypeName)
        }
        var table = FlowTable(configuration: configuration)
        var summary = ProtocolSummary()
        var first: Double?
        var last = -Double.infinity
        let wantFeatures = features || classifier != nil
        var tracker = FlowFeatureTracker()
        // Each flow goes straight to `kept` as it ends (no second buffer of finished flows in the table).
        var kept: [FlowRecord] = []
        table.onFinish = { kept.append($0) }
        var omitted = 0
        // Finished flows beyond twice the listing's size: keep the largest, forget the rest.
        func prune(force: Bool) {
            guard kept.count > (force ? maximumListedFlows : maximumListedFlows + maximumListedFlows / 2) else { return }
            sortByBytes(&kept)
            let excess = kept.count - maximumListedFlows
            omitted += excess
            if wantFeatures { tracker.forget(kept[maximumListedFlows...].map(\.id)) }
            kept.removeLast(excess)   // in place: no slice of `kept` is alive here
        }
        var counter = 0
        let end = try source.forEachPacket { packet in
            counter &+= 1
            if counter & 0xFFFF == 0 { prune(force: false) }
            let time = packet.timestamp.timeInterval
            if first == nil { first = time }
            if time > last { last = time }
            let decoded = decode(linkType: linkType, bytes: packet.bytes)
            summary.count(decoded, frameLength: packet.originalLength)
            let touch = table.process(decoded, bytes: packet.bytes, time: time, frameLength: packet.originalLength)
            if wantFeatures, let touch {
                let record = table.records[touch.index]
                tracker.add(decoded, bytes: packet.bytes, touch: touch, flowID: record.id, clientIsLow: record.clientIsLow,
                            time: time, frameLength: packet.originalLength)
            }
            return true
        }
        table.finish()
        prune(force: true)
        // What the reading said (packets of other pcapng interfaces skipped, a cut or corrupt end).
        var notes = source.warnings
        if case .truncated(let text) = end { notes.append(text) }
        let warning = notes.isEmpty ? nil : notes.joined(separator: "; ")
        let evicted = table.evictedCount
        table = FlowTable()   // the live-flow storage is no longer needed: free it before sorting
        var flows = kept
        kept = []
        FlowsReport.sortByBytes(&flows)
        var report = FlowsReport(capture: path, linkType: linkType.description, flows: flows, summary: summary,
                                 firstTime: first, lastTime: first == nil ? nil : last, warning: warning)
        report.omittedFlows = omitted
        report.linkTypeName = linkType.name
        report.linkTypeNumber = linkType.rawValue
        report.evictedFlows = evicted
        report.maximumLiveFlows = configuration.maximumLiveFlows
        if wantFeatures {
            let values = tracker.values(for: flows)
            report.flowFeatures = values
            if let classifier {
                report.classifications = zip(flows, values).map { classifier.classify($0, features: $1) }
                report.modelName = classifier.model.name
            }
        }
        return report
    }

    /// One line on flows ended early to keep the table bounded.
    public static func evictionNote(_ count: Int, limit: Int) -> String {
        "\(count) flows were ended early (\"evicted\"): more than \(limit) were live at once "
            + "(a scan or a flood?); the oldest with at most two packets went first"
    }

    public var duration: Double { firstTime.map { (lastTime ?? $0) - $0 } ?? 0 }

    public func render(_ format: FlowsFormat, limit: Int? = nil) -> String {
        switch format {
        case .text: return text(limit: limit)
        case .json: return json(limit: limit)
        case .csv: return csv(limit: limit)
        }
    }

    /// Sorts largest first, then in creation order (ids are unique: a total order). The small keys are
    /// sorted and the records are then moved once each, in place (cycle by cycle): sorting the records
    /// themselves moved ~170-byte values through a merge buffer as large as the array.
    static func sortByBytes(_ records: inout [FlowRecord]) {
        var order = records.indices.map { (bytes: records[$0].totalBytes, id: records[$0].id, index: $0) }
        order.sort { $0.bytes != $1.bytes ? $0.bytes > $1.bytes : $0.id < $1.id }
        // Position i receives the record at order[i].index.
        var placed = [Bool](repeating: false, count: records.count)
        for start in records.indices where !placed[start] {
            let saved = records[start]
            var current = start
            while true {
                placed[current] = true
                let next = order[current].index
                if next == start { records[current] = saved; break }
                records[current] = records[next]
                current = next
            }
        }
    }

    func shown(_ limit: Int?) -> ArraySlice<FlowRecord> { flows.prefix(limit ?? flows.count) }

    static func endpoint(_ address: IPAddress, _ port: UInt16) -> String {
        address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
    }

    static func seconds(_ value: Double) -> String { String(format: "%.3f", value) }

    // MARK: - Text

    public func text(limit: Int? = nil) -> String {
        var out = "\(capture): \(summary.packets) packets, \(summary.bytes) bytes, \(FlowsReport.seconds(duration)) s, link type \(linkType)\n"
        let tcp = flows.filter(\.isTCP).count
        let quic = flows.filter(\.isQUIC).count
        if omittedFlows > 0 {
            out += "\(flows.count + omittedFlows) flows; the \(flows.count) with the most bytes are listed (TCP \(tcp), UDP \(flows.count - tcp - quic), QUIC \(quic)), sorted by bytes\n"
        } else {
            out += "\(flows.count) flows (TCP \(tcp), UDP \(flows.count - tcp - quic), QUIC \(quic)), sorted by bytes\n"
        }
        if evictedFlows > 0 { out += FlowsReport.evictionNote(evictedFlows, limit: maximumLiveFlows) + "\n" }
        out += "\n"
        if let classes = classifications, let modelName {
            out += FlowsReport.classTally(classes, model: modelName) + "\n"
        }
        var header = ["client", "server", "proto", "pkts>", "bytes>", "pkts<", "bytes<", "duration", "end"]
        if classifications != nil { header += ["class", "confidence", "decided_by"] }
        header.append("service")
        var rows: [[String]] = [header]
        for (i, f) in shown(limit).enumerated() {
            let name = f.serviceName.map { f.nameSource == .dnsLater ? "\($0) (dns, later)" : $0 } ?? "-"
            var row = [FlowsReport.endpoint(f.clientAddress, f.clientPort), FlowsReport.endpoint(f.serverAddress, f.serverPort),
                       f.protocolName, "\(f.toServer.packets)", "\(f.toServer.bytes)", "\(f.toClient.packets)",
                       "\(f.toClient.bytes)", FlowsReport.seconds(f.duration), f.endReason?.description ?? ""]
            if let c = classifications?[i] { row += [c.label, FlowsReport.confidence(c.confidence), c.decidedBy.description] }
            row.append(name)
            rows.append(row)
        }
        let widths = header.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        let rightAligned: Set<Int> = classifications == nil ? [3, 4, 5, 6, 7] : [3, 4, 5, 6, 7, 10]
        for row in rows {
            var line = ""
            for (c, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                if c == row.count - 1 { line += cell; break }
                line += (rightAligned.contains(c) ? pad + cell : cell + pad) + "  "
            }
            out += line + "\n"
        }
        if shown(limit).count < flows.count { out += "(\(flows.count - shown(limit).count) more flows not shown)\n" }
        out += "\nPackets by protocol\n"
        let summaryRows = summary.rows
        let nameWidth = summaryRows.map(\.name.count).max() ?? 0
        for row in summaryRows {
            out += "  " + row.group.padding(toLength: 10, withPad: " ", startingAt: 0)
                + row.name.padding(toLength: nameWidth + 2, withPad: " ", startingAt: 0) + "\(row.packets)\n"
        }
        if summary.vlanTagged > 0 { out += "  VLAN-tagged packets: \(summary.vlanTagged)\n" }
        if summary.fragments > 0 { out += "  IP fragments: \(summary.fragments)\n" }
        let anomalies = summary.namedAnomalies
        out += anomalies.isEmpty ? "Anomalies: none\n" : "Anomalies\n"
        for a in anomalies { out += "  \(a.name)  \(a.packets)\n" }
        return out
    }

    static func confidence(_ value: Double) -> String { String(format: "%.3f", value) }

    /// `model spotify-flow: 52 of 307 flows spotify (name 48, port 2, model 2)`.
    static func classTally(_ classes: [FlowClassification], model: String) -> String {
        var byClass: [String: [FlowDecisionSource: Int]] = [:]
        for c in classes { byClass[c.label, default: [:]][c.decidedBy, default: 0] += 1 }
        let parts = byClass.keys.sorted().map { label -> String in
            let counts = byClass[label]!
            let total = counts.values.reduce(0, +)
            let how = [FlowDecisionSource.name, .port, .model].compactMap { s in counts[s].map { "\(s) \($0)" } }.joined(separator: ", ")
            return "\(total) \(label) (\(how))"
        }
        return "model \(model): " + parts.joined(separator: "; ")
    }

    // MARK: - JSON

    struct JSONFlow: Encodable {
        var client: String, client_port: UInt16, server: String, server_port: UInt16, `protocol`: String
        var packets_to_server: UInt64, bytes_to_server: UInt64, payload_bytes_to_server: UInt64
        var packets_to_client: UInt64, bytes_to_client: UInt64, payload_bytes_to_client: UInt64
        var start_s: Double, start_epoch: Double, duration_s: Double, end: String, service: String?, name_source: String?
        var tcp_flags: String?, client_basis: String
        /// With a flow model only (absent otherwise, so the plain output is unchanged).
        var `class`: String?, confidence: Double?, decided_by: String?
    }

    struct JSONCount: Encodable { var name: String; var packets: UInt64 }

    struct JSONReport: Encodable {
        var schema_version = FlowsReport.schemaVersion
        var capture: String, link_type: String, link_type_number: Int32, packets: UInt64, bytes: UInt64
        var start_epoch: Double?, duration_s: Double
        var flow_count: Int, flows_omitted: Int, flows_evicted: Int, flows: [JSONFlow]
        var link: [JSONCount], network: [JSONCount], transport: [JSONCount]
        var vlan_tagged: UInt64, fragments: UInt64, anomalies: [JSONCount], warning: String?
        var model: String?
    }

    /// `pretty: false`: one line (JSON Lines, for several captures).
    public func json(limit: Int? = nil, pretty: Bool = true) -> String {
        let start = firstTime ?? 0
        let rows = summary.rows
        func group(_ g: String) -> [JSONCount] { rows.filter { $0.group == g }.map { JSONCount(name: $0.name, packets: $0.packets) } }
        let report = JSONReport(
            capture: capture, link_type: linkTypeName, link_type_number: linkTypeNumber, packets: summary.packets, bytes: summary.bytes,
            start_epoch: firstTime, duration_s: duration,
            flow_count: flows.count + omittedFlows, flows_omitted: omittedFlows, flows_evicted: evictedFlows,
            flows: shown(limit).enumerated().map { i, f in
                let c = classifications?[i]
                return JSONFlow(client: "\(f.clientAddress)", client_port: f.clientPort, server: "\(f.serverAddress)",
                         server_port: f.serverPort, protocol: f.protocolName,
                         packets_to_server: f.toServer.packets, bytes_to_server: f.toServer.bytes,
                         payload_bytes_to_server: f.toServer.payloadBytes,
                         packets_to_client: f.toClient.packets, bytes_to_client: f.toClient.bytes,
                         payload_bytes_to_client: f.toClient.payloadBytes,
                         start_s: f.firstTime - start, start_epoch: f.firstTime, duration_s: f.duration, end: f.endReason?.description ?? "",
                         service: f.serviceName, name_source: f.serviceName == nil ? nil : f.nameSource.description,
                         tcp_flags: f.isTCP ? f.tcpFlags.description : nil, client_basis: f.clientBasis.description,
                         class: c?.label, confidence: c.map { ($0.confidence * 1000).rounded() / 1000 }, decided_by: c?.decidedBy.description)
            },
            link: group("link"), network: group("network"), transport: group("transport"),
            vlan_tagged: summary.vlanTagged, fragments: summary.fragments,
            anomalies: summary.namedAnomalies.map { JSONCount(name: $0.name, packets: $0.packets) }, warning: warning,
            model: classifications == nil ? nil : modelName)
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(report) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    // MARK: - CSV

    public static let csvHeader = "client,client_port,server,server_port,protocol,packets_to_server,bytes_to_server,"
        + "payload_bytes_to_server,packets_to_client,bytes_to_client,payload_bytes_to_client,start,duration,end,service,name_source"

    /// `captureColumn`: each row starts with the capture's path (several captures in one table);
    /// `header: false` leaves the header line out (the second capture on).
    public func csv(limit: Int? = nil, captureColumn: Bool = false, header: Bool = true) -> String {
        var out: [UInt8] = []
        writeCSV(limit: limit, captureColumn: captureColumn, header: header) { out.append(contentsOf: $0) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The CSV of `csv(limit:captureColumn:header:)`, handed to `write` in pieces of about 64 KiB, so
    /// that a table of 10^5 flows is never held whole (as bytes, then a string, then `Data`).
    public func writeCSV(limit: Int? = nil, captureColumn: Bool = false, header: Bool = true,
                         to write: (UnsafeBufferPointer<UInt8>) -> Void) {
        let start = firstTime ?? 0
        var row = CSVBytes()
        let piece = 1 << 16
        row.bytes.reserveCapacity(piece + 4_096)
        if header {
            row.put(captureColumn ? "capture," : "")
            row.put(FlowsReport.csvHeader)
            if classifications != nil { row.put(",class,confidence,decided_by") }
            if csvIncludesFeatures, flowFeatures != nil { row.put("," + FlowFeatureSet.featureNames.joined(separator: ",")) }
            row.bytes.append(0x0A)
        }
        // Rows are written as bytes (numbers and addresses digit by digit): a busy capture has ~10^5 rows,
        // and a string per field made the table cost more than reading the capture.
        let prefix = captureColumn ? ReportFormats.csvField(capture) + "," : ""
        for (i, f) in shown(limit).enumerated() {
            row.put(prefix)
            row.put(f.clientAddress); row.comma()
            row.put(UInt64(f.clientPort)); row.comma()
            row.put(f.serverAddress); row.comma()
            row.put(UInt64(f.serverPort)); row.comma()
            row.put(f.protocolName); row.comma()
            row.put(f.toServer)
            row.put(f.toClient)
            row.putFixed3(f.firstTime - start); row.comma()
            row.putFixed3(f.duration); row.comma()
            row.put(f.endReason?.description ?? ""); row.comma()
            row.put(ReportFormats.csvField(f.serviceName ?? "")); row.comma()
            row.put(f.serviceName == nil ? "" : f.nameSource.description)
            if let c = classifications?[i] { row.put(",\(c.label),\(FlowsReport.confidence(c.confidence)),\(c.decidedBy)") }
            if csvIncludesFeatures, let values = flowFeatures?[i] { row.put(values.map { ",\($0)" }.joined()) }
            row.bytes.append(0x0A)
            if row.bytes.count >= piece {
                row.bytes.withUnsafeBufferPointer(write)
                row.bytes.removeAll(keepingCapacity: true)
            }
        }
        if !row.bytes.isEmpty { row.bytes.withUnsafeBufferPointer(write) }
    }
}
