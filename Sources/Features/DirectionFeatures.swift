/// One direction's packets of a window: how many, their bytes, the first and last arrival.
struct DirectionTally {
    var packets = 0
    var bytes = 0
    var firstTime = 0.0
    var lastTime = 0.0

    @inline(__always)
    mutating func add(_ packet: PacketSample) {
        if packets == 0 { firstTime = packet.time }
        lastTime = packet.time
        packets += 1
        bytes += packet.frameLength
    }

    /// Mean frame length; 0 without packets.
    var meanSize: Double { packets > 0 ? Double(bytes) / Double(packets) : 0 }

    /// Mean gap between consecutive packets; 0 with fewer than two.
    var meanInterval: Double { packets > 1 ? (lastTime - firstTime) / Double(packets - 1) : 0 }
}

/// The download and upload tallies of a window; packets of `.unknown` direction count in neither.
struct DirectionTallies {
    var download = DirectionTally()
    var upload = DirectionTally()

    @inline(__always)
    mutating func add(_ packet: PacketSample) {
        switch packet.direction {
        case .download: download.add(packet)
        case .upload: upload.add(packet)
        case .unknown: break
        }
    }
}

/// The direction family's 12 features, in published order (names derived from the cases).
enum DirectionSlot: Int, CaseIterable, FeatureSlot {
    case downBytes, upBytes, downPackets, upPackets, downMeanPktSize, upMeanPktSize
    case downUpBytesRatio, downUpPacketsRatio, downUpMeanSizeRatio, downBytesShare
    case downBytesPerSecond, upBytesPerSecond

    /// The published names, in case order: the snake_case of each case (after `namePrefix`), written out
    /// so that no name is derived by reflection at run time (`FeatureNameTests` checks the two agree).
    static let publishedNames = [
        "down_bytes", "up_bytes", "down_packets", "up_packets", "down_mean_pkt_size", "up_mean_pkt_size",
        "down_up_bytes_ratio", "down_up_packets_ratio", "down_up_mean_size_ratio", "down_bytes_share",
        "down_bytes_per_second", "up_bytes_per_second"
    ]
    var name: String { Self.publishedNames[rawValue] }
}

/// Per-direction totals of one window.
///
/// Ratios divide by max(upload value, 1) so a window without upload stays finite;
/// `down_bytes_share` is download / (download + upload), 0 for an empty window.
/// Packets of `.unknown` direction count in neither direction.
enum DirectionFeatures {
    static func compute(_ packets: [PacketSample], _ range: Range<Int>, window: Double, into out: inout [Double]) {
        var tallies = DirectionTallies()
        for i in range { tallies.add(packets[i]) }
        let down = tallies.download, up = tallies.upload
        out[DirectionSlot.downBytes] = Double(down.bytes)
        out[DirectionSlot.upBytes] = Double(up.bytes)
        out[DirectionSlot.downPackets] = Double(down.packets)
        out[DirectionSlot.upPackets] = Double(up.packets)
        out[DirectionSlot.downMeanPktSize] = down.meanSize
        out[DirectionSlot.upMeanPktSize] = up.meanSize
        out[DirectionSlot.downUpBytesRatio] = Double(down.bytes) / Double(max(up.bytes, 1))
        out[DirectionSlot.downUpPacketsRatio] = Double(down.packets) / Double(max(up.packets, 1))
        out[DirectionSlot.downUpMeanSizeRatio] = down.meanSize / max(up.meanSize, 1)
        let both = down.bytes + up.bytes
        out[DirectionSlot.downBytesShare] = both > 0 ? Double(down.bytes) / Double(both) : 0
        out[DirectionSlot.downBytesPerSecond] = Double(down.bytes) / window
        out[DirectionSlot.upBytesPerSecond] = Double(up.bytes) / window
    }
}

/// The webcam-presence family's 12 features, with the column names of the webcam-presence dataset
/// ("Spy your mate"; docs/features.md gives each definition).
enum WebcamSlot: Int, CaseIterable, FeatureSlot {
    case packets, meanInterval, meanSize, inboundPackets, outboundPackets, inboundInterval, outboundInterval
    case inboundSize, outboundSize, bitRate, inboundBitRate, outboundBitRate

    var name: String {
        switch self {
        case .packets: return "Pkts number"
        case .meanInterval: return "Avg pkts interval"
        case .meanSize: return "Avg pkts size"
        case .inboundPackets: return "Inbound pkts"
        case .outboundPackets: return "Outbound pkts"
        case .inboundInterval: return "In pkts interval"
        case .outboundInterval: return "Out pkts interval"
        case .inboundSize: return "In pkts size"
        case .outboundSize: return "Out pkts size"
        case .bitRate: return "Bit Rate"
        case .inboundBitRate: return "Inbound bit rate"
        case .outboundBitRate: return "Outbound bit rate"
        }
    }
}

/// The webcam-presence window features. Inbound = `.download` (to the client), outbound = `.upload`;
/// `.unknown` packets count only in the both-direction columns. The "bit rates" are bytes per second,
/// as in the dataset's table.
enum WebcamFeatures {
    /// `previousTime`: time of the unit's packet just before the window (nil before the
    /// unit's first packet, whose interval is 0).
    static func compute(
        _ packets: [PacketSample], _ range: Range<Int>, previousTime: Double?, window: Double,
        into out: inout [Double]
    ) {
        guard !range.isEmpty else {
            for slot in WebcamSlot.allCases { out[slot] = 0 }
            return
        }
        var bytes = 0
        var intervalSum = 0.0
        var previous = previousTime ?? packets[range.lowerBound].time
        var tallies = DirectionTallies()
        for i in range {
            let packet = packets[i]
            bytes += packet.frameLength
            intervalSum += packet.time - previous
            previous = packet.time
            tallies.add(packet)
        }
        let inbound = tallies.download, outbound = tallies.upload
        let n = Double(range.count)
        out[WebcamSlot.packets] = n
        out[WebcamSlot.meanInterval] = intervalSum / n
        out[WebcamSlot.meanSize] = Double(bytes) / n
        out[WebcamSlot.inboundPackets] = Double(inbound.packets)
        out[WebcamSlot.outboundPackets] = Double(outbound.packets)
        out[WebcamSlot.inboundInterval] = inbound.meanInterval
        out[WebcamSlot.outboundInterval] = outbound.meanInterval
        out[WebcamSlot.inboundSize] = inbound.meanSize
        out[WebcamSlot.outboundSize] = outbound.meanSize
        out[WebcamSlot.bitRate] = Double(bytes) / window
        out[WebcamSlot.inboundBitRate] = Double(inbound.bytes) / window
        out[WebcamSlot.outboundBitRate] = Double(outbound.bytes) / window
    }
}
