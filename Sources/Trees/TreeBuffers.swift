/// A tree's arrays as buffers, for the loops over every node at model load (validation, evaluator
/// layout): no bounds check or uniqueness check per access. Indices are the caller's to keep in range.
struct TreeBuffers {
    let feature: UnsafeBufferPointer<Int>
    let threshold: UnsafeBufferPointer<Double>
    let left: UnsafeBufferPointer<Int>
    let right: UnsafeBufferPointer<Int>
    let missingLeft: UnsafeBufferPointer<Bool>
    let value: UnsafeBufferPointer<Double>
}

extension TreeArrays {
    func withBuffers<R>(_ body: (TreeBuffers) -> R) -> R {
        feature.withUnsafeBufferPointer { f in
            threshold.withUnsafeBufferPointer { t in
                left.withUnsafeBufferPointer { l in
                    right.withUnsafeBufferPointer { r in
                        missingLeft.withUnsafeBufferPointer { m in
                            value.withUnsafeBufferPointer { v in
                                body(TreeBuffers(feature: f, threshold: t, left: l, right: r, missingLeft: m, value: v))
                            }
                        }
                    }
                }
            }
        }
    }
}
