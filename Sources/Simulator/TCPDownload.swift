import Wire

/// The server's side of a TCP connection's downloads: records, segments, the congestion window's rounds at
/// the bottleneck, and the client's arrivals and ACKs (sendDown, in stages).
extension Engine {
    /// Server data of `bytes` application bytes whose first segment reaches the client at `firstArrival`: TLS records
    /// with dynamic record sizing [S17], slow start from the current window [S16], the bottleneck's spacing, loss with
    /// fast retransmission one RTT later, and the client's ACKs by its ACK policy. Returns the last arrival.
    @discardableResult
    func sendDown(_ c: TCPConnection, firstArrival: Double, bytes: Int, overlay: [UInt8]?, records: Bool, ackAtEnd: Bool = true,
                  rateCap: Double? = nil) -> Double {
        let start = max(firstArrival, now)
        if let overlay { c.overlays[0].append(Overlay(offset: c.serverOffset, bytes: overlay)) }
        let segments = records ? recordSegments(c, start: start, bytes: bytes) : plainSegments(c, bytes: bytes)
        let startOffset = c.serverOffset
        let arrivals = scheduleDown(c, segments: segments, start: start, rateCap: rateCap)
        let lastEvent = deliverDown(c, arrivals, start: start, from: startOffset, ackAtEnd: ackAtEnd)
        let last = arrivals.last?.time ?? start
        c.lastServerSend = last
        c.busyUntil = max(c.busyUntil, min(lastEvent, last + 0.001))
        return last
    }

    /// One server segment as it reaches the client.
    private struct Arrival {
        var time: Double
        var offset: UInt64
        var length: Int
    }

    /// Segment sizes of `bytes` sent as they are (no TLS records to mark).
    private func plainSegments(_ c: TCPConnection, bytes: Int) -> [Int] {
        var segments: [Int] = []
        segments.reserveCapacity(bytes / max(1, c.downSegment) + 8)
        var pending = bytes
        flush(&pending, into: &segments, size: c.downSegment)
        return segments
    }

    /// Marks the TLS records of `bytes` application bytes at the server's offset and returns the segment sizes:
    /// Cloudflare's dynamic record sizing, 40 records of 1,369 B (each its own segments), then 4,229 B, then
    /// 16 KiB (these packed back to back); the count restarts after 1 s idle [S17].
    private func recordSegments(_ c: TCPConnection, start: Double, bytes: Int) -> [Int] {
        var segments: [Int] = []
        segments.reserveCapacity(bytes / max(1, c.downSegment) + 8)
        if start - c.lastServerSend > 1.0 { c.recordsSinceIdle = 0 }
        var left = bytes, pending = 0, at = c.serverOffset
        while left > 0 {
            let body = c.recordsSinceIdle < 40 ? 1_369 : (c.recordsSinceIdle < 60 ? 4_229 : 16_384)
            let n = min(left, body)
            c.records[0].append(RecordMark(offset: at, bodyLength: UInt32(n + 17), type: TLSBuilder.ContentType.applicationData))
            let wire = n + TLSBuilder.recordOverhead
            at += UInt64(wire)
            if body == 1_369 {
                flush(&pending, into: &segments, size: c.downSegment)
                var w = wire
                while w > 0 { let s = min(w, c.downSegment); segments.append(s); w -= s }
            } else {
                pending += wire
            }
            c.recordsSinceIdle += 1
            left -= n
        }
        flush(&pending, into: &segments, size: c.downSegment)
        return segments
    }

