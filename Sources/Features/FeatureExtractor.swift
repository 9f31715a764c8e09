/// Why a window carries no feature values.
public enum SkipReason: String, Sendable, Hashable {
    /// Fewer packets than `WindowConfig.minPackets` (or none at all).
    case tooFewPackets = "too_few_packets"
    /// All packets share one timestamp (last t − first t = 0) and `skipZeroDuration` is on.
    case zeroDuration = "zero_duration"
    /// More packets than `WindowConfig.maximumBufferedPackets` fell in the window: some were not kept.
    case tooManyPackets = "too_many_packets"
}

/// One window of one unit.
public struct WindowResult: Sendable, Hashable {
    /// 0, 1, 2, … from the unit's first packet, skipped windows included.
    public var index: Int
    /// Absolute start and end, seconds since the epoch: [start, end).
    public var start: Double
    public var end: Double
    public var packetCount: Int
    public var skipReason: SkipReason?
    /// The set's features in `FeatureSet.featureNames` order; empty when skipped.
    public var values: [Double]
    /// How many windows this result stands for: 1, or (with `FeatureExtractor.foldsEmptyWindows`)
    /// a run of consecutive windows without a packet, indices `index ..< index + windowCount`,
    /// reported once from the first one's start to the last one's end.
    public var windowCount: Int

    public var skipped: Bool { skipReason != nil }

    public init(index: Int, start: Double, end: Double, packetCount: Int, skipReason: SkipReason?, values: [Double],
                windowCount: Int = 1) {
        self.index = index
        self.start = start
        self.end = end
        self.packetCount = packetCount
        self.skipReason = skipReason
        self.values = values
        self.windowCount = windowCount
    }
}

/// Cuts one unit's packets into windows and computes a feature set for each, in one pass.
///
/// Feed packets in time order with `add(_:emit:)`, then call `finish(emit:)` once.
/// Windows start at the unit's first packet and advance by `step` (tumbling by default);
/// window k's start is the previous start plus the step, added up as the reference does.
/// A window [s, s + W) is emitted as soon as a packet at or after s + W arrives, so every
/// emitted window ends at or before the last packet (the reference's "complete" rule);
/// `finish` adds the final partial windows when the policy keeps them.
///
/// Memory: the packets of the open windows, plus fixed rings for the context and shape
/// families. Per packet: an append to a reused buffer and O(1) ring updates.
public struct FeatureExtractor: Sendable {
    public let featureSet: FeatureSet
    public let config: WindowConfig
    /// Packets whose timestamp went backwards; they are counted at the previous packet's time.
    public private(set) var reorderedPackets = 0
    /// Packets given to `add`.
    public private(set) var packetsSeen = 0
    /// Packets not kept for their windows because `maximumBufferedPackets` were held already.
    public private(set) var overflowPackets = 0
    /// The time span of packets not kept, while windows over it are still to come.
    private var overflowSpan: ClosedRange<Double>?
    /// Packets held for the open windows (bounded by one window's packets).
    public var bufferedPackets: Int { buffer.count - head }
    /// Emit each run of consecutive windows without a packet as one result (`windowCount` > 1),
    /// without computing features for it. For readers that never use an empty window's values
    /// (the analyzer never classifies one): a silence costs one result, not one per window.
    /// Off by default: `features` writes a row, with its look-back values, for every window.
    public var foldsEmptyWindows = false

    private let needs: Set<FeatureFamily>
    /// `needs` in `FeatureFamily.allCases` order.
    private let needList: [FeatureFamily]
    /// Per value of a row: the family (its `ordinal`) and the slot in the family's vector.
    private let valueSlots: [(family: Int, slot: Int)]
    private let step: Double
    private var buffer: [PacketSample] = []
    private var head = 0
    private var nextStart = 0.0
    private var nextIndex = 0
    private var firstTime: Double?
    private var lastTime = 0.0
    private var lastEvictedTime: Double?
    private var finished = false

    private var history: BinHistory?
    private var bursts: BurstHistory?
    private var totalDownBytes = 0
    private var lastDownTime: Double?

    private var reference = ReferenceFeatures()
    private var shape = ShapeFeatures()
    private var rhythm = RhythmFeatures()
    /// The latest values of each family, by `FeatureFamily.ordinal` (empty for families not needed).
    private var familyValues: [[Double]] = Array(repeating: [], count: FeatureFamily.allCases.count)

    /// `config` defaults to the set's own window settings. Fails on invalid settings.
    public init(featureSet: FeatureSet, config: WindowConfig? = nil) throws(FeatureError) {
        self.featureSet = featureSet
        self.config = try (config ?? featureSet.defaultConfig).validated()
        self.step = self.config.effectiveStep
        self.needList = featureSet.families
        self.needs = Set(needList)
        self.valueSlots = featureSet.ids.map { ($0.family.ordinal, $0.slot) }
        for family in needList {
            familyValues[family.ordinal] = Array(repeating: 0, count: family.featureNames.count)
        }
    }

