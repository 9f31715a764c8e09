/// Per-100 ms download/upload totals of the recent past, in a fixed ring: memory is
/// bounded by the longest look-back, never by the capture's length.
struct BinHistory: Sendable {
    static let binSeconds = 0.1

    struct Bin: Sendable {
        var downBytes = 0
        var downPackets = 0
        var upBytes = 0
        var upPackets = 0

        /// Counts one packet in its direction.
        @inline(__always)
        mutating func count(_ packet: PacketSample) {
            if packet.direction == .upload {
                upBytes += packet.frameLength
                upPackets += 1
            } else {
                downBytes += packet.frameLength
                downPackets += 1
            }
        }
    }

    let origin: Double
    private var bins: [Bin]
    /// Highest bin index written so far (-1: none).
    private(set) var latest = -1

    init(origin: Double, lookBackSeconds: Double) {
        self.origin = origin
        let count = Int((lookBackSeconds / Self.binSeconds).rounded(.up)) + 2
        bins = Array(repeating: Bin(), count: count)
    }

    var capacity: Int { bins.count }

    /// Bin index of a time (times before the origin fall in bin 0).
    @inlinable
    func binIndex(_ time: Double) -> Int {
        // Int(x) truncates: the same as rounding down for x ≥ 0, and both give 0 below (no call to floor).
        let x = (time - origin) / Self.binSeconds
        return x > 0 ? Int(x) : 0
    }

    /// Number of bins that lie entirely before `time` (a window end, exclusive).
    /// (A window end on a bin edge can come out a hair above it in floating point: a
    /// nanosecond of slack keeps it on the edge.)
    func binsBefore(_ time: Double) -> Int {
        max(0, Int(((time - origin) / Self.binSeconds - 1e-8).rounded(.up)))
    }

    /// The ring slot of bin `latest`.
    private var latestSlot = 0
    /// The times whose `binIndex` is `latest`: [latestLow, latestHigh) (empty before the first packet).
    /// `binIndex` never decreases as time grows, so a time in it needs no division and conversion.
    private var latestLow = Double.infinity
    private var latestHigh = -Double.infinity

    /// The smallest time whose bin index is at least `k` (k ≥ 1); nil when it is not within a few
    /// units in the last place of the estimate (see `indexEdge`).
    private func binEdge(_ k: Int) -> Double? {
        indexEdge(k, estimate: origin + Double(k) * Self.binSeconds) { binIndex($0) }
    }

    /// Bin `latest` itself, kept out of the ring while packets come to it (added to without an array
    /// access: no uniqueness check, no bounds checks); written to its ring slot when a later bin starts.
    private var current = Bin()

    @inline(__always)
    mutating func add(_ packet: PacketSample) {
        if packet.time < latestHigh, packet.time >= latestLow {
            // Most packets: the newest bin again.
            current.count(packet)
            return
        }
        let b = binIndex(packet.time)
        let slot: Int
        if b == latest {
            slot = latestSlot
        } else if b > latest {
            if latest >= 0 { bins[latestSlot] = current }
            current = Bin()
            // Clear the slots that the ring reuses for bins latest+1 … b.
            let first = max(latest + 1, b - bins.count + 1)
            for k in first...b { bins[k % bins.count] = Bin() }
            latest = b
            latestSlot = b % bins.count
            slot = latestSlot
            // Bins this far from the origin are still some 1e-7 s wide (a 500-year clock).
            if Double(b) < 1e12, let low = b == 0 ? -Double.infinity : binEdge(b), let high = binEdge(b + 1) {
                latestLow = low
                latestHigh = high
            } else {
                latestLow = .infinity
                latestHigh = -.infinity
            }
        } else {
            guard b > latest - bins.count else { return }  // older than the ring: too late to count
            slot = b % bins.count
        }
        if slot == latestSlot {
            current.count(packet)
            return
        }
        bins[slot].count(packet)
    }

    /// The bin with this index; an empty bin for indices not yet written or already recycled.
    func bin(_ index: Int) -> Bin {
        guard index >= 0, index <= latest, index > latest - bins.count else { return Bin() }
        return index == latest ? current : bins[index % bins.count]
    }
}

/// Download bursts of the recent past: runs of download packets whose gaps stay below
/// `gap`. Bounded: bursts are at least `gap` apart, so `lookBack / gap + 4` of them
/// span more than the look-back.
struct BurstHistory: Sendable {
    struct Burst: Sendable, Equatable {
        var start: Double
        var end: Double
        var bytes: Int
        var packets: Int
    }

    let gap: Double
    private var ring: [Burst]
    private var head = 0  // index of the oldest closed burst
    private(set) var closedCount = 0
    /// The burst the latest download packet belongs to (nil before the first one).
    private(set) var open: Burst?

    init(gap: Double, lookBackSeconds: Double) {
        self.gap = gap
        let capacity = Int((lookBackSeconds / gap).rounded(.up)) + 4
        ring = Array(repeating: Burst(start: 0, end: 0, bytes: 0, packets: 0), count: capacity)
    }

    @inline(__always)
    mutating func add(_ packet: PacketSample) {
        guard packet.countsAsDownload else { return }
        if var burst = open, packet.time - burst.end < gap {
            burst.end = packet.time
            burst.bytes += packet.frameLength
            burst.packets += 1
            open = burst
            return
        }
        if let finished = open { push(finished) }
        open = Burst(start: packet.time, end: packet.time, bytes: packet.frameLength, packets: 1)
    }

    private mutating func push(_ burst: Burst) {
        if closedCount == ring.count {
            ring[head] = burst
            head = (head + 1) % ring.count
        } else {
            ring[(head + closedCount) % ring.count] = burst
            closedCount += 1
        }
    }

    /// Calls `body` for every burst, oldest first, the open one last.
    func forEach(_ body: (Burst) -> Void) {
        for k in 0..<closedCount { body(ring[(head + k) % ring.count]) }
        if let open { body(open) }
    }
}

/// The smallest time whose `index` is at least `k`, searched unit in the last place by unit in the last
/// place around `estimate`; `index` must never decrease as time grows. Nil after 64 steps either way:
/// where the time's own unit in the last place is much finer than that of the difference the index
/// is computed from (a time near 0 after an origin of -1 s: the index stays put over 10^16 steps), the
/// caller keeps no interval and computes the index of every packet, as without this cache.
@inline(never)
func indexEdge(_ k: Int, estimate: Double, _ index: (Double) -> Int) -> Double? {
    var e = estimate
    var steps = 0
    while index(e) >= k {
        e = e.nextDown
        steps += 1
        if steps > 64 { return nil }
    }
    while index(e) < k {
        e = e.nextUp
        steps += 1
        if steps > 128 { return nil }
    }
    return e
}
