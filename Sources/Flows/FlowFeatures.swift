import Wire

/// `flow-v1`: whole-flow features for flow classification (is this flow Spotify?), computed in the same
/// single pass as the flow table, in constant memory per flow. Definitions in docs/features.md.
///
/// A released version never changes meaning: a new feature or a new definition is `flow-v2`.
public enum FlowFeatureSet {
    public static let name = "flow-v1"

    /// Feature names in the order `FlowFeatureAccumulator.values` returns them.
    public static let featureNames: [String] = [
        "flow_duration", "packets_up", "packets_down", "bytes_up", "bytes_down",
        "size_mean_up", "size_std_up", "size_min_up", "size_max_up",
        "size_mean_down", "size_std_down", "size_min_down", "size_max_down",
        "iat_mean_up", "iat_std_up", "iat_max_up",
        "iat_mean_down", "iat_std_down", "iat_max_down",
        "iat_mean", "iat_max",
        "upload_byte_share", "upload_packet_share",
        "empty_share_up", "empty_share_down",
        "first_size_up", "first_size_down",
        "bytes_per_second",
        "is_tcp", "is_quic", "tls_hello", "ipv6",
        "server_port_class", "client_port_class", "same_port",
        "server_group_address", "server_local", "client_local",
        "ended_fin", "ended_rst",
    ]

    /// `server_port_class` / `client_port_class`: 0 well-known (< 1024), 1 registered (1024–49151),
    /// 2 dynamic (≥ 49152), as RFC 6335 divides the port space.
    public static func portClass(_ port: UInt16) -> Double {
        port < 1024 ? 0 : port < 49152 ? 1 : 2
    }

    /// Multicast (IPv4 224/4, IPv6 ff00::/8), the limited broadcast 255.255.255.255, or an IPv4
    /// address ending in .255 (the directed broadcast of the /24 every home router hands out; a
    /// capture does not tell the real prefix length, so this is a heuristic).
    public static func isGroupAddress(_ a: IPAddress) -> Bool {
        if let v = a.ipv4Value { return v >> 28 == 0xE || v & 0xFF == 0xFF }
        return a.high >> 56 == 0xFF
    }
}

/// Running statistics of one direction of a flow: sizes (frame bytes) and the gaps between its packets.
/// Welford's update keeps mean and variance stable without storing the packets.
public struct FlowDirectionStats: Sendable {
    public private(set) var packets = 0.0
    public private(set) var bytes = 0.0
    var sizeMean = 0.0, sizeM2 = 0.0
    public private(set) var sizeMin = Double.infinity
    public private(set) var sizeMax = 0.0
    var gapCount = 0.0, gapMean = 0.0, gapM2 = 0.0
    public private(set) var gapMax = 0.0
    var lastTime = 0.0
    /// Packets without transport payload (TCP pure ACKs, empty datagrams).
    public private(set) var empty = 0.0
    public private(set) var firstSize = 0.0

    public init() {}

    @inline(__always)
    mutating func add(size: Double, payload: Int, time: Double) {
        if packets == 0 {
            firstSize = size
        } else {
            let gap = max(0, time - lastTime)
            gapCount += 1
            let d = gap - gapMean
            gapMean += d / gapCount
            gapM2 += d * (gap - gapMean)
            if gap > gapMax { gapMax = gap }
        }
        lastTime = time
        packets += 1
        bytes += size
        let d = size - sizeMean
        sizeMean += d / packets
        sizeM2 += d * (size - sizeMean)
        if size < sizeMin { sizeMin = size }
        if size > sizeMax { sizeMax = size }
        if payload == 0 { empty += 1 }
    }

    public var meanSize: Double { packets > 0 ? sizeMean : 0 }
    /// Population standard deviation; 0 with fewer than two packets.
    public var stdSize: Double { packets > 1 ? (max(0, sizeM2) / packets).squareRoot() : 0 }
    public var minSize: Double { packets > 0 ? sizeMin : 0 }
    public var meanGap: Double { gapCount > 0 ? gapMean : 0 }
    public var stdGap: Double { gapCount > 1 ? (max(0, gapM2) / gapCount).squareRoot() : 0 }
    public var emptyShare: Double { packets > 0 ? empty / packets : 0 }
}

/// The per-flow state behind `flow-v1`: two `FlowDirectionStats`, the gaps of the flow as a whole, and
/// whether each side's first payload was a TLS handshake record. About 40 numbers, whatever the flow's
/// length. Like `FlowRecord`, it counts per canonical side (the flow key's low and high endpoint), so a
/// client revised later (a SYN seen after other packets) does not mix the directions; the client's
/// view is taken at the end.
public struct FlowFeatureAccumulator: Sendable {
    var low = FlowDirectionStats()
    var high = FlowDirectionStats()
    var gapCount = 0.0, gapSum = 0.0, gapMax = 0.0
    var lastTime = -Double.infinity
    /// Per side, 0: no payload yet; 1: the first one started a TLS handshake record; 2: it did not.
    var helloLow: UInt8 = 0, helloHigh: UInt8 = 0

    public init() {}