    /// Adds the next packet; calls `emit` for every window that this packet completes.
    public mutating func add(_ sample: PacketSample, emit: (WindowResult) -> Void) {
        precondition(!finished, "FeatureExtractor.add after finish")
        var packet = sample
        packetsSeen += 1
        if let _ = firstTime {
            if packet.time < lastTime {
                packet.time = lastTime
                reorderedPackets += 1
            }
        } else {
            start(at: packet.time)
        }
        // Close every window that ends at or before this packet.
        while nextStart + config.window <= packet.time { closeNextWindow(before: packet.time, emit: emit) }
        lastTime = packet.time
        if buffer.count - head < config.maximumBufferedPackets {
            if buffer.count == buffer.capacity { makeRoom() }
            buffer.append(packet)
        } else {
            overflowPackets += 1
            overflowSpan = overflowSpan.map { $0.lowerBound...packet.time } ?? packet.time...packet.time
        }
        history?.add(packet)
        bursts?.add(packet)
        if packet.countsAsDownload {
            totalDownBytes += packet.frameLength
            lastDownTime = packet.time
        }
    }

    /// Emits every window that ends at or before `time` without adding a packet: the clock of a
    /// larger capture (or of a live capture) moved on while this unit was silent. A unit that
    /// downloads a track in one burst and then stays silent gets its burst window this way.
    /// `time` must not be earlier than the last packet given to `add`.
    public mutating func advanceClock(to time: Double, emit: (WindowResult) -> Void) {
        guard !finished, firstTime != nil, time >= lastTime else { return }
        while nextStart + config.window <= time { closeNextWindow(before: time, emit: emit) }
    }

    /// Adds the next packet and returns the windows it completes (usually none).
    public mutating func add(_ sample: PacketSample) -> [WindowResult] {
        var results: [WindowResult] = []
        add(sample) { results.append($0) }
        return results
    }

    /// Ends the unit: with `.keepPartial`, emits the windows that start at or before the
    /// last packet but end after it. Call once.
    public mutating func finish(emit: (WindowResult) -> Void) {
        guard !finished else { return }
        finished = true
        guard firstTime != nil, config.policy == .keepPartial else { return }
        let lastBin = history.map { $0.binIndex(lastTime) + 1 }
        while nextStart <= lastTime {
            emitWindow(start: nextStart, binEnd: lastBin, evaluationTime: lastTime, emit: emit)
            advance()
        }
    }

    /// Ends the unit and returns the final windows.
    public mutating func finish() -> [WindowResult] {
        var results: [WindowResult] = []
        finish { results.append($0) }
        return results
    }

    // MARK: - Internals

    private mutating func start(at time: Double) {
        firstTime = time
        nextStart = time
        lastTime = time
        if needs.contains(.context) || needs.contains(.shape) || needs.contains(.rhythm) {
            let lookBack = max(needs.contains(.context) ? config.contextSeconds : 0,
                               needs.contains(.shape) || needs.contains(.rhythm) ? config.shapeSeconds : 0)
            history = BinHistory(origin: time, lookBackSeconds: lookBack)
        }
        if needs.contains(.context) {
            bursts = BurstHistory(gap: config.contextBurstGap, lookBackSeconds: config.contextSeconds)
        }
    }

    /// Emits the next window, which ends at or before `limit`, and moves past it. With
    /// `foldsEmptyWindows`, a window without a packet goes out together with the empty windows
    /// after it that also end by `limit`, as one result.
    private mutating func closeNextWindow(before limit: Double, emit: (WindowResult) -> Void) {
        guard foldsEmptyWindows, nextWindowIsEmpty else {
            emitWindow(start: nextStart, binEnd: nil, evaluationTime: nextStart + config.window, emit: emit)
            advance()
            return
        }
        let start = nextStart
        let index = nextIndex
        var end = start
        var count = 0
        repeat {
            end = nextStart + config.window
            count += 1
            advance()
        } while nextStart + config.window <= limit && nextWindowIsEmpty
        // The reason `emitWindow` gives an empty window: none when look-back families judge quiet
        // windows from context (the values are not computed here: nobody reads them).
        let reason: SkipReason? = config.quietWindows && hasLookBack ? nil : .tooFewPackets
        emit(WindowResult(index: index, start: start, end: end, packetCount: 0, skipReason: reason, values: [],
                          windowCount: count))
    }

    /// Families that look back beyond the window (their values exist in a window without packets).
    private var hasLookBack: Bool { needs.contains(.context) || needs.contains(.shape) || needs.contains(.rhythm) }

