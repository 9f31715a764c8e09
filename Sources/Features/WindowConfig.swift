/// What happens to the last window of a unit, which the last packet cuts short.
public enum WindowPolicy: String, Sendable, Hashable, CaseIterable {
    /// The reference analyzer's rule: a window [start, start + W) is evaluated only when
    /// start + W ≤ time of the unit's last packet. The final partial window is dropped.
    case completeOnly = "complete"
    /// Also emit the final partial window(s): every window that starts at or before the
    /// last packet. Their `end` is still start + W.
    case keepPartial = "partial"
}

/// How packets are cut into windows, and the parameters of the longer-horizon families.
public struct WindowConfig: Sendable, Hashable {
    /// Window length W in seconds (reference: 3.0).
    public var window: Double
    /// Distance between window starts; nil = tumbling (step = window).
    public var step: Double?
    /// Windows with fewer packets are reported as skipped (reference: 15).
    public var minPackets: Int
    /// Inter-arrival gap that ends a burst in the reference features (reference: 0.03 s).
    public var burstGap: Double
    public var policy: WindowPolicy
    /// A window whose packets all share one timestamp is skipped (the reference returns
    /// no features when last t − first t ≤ 0). When false, its rates are 0.
    public var skipZeroDuration: Bool
    /// A window with fewer than `minPackets` packets (a silence between downloads) is still
    /// evaluated when the set has look-back families (context, live-vs-VOD): those are computed as
    /// usual and the per-window families (reference, direction, webcam) are NaN. A stream that
    /// fetches a track in one burst and then stays silent is then judged from its context during
    /// the silence, not only from the burst windows. Off for the reference behaviour.
    public var quietWindows: Bool
    /// At most this many packets are held for the open windows (default 1,048,576, 32 MB). Beyond it
    /// (millions of packets in one window: a flood, not a stream) packets still count in the
    /// look-back families, but the windows they fall in are skipped (`too_many_packets`), so memory
    /// stays bounded whatever one window holds.
    public var maximumBufferedPackets: Int = 1 << 20
    /// Look-back of the context family, seconds (see docs/features.md).
    public var contextSeconds: Double
    /// Silence between download packets that separates two context bursts, seconds.
    public var contextBurstGap: Double
    /// Look-back of the live-vs-VOD family, seconds.
    public var shapeSeconds: Double
    /// A 100 ms bin with less download than this many bytes counts as idle (live-vs-VOD).
    public var idleBinBytes: Int

    public init(
        window: Double = 3.0, step: Double? = nil, minPackets: Int = 15, burstGap: Double = 0.03,
        policy: WindowPolicy = .completeOnly, skipZeroDuration: Bool = true, quietWindows: Bool = false,
        contextSeconds: Double = 600, contextBurstGap: Double = 0.5,
        shapeSeconds: Double = 60, idleBinBytes: Int = 1000
    ) {
        self.window = window
        self.step = step
        self.minPackets = minPackets
        self.burstGap = burstGap
        self.policy = policy
        self.skipZeroDuration = skipZeroDuration
        self.quietWindows = quietWindows
        self.contextSeconds = contextSeconds
        self.contextBurstGap = contextBurstGap
        self.shapeSeconds = shapeSeconds
        self.idleBinBytes = idleBinBytes
    }

    /// The reference analyzer's parameters: 3 s tumbling windows, ≥ 15 packets, 0.03 s burst gap, complete windows only.
    public static let reference = WindowConfig()

    /// The webcam-presence table's parameters: 0.5 s tumbling windows from the first packet, every window with a packet kept.
    public static let webcam = WindowConfig(window: 0.5, minPackets: 1, policy: .completeOnly, skipZeroDuration: false)

    /// Distance between window starts.
    @inlinable
    public var effectiveStep: Double { step ?? window }

    /// Checks the values once; the extractor assumes a valid configuration.
    public func validated() throws(FeatureError) -> WindowConfig {
        guard window.isFinite, window > 0 else { throw .invalidConfig("window must be > 0 seconds (got \(window))") }
        if let step {
            guard step.isFinite, step > 0 else { throw .invalidConfig("step must be > 0 seconds (got \(step))") }
            guard step <= window else { throw .invalidConfig("step (\(step) s) must not exceed the window (\(window) s)") }
        }
        guard minPackets >= 0 else { throw .invalidConfig("minimum packets must be ≥ 0 (got \(minPackets))") }
        guard burstGap.isFinite, burstGap > 0 else { throw .invalidConfig("burst gap must be > 0 seconds (got \(burstGap))") }
        guard contextSeconds.isFinite, contextSeconds >= 1, contextSeconds <= 3600 else {
            throw .invalidConfig("context must be 1…3600 seconds (got \(contextSeconds))")
        }
        guard contextBurstGap.isFinite, contextBurstGap > 0 else { throw .invalidConfig("context burst gap must be > 0 seconds") }
        guard shapeSeconds.isFinite, shapeSeconds >= 2, shapeSeconds <= 3600 else {
            throw .invalidConfig("live-vs-VOD horizon must be 2…3600 seconds (got \(shapeSeconds))")
        }
        guard idleBinBytes >= 0 else { throw .invalidConfig("idle bin bytes must be ≥ 0") }
        return self
    }
}