    /// Accounts one packet of the flow, sent by the key's low endpoint or not. `bytes` is the captured
    /// frame the packet was decoded from.
    @inline(__always)
    public mutating func add(_ p: DecodedPacket, bytes: UnsafeRawBufferPointer, fromLow: Bool, time: Double, frameLength: Int) {
        if lastTime != -Double.infinity {
            let gap = max(0, time - lastTime)
            gapCount += 1
            gapSum += gap
            if gap > gapMax { gapMax = gap }
        }
        lastTime = max(lastTime, time)
        let size = Double(frameLength)
        if (fromLow ? helloLow : helloHigh) == 0 && p.capturedPayloadLength > 0 {
            // TLS record: content type 22 (handshake), version major 3 (RFC 8446 §5.1).
            let tls = p.capturedPayloadLength >= 2 && bytes[p.payloadOffset] == 0x16 && bytes[p.payloadOffset + 1] == 0x03
            if fromLow { helloLow = tls ? 1 : 2 } else { helloHigh = tls ? 1 : 2 }
        }
        if fromLow {
            low.add(size: size, payload: p.payloadLength, time: time)
        } else {
            high.add(size: size, payload: p.payloadLength, time: time)
        }
    }

    /// The `flow-v1` values of the flow `record` (its final state), in `FlowFeatureSet.featureNames` order.
    public func values(for record: FlowRecord) -> [Double] {
        let up = record.clientIsLow ? low : high, down = record.clientIsLow ? high : low
        let helloByte = record.clientIsLow ? helloLow : helloHigh
        let duration = max(0, record.duration)
        let total = up.bytes + down.bytes
        let packets = up.packets + down.packets
        let ended = record.endReason
        return [
            duration, up.packets, down.packets, up.bytes, down.bytes,
            up.meanSize, up.stdSize, up.minSize, up.sizeMax,
            down.meanSize, down.stdSize, down.minSize, down.sizeMax,
            up.meanGap, up.stdGap, up.gapMax,
            down.meanGap, down.stdGap, down.gapMax,
            gapCount > 0 ? gapSum / gapCount : 0, gapMax,
            total > 0 ? up.bytes / total : 0, packets > 0 ? up.packets / packets : 0,
            up.emptyShare, down.emptyShare,
            up.firstSize, down.firstSize,
            total / max(duration, 0.001),
            record.isTCP ? 1 : 0, record.isQUIC ? 1 : 0, helloByte == 1 ? 1 : 0, record.clientAddress.isIPv4 ? 0 : 1,
            FlowFeatureSet.portClass(record.serverPort), FlowFeatureSet.portClass(record.clientPort),
            record.serverPort == record.clientPort ? 1 : 0,
            FlowFeatureSet.isGroupAddress(record.serverAddress) ? 1 : 0,
            record.serverAddress.isPrivateOrLocal ? 1 : 0, record.clientAddress.isPrivateOrLocal ? 1 : 0,
            ended == .fin ? 1 : 0, ended == .reset ? 1 : 0,
        ]
    }
}

/// Keeps one `FlowFeatureAccumulator` per live flow of a `FlowTable`, by the table's flow index, next
/// to the table in the same pass. An index is reused only after its flow ended (`FlowTouch.isNew`), so
/// the accumulator of the flow that held it is put aside then, under its flow id.
public struct FlowFeatureTracker: Sendable {
    var live: [FlowFeatureAccumulator] = []
    /// The flow id whose accumulator sits at each index (0: none; flow ids start at 1).
    var liveIDs: [UInt64] = []
    var ended: [UInt64: FlowFeatureAccumulator] = [:]

    public init() {}

    /// Accounts one packet; `touch` is what `FlowTable.process` returned for it, `flowID` the id of
    /// `table.records[touch.index]` and `clientIsLow` its `clientIsLow`, both as they are after the packet.
    @inline(__always)
    public mutating func add(_ p: DecodedPacket, bytes: UnsafeRawBufferPointer, touch: FlowTouch, flowID: UInt64, clientIsLow: Bool,
                             time: Double, frameLength: Int) {
        let i = touch.index
        if i >= live.count {
            live.append(contentsOf: repeatElement(FlowFeatureAccumulator(), count: i + 1 - live.count))
            liveIDs.append(contentsOf: repeatElement(0, count: i + 1 - liveIDs.count))
        }
        if touch.isNew || liveIDs[i] != flowID {
            if liveIDs[i] != 0 { ended[liveIDs[i]] = live[i] }
            live[i] = FlowFeatureAccumulator()
            liveIDs[i] = flowID
        }
        live[i].add(p, bytes: bytes, fromLow: (touch.direction == .clientToServer) == clientIsLow, time: time, frameLength: frameLength)
    }

    /// Drops the accumulators of finished flows that will not be reported.
    public mutating func forget(_ ids: [UInt64]) {
        for id in ids { ended.removeValue(forKey: id) }
    }

    /// The `flow-v1` values of each finished flow (a flow never seen gets the values of an empty accumulator).
    public func values(for flows: [FlowRecord]) -> [[Double]] {
        var all = ended
        for (i, id) in liveIDs.enumerated() where id != 0 { all[id] = live[i] }
        return flows.map { (all[$0.id] ?? FlowFeatureAccumulator()).values(for: $0) }
    }
}
