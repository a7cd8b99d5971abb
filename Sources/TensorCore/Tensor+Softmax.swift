// Softmax over the last axis, with the scale of attention logits folded in.
import Basics

extension Tensor {
    /// `softmax(scale x)` over the last axis, any rank: `y_ij = exp(s x_ij) / sum_k exp(s x_ik)`
    /// for each row i (the largest logit subtracted first). Attention uses s = 1 / sqrt(d).
    ///
    /// d/dx_ij = s y_ij (g_ij - sum_k g_ik y_ik).
    public func softmax(scale: Float = 1) -> Tensor {
        checkArgument(rank >= 1, "softmax: expected at least one axis, got shape \(shape)")
        let width = shape[rank - 1], rows = count / max(1, width)
        let result = Tensor.uninitialized(shape)
        let x = storage.pointer
        let z = UncheckedSendable(result.storage.pointer)
        let minimumRows = max(1, 16_384 / max(1, width))
        parallelChunks(rows, minimumChunk: minimumRows) { range in
            for row in range { softmaxRow(z.value + row * width, x + row * width, width: width, scale: scale) }
        }
        result.record([self]) { output, g in
            let destination = self.gradientDestination()
            let y = output.storage.pointer
            parallelChunks(rows, minimumChunk: minimumRows) { range in
                for row in range {
                    let base = row * width
                    var dot: Float = 0
                    for j in 0..<width { dot += g[base + j] * y[base + j] }
                    for j in 0..<width { destination.write(base + j, scale * y[base + j] * (g[base + j] - dot)) }
                }
            }
        }
        return result
    }
}

/// y [width] = softmax(scale x [width]); y may be x (in place).
@inline(__always)
func softmaxRow(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, width: Int, scale: Float) {
    var largest = -Float.infinity
    for j in 0..<width { largest = max(largest, scale * x[j]) }
    var total: Float = 0
    for j in 0..<width {
        let value = scalarExp(scale * x[j] - largest)
        y[j] = value
        total += value
    }
    let inverse = 1 / total
    for j in 0..<width { y[j] *= inverse }
}
