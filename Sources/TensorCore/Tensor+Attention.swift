// Multi-head self-attention as one op, on timm's packed q, k, v projections.
import Basics

/// Multi-head scaled dot-product self-attention, timm's `Attention.forward` between its `qkv`
/// and `proj` layers (Vaswani et al. 2017, eq. 1):
/// `softmax(Q_h K_h^T / sqrt(dh)) V_h` for each sample and head h, heads side by side.
///
/// - qkv: [N L, 3 D], the tokens of N sequences of L tokens, each row `[q | k | v]` with head h
///   in columns h dh..<(h + 1) dh of each third (timm's `qkv(x).reshape(B, L, 3, H, dh)`);
///   dh = D / heads.
/// - Returns: [N L, D], head h in columns h dh..<(h + 1) dh (timm's
///   `transpose(1, 2).reshape(B, L, D)`).
///
/// One kernel per (sample, head) reads Q, K, V in place and keeps the probabilities
/// [N H, L, L] for the backward pass: dV = P^T dO, dP = dO V^T, dS = P (dP - rowsum(dP P)),
/// dQ = dS K / sqrt(dh), dK = dS^T Q / sqrt(dh). The same as `batchedMatmul`, `softmax(scale:)`
/// and `batchedMatmul` composed over heads split by `permuted`, without the copies.
public func multiHeadAttention(_ qkv: Tensor, tokens: Int, heads: Int) -> Tensor {
    checkArgument(qkv.rank == 2 && qkv.shape[1] % 3 == 0,
                 "multiHeadAttention: qkv must be [N L, 3 D], got shape \(qkv.shape)")
    let width = qkv.shape[1] / 3
    checkArgument(tokens > 0 && qkv.shape[0] % tokens == 0,
                 "multiHeadAttention: qkv has \(qkv.shape[0]) rows, not a multiple of \(tokens) tokens per sequence")
    checkArgument(heads > 0 && width % heads == 0, "multiHeadAttention: width \(width) is not divisible by \(heads) heads")
    let samples = qkv.shape[0] / tokens, headSize = width / heads
    let scale = 1 / Float(headSize).squareRoot()
    let result = Tensor.uninitialized([samples * tokens, width])
    let probabilities = Tensor.uninitialized([samples * heads, tokens, tokens])
    let pointers = UncheckedSendable((qkv.storage.pointer, result.storage.pointer, probabilities.storage.pointer))
    parallelFor(samples * heads) { pair in
        let (x, output, p) = pointers.value
        let sample = pair / heads, head = pair % heads
        attentionForward(output: output + sample * tokens * width + head * headSize,
                         probabilities: p + pair * tokens * tokens,
                         qkv: x + sample * tokens * 3 * width + head * headSize,
                         tokens: tokens, headSize: headSize, width: width, scale: scale)
    }
    result.record([qkv]) { _, g in
        withExtendedLifetime(probabilities) {}  // the closure holds P for the pointers below
        let destination = qkv.gradientDestination()
        let gradient = UncheckedSendable((destination.pointer, g))
        // Every element of dqkv belongs to one (sample, head): the pairs write disjoint columns.
        parallelChunks(samples * heads) { pairs in
            let (x, _, p) = pointers.value
            let (dqkv, dOutput) = gradient.value
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: tokens * tokens)
            defer { scratch.deallocate() }
            for pair in pairs {
                let sample = pair / heads, head = pair % heads
                let offset = sample * tokens * 3 * width + head * headSize
                attentionBackward(qkvGradient: dqkv + offset, beta: destination.beta,
                                  outputGradient: dOutput + sample * tokens * width + head * headSize,
                                  probabilities: p + pair * tokens * tokens, qkv: x + offset,
                                  scratch: scratch, tokens: tokens, headSize: headSize, width: width, scale: scale)
            }
        }
    }
    return result
}
