/// Per-direction totals of one window (`FeatureFamily.directionNames` order).
///
/// Ratios divide by max(upload value, 1) so a window without upload stays finite;
/// `down_bytes_share` is download / (download + upload), 0 for an empty window.
/// Packets of `.unknown` direction count in neither direction.
enum DirectionFeatures {
    static func compute(_ packets: [PacketSample], _ range: Range<Int>, window: Double, into out: inout [Double]) {
        var downBytes = 0, upBytes = 0, downPackets = 0, upPackets = 0
        for i in range {
            let packet = packets[i]
            switch packet.direction {
            case .download:
                downBytes += packet.frameLength
                downPackets += 1
            case .upload:
                upBytes += packet.frameLength
                upPackets += 1
            case .unknown:
                break
            }
        }
        let downMean = downPackets > 0 ? Double(downBytes) / Double(downPackets) : 0
        let upMean = upPackets > 0 ? Double(upBytes) / Double(upPackets) : 0
        out[0] = Double(downBytes)
        out[1] = Double(upBytes)
        out[2] = Double(downPackets)
        out[3] = Double(upPackets)
        out[4] = downMean
        out[5] = upMean
        out[6] = Double(downBytes) / Double(max(upBytes, 1))
        out[7] = Double(downPackets) / Double(max(upPackets, 1))
        out[8] = downMean / max(upMean, 1)
        let both = downBytes + upBytes
        out[9] = both > 0 ? Double(downBytes) / Double(both) : 0
        out[10] = Double(downBytes) / window
        out[11] = Double(upBytes) / window
    }
}

/// The webcam-presence table's 12 features (`FeatureFamily.webcamNames` order), as
/// shared/datasets/README.md defines them. Inbound = `.download` (to the client),
/// outbound = `.upload`; `.unknown` packets count only in the both-direction columns.
enum WebcamFeatures {
    /// `previousTime`: time of the unit's packet just before the window (nil before the
    /// unit's first packet, whose interval is 0).
    static func compute(
        _ packets: [PacketSample], _ range: Range<Int>, previousTime: Double?, window: Double,
        into out: inout [Double]
    ) {
        guard !range.isEmpty else {
            for i in 0..<12 { out[i] = 0 }
            return
        }
        var bytes = 0, inBytes = 0, outBytes = 0, inCount = 0, outCount = 0
        var intervalSum = 0.0
        var previous = previousTime ?? packets[range.lowerBound].time
        var firstIn = 0.0, lastIn = 0.0, firstOut = 0.0, lastOut = 0.0
        for i in range {
            let packet = packets[i]
            bytes += packet.frameLength
            intervalSum += packet.time - previous
            previous = packet.time
            switch packet.direction {
            case .download:
                if inCount == 0 { firstIn = packet.time }
                lastIn = packet.time
                inCount += 1
                inBytes += packet.frameLength
            case .upload:
                if outCount == 0 { firstOut = packet.time }
                lastOut = packet.time
                outCount += 1
                outBytes += packet.frameLength
            case .unknown:
                break
            }
        }
        let n = Double(range.count)
        out[0] = n
        out[1] = intervalSum / n
        out[2] = Double(bytes) / n
        out[3] = Double(inCount)
        out[4] = Double(outCount)
        out[5] = inCount > 1 ? (lastIn - firstIn) / Double(inCount - 1) : 0
        out[6] = outCount > 1 ? (lastOut - firstOut) / Double(outCount - 1) : 0
        out[7] = inCount > 0 ? Double(inBytes) / Double(inCount) : 0
        out[8] = outCount > 0 ? Double(outBytes) / Double(outCount) : 0
        out[9] = Double(bytes) / window
        out[10] = Double(inBytes) / window
        out[11] = Double(outBytes) / window
    }
}