    /// No packet falls in the next window [nextStart, nextStart + window), and none was dropped
    /// there. `advance` keeps only packets at or after `nextStart` in the buffer.
    private var nextWindowIsEmpty: Bool {
        if let span = overflowSpan, nextStart <= span.upperBound, nextStart + config.window > span.lowerBound { return false }
        return head == buffer.count || buffer[head].time >= nextStart + config.window
    }

    /// The buffer is full: drops the packets before `head` when they are at least half of it, else
    /// grows it. Past 1,024 packets it grows at once to 65,536 (2 MB, reserved: only the pages used
    /// are touched), not by doublings: a bulk fetch puts 10,000s of packets in a window, and each
    /// doubling copied every packet held (39 instructions a packet on the named capture).
    @inline(never)
    private mutating func makeRoom() {
        if head > 0, head * 2 >= buffer.count {
            buffer.removeSubrange(0..<head)
            head = 0
            if buffer.count < buffer.capacity { return }
        }
        let capacity = buffer.capacity
        let jump = 1 << 16
        let wanted = capacity >= 1024 && capacity < jump && config.maximumBufferedPackets >= jump
            ? jump : Swift.max(16, capacity * 2)
        buffer.reserveCapacity(wanted)
    }

    /// Moves to the next window start and drops the packets no open window needs.
    private mutating func advance() {
        nextStart += step
        nextIndex += 1
        if let span = overflowSpan, nextStart > span.upperBound { overflowSpan = nil }
        while head < buffer.count, buffer[head].time < nextStart {
            lastEvictedTime = buffer[head].time
            head += 1
        }
        if head == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 4096, head * 2 > buffer.count {
            buffer.removeSubrange(0..<head)
            head = 0
        }
    }

    private mutating func emitWindow(
        start: Double, binEnd: Int?, evaluationTime: Double, emit: (WindowResult) -> Void
    ) {
        let end = start + config.window
        var upper = head
        while upper < buffer.count, buffer[upper].time < end { upper += 1 }
        let range = head..<upper
        let count = range.count
        var reason: SkipReason?
        if let span = overflowSpan, start <= span.upperBound, end > span.lowerBound {
            reason = .tooManyPackets
        } else if count == 0 || count < config.minPackets {
            reason = .tooFewPackets
        } else if config.skipZeroDuration, buffer[upper - 1].time - buffer[head].time <= 0 {
            reason = .zeroDuration
        }
        var quiet = false
        if reason == .tooFewPackets, config.quietWindows, hasLookBack {
            reason = nil
            quiet = true
        }
        var values: [Double] = []
        if reason == nil {
            let previousTime = head > 0 ? buffer[head - 1].time : lastEvictedTime
            computeFamilies(range: range, binEnd: binEnd, evaluationTime: evaluationTime, previousTime: previousTime,
                            quiet: quiet)
            values.reserveCapacity(valueSlots.count)
            for (family, slot) in valueSlots { values.append(familyValues[family][slot]) }
        }
        emit(WindowResult(index: nextIndex, start: start, end: end, packetCount: count, skipReason: reason, values: values))
    }

    private mutating func computeFamilies(range: Range<Int>, binEnd: Int?, evaluationTime: Double, previousTime: Double?,
                                          quiet: Bool) {
        for family in needList {
            var out: [Double] = []
            swap(&out, &familyValues[family.ordinal])
            defer { swap(&out, &familyValues[family.ordinal]) }
            if quiet && (family == .reference || family == .direction || family == .webcam) {
                for i in out.indices { out[i] = .nan }
                continue
            }
            switch family {
            case .reference:
                reference.compute(buffer, range, burstGap: config.burstGap, into: &out)
            case .direction:
                DirectionFeatures.compute(buffer, range, window: config.window, into: &out)
            case .webcam:
                WebcamFeatures.compute(buffer, range, previousTime: previousTime, window: config.window, into: &out)
            case .context:
                let history = self.history!
                ContextFeatures.compute(
                    history: history, bursts: bursts!, binEnd: binEnd ?? history.binsBefore(evaluationTime),
                    time: evaluationTime, contextSeconds: config.contextSeconds, totalDownBytes: totalDownBytes,
                    lastDownTime: lastDownTime, into: &out)
            case .shape:
                let history = self.history!
                shape.compute(
                    history: history, binEnd: binEnd ?? history.binsBefore(evaluationTime),
                    shapeSeconds: config.shapeSeconds, idleBinBytes: config.idleBinBytes, into: &out)
            case .rhythm:
                let history = self.history!
                rhythm.compute(
                    history: history, binEnd: binEnd ?? history.binsBefore(evaluationTime),
                    shapeSeconds: config.shapeSeconds, idleBinBytes: config.idleBinBytes, into: &out)
            }
        }
    }
}
