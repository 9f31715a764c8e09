import Dispatch
import Foundation

/// Runs `count` independent iterations on up to `jobs` threads. Iterations write only their own
/// results, so the outcome does not depend on the number of threads.
enum ParallelLoop {
    static func run(_ count: Int, jobs: Int, _ body: @Sendable (Int) -> Void) {
        guard count > 0 else { return }
        if jobs <= 1 || count == 1 {
            for i in 0..<count { body(i) }
            return
        }
        let workers = min(jobs, count)
        let next = AtomicCounter()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let i = next.increment()
                if i >= count { break }
                body(i)
            }
        }
    }

    /// Cores available to this process.
    static var coreCount: Int { ProcessInfoCores.count }
}

enum ProcessInfoCores {
    static var count: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}

/// A counter shared by worker threads (a lock; contention is per task, not per row).
final class AtomicCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func increment() -> Int {
        lock.lock(); defer { lock.unlock() }
        let v = value
        value += 1
        return v
    }
}
