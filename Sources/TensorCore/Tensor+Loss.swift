// Softmax cross-entropy.
import Basics

/// The mean softmax cross-entropy of `logits` [N, C] against class indices `labels` (N of
/// them, each in 0..<C), PyTorch's `F.cross_entropy`:
/// `mean_i (LSE_j(x_ij) - x_i,label_i)`.
///
/// d/dx_ij = g (softmax(x_i)_j - [j == label_i]) / N.
public func softmaxCrossEntropy(logits: Tensor, labels: [Int]) -> Tensor {
    checkArgument(logits.rank == 2, "softmaxCrossEntropy: logits must be [N, C], got shape \(logits.shape)")
    let rows = logits.shape[0], columns = logits.shape[1]
    checkArgument(labels.count == rows, "softmaxCrossEntropy: logits have shape \(logits.shape), \(labels.count) labels")
    checkArgument(labels.allSatisfy { $0 >= 0 && $0 < columns },
                 "softmaxCrossEntropy: labels must lie in 0..<\(columns)")
    let x = logits.storage.pointer
    var logNormalisers = [Float](repeating: 0, count: rows)
    var total: Double = 0
    for row in 0..<rows {
        let base = x + row * columns
        var largest = -Float.infinity
        for j in 0..<columns { largest = max(largest, base[j]) }
        var sum: Float = 0
        for j in 0..<columns { sum += scalarExp(base[j] - largest) }
        logNormalisers[row] = largest + scalarLog(sum)
        total += Double(logNormalisers[row] - base[labels[row]])
    }
    let result = Tensor(Float(total / Double(max(1, rows))))
    result.record([logits]) { _, g in
        let gradX = logits.gradientPointer()
        let scale = g[0] / Float(rows)
        for row in 0..<rows {
            for j in 0..<columns {
                let index = row * columns + j
                let probability = scalarExp(x[index] - logNormalisers[row])
                gradX[index] += scale * (probability - (j == labels[row] ? 1 : 0))
            }
        }
    }
    return result
}