    /// The sender's schedule, in client arrival time, sorted: rounds of the congestion window (slow start, then
    /// congestion avoidance; the window restarts after idle [RFC 5681 §4.1]), each segment spaced by the
    /// bottleneck's rate, shared equally with the responses still in flight (those already planned keep their
    /// pace); a lost segment arrives one RTT later and shrinks the window. Advances the server's offset.
    private func scheduleDown(_ c: TCPConnection, segments: [Int], start: Double, rateCap: Double?) -> [Arrival] {
        if !c.keepsWindowWhenIdle, start - c.lastServerSend > max(0.2, 2 * c.rtt) { c.cwnd = min(c.cwnd, 10) }
        var arrivals: [Arrival] = []
        arrivals.reserveCapacity(segments.count + 4)
        var window = c.cwnd
        var competing = 0
        for other in tcp where other !== c && other.downFree > start { competing += 1 }
        var rate = link.downlink / Double(1 + competing)
        if let rateCap { rate = min(rate, rateCap) }
        var roundStart = max(start, c.downFree)
        var previous = roundStart
        var offset = c.serverOffset
        var lastJittered = start
        var i = 0
        while i < segments.count {
            let burst = min(window, segments.count - i)
            var first = -1.0
            var lossInRound = false
            let roundJitter = jitter()
            for _ in 0..<burst {
                let length = segments[i]
                let transmission = Double(length + 78) * 8 / rate
                let arrival = max(roundStart, previous + transmission)
                previous = arrival
                if first < 0 { first = arrival }
                let jittered = max(lastJittered + 0.000001, arrival + roundJitter)
                lastJittered = jittered
                if link.loss > 0 && i > 0 && rng.chance(link.loss) {
                    lossInRound = true
                    arrivals.append(Arrival(time: jittered + c.rtt + transmission, offset: offset, length: length))
                } else {
                    arrivals.append(Arrival(time: jittered, offset: offset, length: length))
                }
                offset += UInt64(length)
                i += 1
            }
            roundStart = first + c.rtt
            if lossInRound {
                c.ssthresh = max(2, c.lossBackoff == 0.5 ? window / 2 : Int(Double(window) * c.lossBackoff))
                window = c.ssthresh
            } else if window < c.ssthresh {
                window *= 2
            } else {
                window += 1
            }
            window = min(window, 4_000)
        }
        c.cwnd = window
        c.serverOffset = offset
        c.downFree = previous
        arrivals.sort { $0.time < $1.time || ($0.time == $1.time && $0.offset < $1.offset) }
        return arrivals
    }

    /// The client's side of the arrivals: each segment (PSH on the last), and the ACKs by the link's policy:
    /// at once for a gap (a duplicate ACK) or one filled, every `nextAckEvery()` in-order segments, else
    /// delayed by the delayed-ACK timer when nothing arrives before it fires (at the very end only when
    /// `ackAtEnd`). `from` is the server offset the response started at. Returns the time of the last event.
    private func deliverDown(_ c: TCPConnection, _ arrivals: [Arrival], start: Double, from startOffset: UInt64,
                             ackAtEnd: Bool) -> Double {
        let endOffset = c.serverOffset
        var acknowledged = startOffset
        var outOfOrder: [(offset: UInt64, length: Int)] = []
        var unacked = 0
        var ackEvery = nextAckEvery()
        let delayedAck = link.delayedAck
        var lastTime = start
        let ackSeq = c.clientOffset
        for (k, a) in arrivals.enumerated() {
            let isLast = a.offset + UInt64(a.length) == endOffset
            tcpEvent(c, a.time, fromClient: false, flags: isLast ? [.ack, .psh] : .ack, seq: a.offset, ack: ackSeq, length: a.length)
            var ackNow = false
            if a.offset == acknowledged {
                acknowledged += UInt64(a.length)
                if !outOfOrder.isEmpty {
                    outOfOrder.sort { $0.offset < $1.offset }
                    while let f = outOfOrder.first, f.offset <= acknowledged {
                        acknowledged = max(acknowledged, f.offset + UInt64(f.length))
                        outOfOrder.removeFirst()
                    }
                    ackNow = true
                } else {
                    unacked += 1
                    if unacked >= ackEvery { ackNow = true }
                }
            } else if a.offset > acknowledged {
                outOfOrder.append((a.offset, a.length))
                ackNow = true  // duplicate ACK
            } else {
                ackNow = true
            }
            let ackTime = a.time + rng.uniform(0.00002...0.00015)
            if ackNow {
                tcpEvent(c, ackTime, fromClient: true, flags: .ack, seq: ackSeq, ack: acknowledged, length: 0)
                unacked = 0
                ackEvery = nextAckEvery()
                lastTime = max(lastTime, ackTime)
            } else if unacked > 0 {
                let next = k + 1 < arrivals.count ? arrivals[k + 1].time : Double.infinity
                if next > a.time + delayedAck && (ackAtEnd || next.isFinite) {
                    tcpEvent(c, a.time + delayedAck, fromClient: true, flags: .ack, seq: ackSeq, ack: acknowledged, length: 0, delayed: true)
                    unacked = 0
                    lastTime = max(lastTime, a.time + delayedAck)
                }
            }
            lastTime = max(lastTime, a.time)
        }
        return lastTime
    }

    private func nextAckEvery() -> Int {
        link.ackPolicy == .stretch ? rng.int(2...5) : 2
    }

    private func flush(_ pending: inout Int, into segments: inout [Int], size: Int) {
        while pending > 0 {
            let s = min(pending, size)
            segments.append(s)
            pending -= s
        }
    }
}
