import Foundation

/// A progress line on stderr for long runs: only on a terminal, only after about a second,
/// at most a few times a second, erased when the run ends.
public final class ProgressLine: @unchecked Sendable {
    private let total: Int64
    private let label: String
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false
    private let enabled: Bool

    public init(label: String, totalBytes: Int64, enabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.label = label
        self.total = totalBytes
        self.enabled = enabled
    }

    public func update(packets: Int, bytesRead: Int64) {
        guard enabled else { return }
        let now = Date()
        let elapsed = now.timeIntervalSince(start)
        guard elapsed >= 1.0, now.timeIntervalSince(lastDraw) >= 0.25 else { return }
        lastDraw = now
        let pct = total > 0 ? Double(bytesRead) / Double(total) * 100 : 0
        let rate = Double(packets) / elapsed
        let line = String(format: "%@: %.0f%% (%.1f of %.1f MB), %.2f M packets/s", label, min(pct, 100),
                          Double(bytesRead) / 1e6, Double(total) / 1e6, rate / 1e6)
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        drawn = true
    }

    public func finish() {
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        drawn = false
    }
}
