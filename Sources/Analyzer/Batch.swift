import Foundation

/// Runs one job per item on `jobs` threads and hands the results over in item order, each as
/// soon as it and every item before it are done (stable output, early feedback).
public enum OrderedBatch {
    public static func run<Item: Sendable, Output: Sendable>(
        _ items: [Item], jobs: Int, work: @escaping @Sendable (Item) -> Output, deliver: (Int, Output) -> Void
    ) {
        guard !items.isEmpty else { return }
        let workers = max(1, min(jobs, items.count))
        let state = BatchState<Output>(count: items.count)
        let group = DispatchGroup()
        let queue = DispatchQueue(label: "streamprobe.batch", attributes: .concurrent)
        for _ in 0..<workers {
            group.enter()
            queue.async {
                while let i = state.claim() {
                    state.store(i, work(items[i]))
                }
                group.leave()
            }
        }
        // Deliver in order on the calling thread while the workers run.
        var next = 0
        while next < items.count {
            let output = state.waitFor(next)
            deliver(next, output)
            next += 1
        }
        group.wait()
    }
}

private final class BatchState<Output>: @unchecked Sendable {
    private let condition = NSCondition()
    private var results: [Output?]
    private var nextClaim = 0

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func claim() -> Int? {
        condition.lock(); defer { condition.unlock() }
        guard nextClaim < results.count else { return nil }
        nextClaim += 1
        return nextClaim - 1
    }

    func store(_ i: Int, _ output: Output) {
        condition.lock()
        results[i] = output
        condition.broadcast()
        condition.unlock()
    }

    func waitFor(_ i: Int) -> Output {
        condition.lock(); defer { condition.unlock() }
        while results[i] == nil { condition.wait() }
        let r = results[i]!
        results[i] = nil
        return r
    }
}
