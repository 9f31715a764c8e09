import Capture

/// Makes a capture's timestamps safe to analyse: time only moves forward, a lone packet whose
/// timestamp is far from its neighbours' (a flipped bit in a record header) is left out, and a
/// clock that really went back (files merged out of order, a clock stepped back) starts a new
/// session instead of folding packets into windows that are already closed.
///
/// Rules, for each packet against `clock` (the latest time handed on):
/// - up to `reorderTolerance` behind the clock: small reordering (several capture queues); the
///   packet is handed on at the clock's time and counted;
/// - more than that behind, or more than `StreamUnit.sessionGap` ahead: a *departure*. It is held
///   (one packet, copied) until the next packet says what it was. If the next packet is back near
///   the old clock, the held one was a lone outlier: dropped and counted. Otherwise the jump was
///   real: ahead, the held packet starts a new session through the silence rule; behind, every
///   later timestamp is shifted so that the packets follow the clock after a silence longer than
///   `sessionGap` (a new session), and the shift is reported. A departure that is the capture's
///   last packet is dropped as an outlier;
/// - more than `maximumSeconds` (500 years) from 1970, after any shift: no capture's time, and
///   where a `Double` stops resolving the steps windows are cut in (at 10^17 s, `t + 3 == t`, and
///   a window loop never ends); the packet is left out and counted.
///
/// Each packet costs a comparison or two; nothing depends on the size of a gap.
struct CaptureClock {
    /// Packets this far behind the clock are taken as reordered, not as a clock going back.
    static let reorderTolerance = 1.0
    /// 500 years of seconds: timestamps farther from 1970 are left out (a Double still resolves
    /// 2 µs there).
    static let maximumSeconds = 500 * 365.2425 * 86_400

    private(set) var clock: Double?
    /// The latest time handed on with a packet (`clock` can be ahead of it: `idle`).
    private var packetClock: Double?
    /// Added to every raw timestamp once the clock went back.
    private(set) var shift = 0.0
    private(set) var reordered = 0
    private(set) var outliers = 0
    private(set) var backwardJumps = 0
    private(set) var largestBackwardJump = 0.0
    private(set) var forwardJumps = 0
    /// Packets left out because their time was more than `maximumSeconds` from 1970.
    private(set) var outOfRange = 0

    private var held: (timestamp: PacketTimestamp, captured: Int, original: Int, time: Double)?
    private var heldBytes: [UInt8] = []

    typealias Deliver = (borrowing CapturedPacket, Double) throws -> Void

    @inline(__always)
    mutating func feed(_ packet: borrowing CapturedPacket, _ deliver: Deliver) rethrows {
        let time = packet.timestamp.timeInterval + shift
        // Nearly every packet: nothing held, at or after the clock (so not behind the latest packet
        // either), within a session gap of it, and in range: handed on at its own time.
        if held == nil, let clock, time >= clock, time <= clock + StreamUnit.sessionGap, abs(time) <= Self.maximumSeconds {
            self.clock = time
            packetClock = time
            try deliver(packet, time)
            return
        }
        guard abs(time) <= Self.maximumSeconds else {
            outOfRange += 1
            return
        }
        if let h = held {
            held = nil
            let clock = self.clock ?? h.time
            if fitsClock(time, clock) {
                outliers += 1
            } else if h.time > clock {
                forwardJumps += 1
                try deliverHeld(h, at: h.time, deliver)
            } else {
                // The clock went back: shift what follows past a silence longer than a session gap.
                let delta = clock + StreamUnit.sessionGap + 1 - h.time
                backwardJumps += 1
                largestBackwardJump = max(largestBackwardJump, clock - h.time)
                shift += delta
                try deliverHeld(h, at: h.time + delta, deliver)
                try feedAligned(packet, time + delta, deliver)
                return
            }
        }
        try feedAligned(packet, time, deliver)
    }

    /// A live capture's time while no packet comes (`now`, on the packets' clock): the time windows may end
    /// by, or nil when it is not ahead of the clock. Packets stamped before it that still come are
    /// handed on at the clock's time (within `reorderTolerance`), not counted as reordered.
    mutating func idle(at now: Double) -> Double? {
        guard held == nil, let clock else { return nil }
        let time = now + shift
        guard time > clock, time <= clock + StreamUnit.sessionGap else { return nil }
        self.clock = time
        return time
    }

    /// The capture ended: a departure still held had no packet after it.
    mutating func finish() {
        if held != nil { outliers += 1; held = nil }
    }

    private func fitsClock(_ time: Double, _ clock: Double) -> Bool {
        time >= clock - Self.reorderTolerance && time <= clock + StreamUnit.sessionGap
    }

    private mutating func feedAligned(_ packet: borrowing CapturedPacket, _ time: Double, _ deliver: Deliver) rethrows {
        guard let clock else {
            self.clock = time
            packetClock = time
            try deliver(packet, time)
            return
        }
        if fitsClock(time, clock) {
            // Behind the latest packet: reordered. Behind only an idle clock (a live capture's packet stamped
            // just before an idle call that was handled first): taken at the clock's time, not counted.
            if time < (packetClock ?? clock) { reordered += 1 }
            let t = max(time, clock)
            self.clock = t
            packetClock = t
            try deliver(packet, t)
            return
        }
        held = (packet.timestamp, packet.capturedLength, packet.originalLength, time)
        heldBytes.removeAll(keepingCapacity: true)
        heldBytes.append(contentsOf: packet.bytes)
    }

    private mutating func deliverHeld(_ h: (timestamp: PacketTimestamp, captured: Int, original: Int, time: Double),
                                      at time: Double, _ deliver: Deliver) rethrows {
        clock = time
        packetClock = time
        try heldBytes.withUnsafeBytes { raw in
            try deliver(CapturedPacket(timestamp: h.timestamp, capturedLength: h.captured, originalLength: h.original, bytes: raw), time)
        }
    }

    /// What the user should know, one line each (nothing when the clock behaved).
    var warnings: [String] {
        var out: [String] = []
        if outliers > 0 {
            out.append("\(outliers) packet(s) left out: each had a timestamp far from both neighbours' (a corrupt record header)")
        }
        if outOfRange > 0 {
            out.append("\(outOfRange) packet(s) left out: a timestamp more than 500 years away from 1970 (a corrupt record header or pcapng time offset)")
        }
        if backwardJumps > 0 {
            out.append("the capture's clock went back \(backwardJumps) time(s) (largest \(String(format: "%.1f", largestBackwardJump)) s): "
                       + "each starts a new session, and later times are shown on a continued clock")
        }
        if reordered > 0 {
            out.append("\(reordered) packet(s) arrived up to \(Int(Self.reorderTolerance)) s out of order and were taken at the latest time")
        }
        return out
    }
}
