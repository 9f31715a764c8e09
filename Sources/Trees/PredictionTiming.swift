import Foundation

/// Prediction speed, as `streamprobe evaluate --timing` reports it.
public struct PredictionTiming: Sendable {
    public var rows: Int
    public var jobs: Int
    /// Batch API over all rows with `jobs` threads.
    public var batchRowsPerSecond: Double
    /// Batch API on one thread.
    public var batchRowsPerSecondOneThread: Double
    /// Single-row API, mean per call.
    public var singleRowMicroseconds: Double

    /// Times the batch API (best of 3) and the single-row API (up to 20,000 calls). One-thread figures
    /// use the thread's CPU time, so a busy machine does not distort them; the all-threads figure is wall time.
    public static func measure(_ model: TreeModel, rows: [Double], jobs: Int) -> PredictionTiming {
        let f = model.featureCount, k = model.classCount
        let n = rows.count / f
        let evaluator = model.evaluator  // built (on first use) outside the timed loops
        var out = [Double](repeating: 0, count: n * k)
        func best(_ threads: Int) -> Double {
            var fastest = Double.infinity
            for _ in 0..<3 {
                let t0 = threads == 1 ? threadCPUSeconds() : wallSeconds()
                rows.withUnsafeBufferPointer { r in
                    out.withUnsafeMutableBufferPointer { o in evaluator.predictProbabilities(rows: r, into: o, jobs: threads) }
                }
                fastest = min(fastest, (threads == 1 ? threadCPUSeconds() : wallSeconds()) - t0)
            }
            return Double(n) / max(fastest, 1e-9)
        }
        let many = best(jobs), one = best(1)
        let calls = min(n, 20_000)
        var sink = 0.0
        var p = [Double](repeating: 0, count: k)
        let t0 = threadCPUSeconds()
        rows.withUnsafeBufferPointer { r in
            p.withUnsafeMutableBufferPointer { pb in
                for i in 0..<calls {
                    evaluator.probabilities(row: UnsafeBufferPointer(rebasing: r[(i * f)..<(i * f + f)]), into: pb)
                    sink += pb[0]
                }
            }
        }
        let single = (threadCPUSeconds() - t0) * 1e6 / Double(max(calls, 1))
        if sink.isNaN { print("", terminator: "") }
        return PredictionTiming(rows: n, jobs: jobs, batchRowsPerSecond: many, batchRowsPerSecondOneThread: one,
                                singleRowMicroseconds: single)
    }

    static func wallSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    public var text: String {
        String(format: "timing: batch %.0f rows/s (%d threads, wall), %.0f rows/s (1 thread, CPU time); single row %.2f µs/call (CPU time, %d rows)",
               batchRowsPerSecond, jobs, batchRowsPerSecondOneThread, singleRowMicroseconds, rows)
    }

    public var jsonValue: JSONValue {
        .object([("rows", .number(Double(rows))), ("jobs", .number(Double(jobs))),
                 ("batch_rows_per_second", .number(batchRowsPerSecond.rounded())),
                 ("batch_rows_per_second_one_thread", .number(batchRowsPerSecondOneThread.rounded())),
                 ("single_row_microseconds", .number(singleRowMicroseconds))])
    }
}
