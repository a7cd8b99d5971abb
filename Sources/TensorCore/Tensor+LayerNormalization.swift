// Layer normalisation over the last axis (the transformer's), PyTorch's `F.layer_norm`.
import Basics

/// Layer normalisation over the last axis, PyTorch's `F.layer_norm(x, (D,), weight, bias, eps)`:
/// `y = scale (x - mean) / sqrt(var + epsilon) + offset`, mean and biased variance over the
/// D values of each row (Ba et al. 2016).
///
/// - input: [..., D], any rank >= 1; scale (`weight`), offset (`bias`): [D]. timm's ViT uses
///   epsilon 1e-6.
///
/// With xhat the normalised row and dxhat = g scale: dx = (dxhat - mean(dxhat) - xhat
/// mean(dxhat xhat)) / sigma; dscale = sum over rows of g xhat; doffset = sum over rows of g.
public func layerNormalized(_ input: Tensor, scale: Tensor, offset: Tensor, epsilon: Float = 1e-6) -> Tensor {
    checkArgument(input.rank >= 1, "layerNormalized: input must have at least one axis, got shape \(input.shape)")
    let width = input.shape[input.rank - 1]
    checkArgument(scale.shape == [width] && offset.shape == [width],
                 "layerNormalized: input has shape \(input.shape), scale \(scale.shape) and offset \(offset.shape), expected [\(width)]")
    let rows = input.count / max(1, width)
    let result = Tensor.uninitialized(input.shape)
    let statistics = Tensor.uninitialized([rows, 2])
    let x = input.storage.pointer, gamma = scale.storage.pointer, beta = offset.storage.pointer
    let pointers = UncheckedSendable((result.storage.pointer, statistics.storage.pointer))
    let minimumRows = max(1, 16_384 / max(1, width))
    parallelChunks(rows, minimumChunk: minimumRows) { range in
        layerNormForward(output: pointers.value.0, input: x, scale: gamma, offset: beta,
                         statistics: pointers.value.1, width: width, epsilon: epsilon, rows: range)
    }
    result.record([input, scale, offset]) { _, g in
        let saved = statistics.storage.pointer
        if input.isGradientNeeded {
            let destination = input.gradientDestination()
            parallelChunks(rows, minimumChunk: minimumRows) { range in
                layerNormInputGradient(destination, outputGradient: g, input: x, scale: gamma,
                                       statistics: saved, width: width, rows: range)
            }
        }
        guard scale.isGradientNeeded || offset.isGradientNeeded else { return }
        // Partial sums per shard (fixed by the row count), added in shard order.
        let shards = Shards(rows, cap: max(1, rows * width / 32_768))
        var partials = [Float](repeating: 0, count: shards.shardCount * 2 * width)
        partials.withUnsafeMutableBufferPointer { buffer in
            let base = UncheckedSendable(buffer.baseAddress!)
            shards.forEach { shard, range in
                layerNormParameterSums(outputGradient: g, input: x, statistics: saved, width: width,
                                       rows: range, sums: base.value + shard * 2 * width)
            }
        }
        for (tensor, offsetInPartial) in [(scale, 0), (offset, width)] where tensor.isGradientNeeded {
            let gradient = tensor.gradientPointer()
            for shard in 0..<shards.shardCount {
                for j in 0..<width { gradient[j] += partials[shard * 2 * width + offsetInPartial + j] }
            }
        }
    }
    return result
}
