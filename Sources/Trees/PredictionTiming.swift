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

    /// Times the batch API (best of 3) and the single-row API (up to 20,000 calls).
    public static func measure(_ model: TreeModel, rows: [Double], jobs: Int) -> PredictionTiming {
        let f = model.featureCount, k = model.classCount
        let n = rows.count / f
        var out = [Double](repeating: 0, count: n * k)
        func best(_ threads: Int) -> Double {
            var fastest = Double.infinity
            for _ in 0..<3 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                rows.withUnsafeBufferPointer { r in
                    out.withUnsafeMutableBufferPointer { o in model.evaluator.predictProbabilities(rows: r, into: o, jobs: threads) }
                }
                fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            }
            return Double(n) / max(fastest, 1e-9)
        }
        let many = best(jobs), one = best(1)
        let calls = min(n, 20_000)
        var sink = 0.0
        var p = [Double](repeating: 0, count: k)
        let t0 = DispatchTime.now().uptimeNanoseconds
        rows.withUnsafeBufferPointer { r in
            p.withUnsafeMutableBufferPointer { pb in
                for i in 0..<calls {
                    model.evaluator.probabilities(row: UnsafeBufferPointer(rebasing: r[(i * f)..<(i * f + f)]), into: pb)
                    sink += pb[0]
                }
            }
        }
        let single = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e3 / Double(max(calls, 1))
        if sink.isNaN { print("", terminator: "") }
        return PredictionTiming(rows: n, jobs: jobs, batchRowsPerSecond: many, batchRowsPerSecondOneThread: one,
                                singleRowMicroseconds: single)
    }

    public var text: String {
        String(format: "timing: batch %.0f rows/s (%d threads), %.0f rows/s (1 thread); single row %.2f µs/call (%d rows)",
               batchRowsPerSecond, jobs, batchRowsPerSecondOneThread, singleRowMicroseconds, rows)
    }

    public var jsonValue: JSONValue {
        .object([("rows", .number(Double(rows))), ("jobs", .number(Double(jobs))),
                 ("batch_rows_per_second", .number(batchRowsPerSecond.rounded())),
                 ("batch_rows_per_second_one_thread", .number(batchRowsPerSecondOneThread.rounded())),
                 ("single_row_microseconds", .number(singleRowMicroseconds))])
    }
}
