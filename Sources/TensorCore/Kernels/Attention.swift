// Multi-head self-attention of one sequence and one head, forward and backward side by side,
// on the packed projections of timm's ViT: qkv [L, 3 D] holds, per token, q (columns 0..<D),
// k (D..<2D) and v (2D..<3D), head h owning columns h dh..<(h + 1) dh of each (dh = D / H).
// Every operand is read in place with a leading dimension (3 D for qkv, D for the output), so
// no head is ever copied out:
//
//     P = softmax(s Q K^T) [L, L],  O = P V [L, dh],  s = 1 / sqrt(dh)
//
//     dV = P^T dO;  dP = dO V^T;  dS = P (dP - rowsum(dP P));  dQ = s dS K;  dK = s dS^T Q
import Basics

/// O [L, dh] (leading dimension D) and P [L, L] for one (sample, head): `qkv` points at the
/// sample's first token and column h dh (q), so k is at `qkv + D` and v at `qkv + 2 D`.
func attentionForward(output: UnsafeMutablePointer<Float>, probabilities: UnsafeMutablePointer<Float>,
                      qkv: UnsafePointer<Float>, tokens: Int, headSize: Int, width: Int, scale: Float) {
    let stride = 3 * width
    gemm(transposeB: true, m: tokens, n: tokens, k: headSize, a: qkv, lda: stride,
         b: qkv + width, ldb: stride, beta: 0, c: probabilities, ldc: tokens)
    for row in 0..<tokens {
        let line = probabilities + row * tokens
        softmaxRow(line, line, width: tokens, scale: scale)
    }
    gemm(m: tokens, n: headSize, k: tokens, a: probabilities, lda: tokens,
         b: qkv + 2 * width, ldb: stride, beta: 0, c: output, ldc: width)
}

/// dq, dk, dv of one (sample, head), written by `beta`'s rule into `qkvGradient` (pointing like
/// `qkv`), from dO [L, dh] (leading dimension D) and the saved P; `scratch` holds L L floats.
func attentionBackward(qkvGradient: UnsafeMutablePointer<Float>, beta: Float, outputGradient: UnsafePointer<Float>,
                       probabilities: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
                       scratch: UnsafeMutablePointer<Float>, tokens: Int, headSize: Int, width: Int, scale: Float) {
    let stride = 3 * width
    // dV [L, dh] = P^T [L, L] dO [L, dh]
    gemm(transposeA: true, m: tokens, n: headSize, k: tokens, a: probabilities, lda: tokens,
         b: outputGradient, ldb: width, beta: beta, c: qkvGradient + 2 * width, ldc: stride)
    // dP [L, L] = dO [L, dh] V^T [dh, L], then dS = P (dP - rowsum(dP P)) in place
    gemm(transposeB: true, m: tokens, n: tokens, k: headSize, a: outputGradient, lda: width,
         b: qkv + 2 * width, ldb: stride, beta: 0, c: scratch, ldc: tokens)
    for row in 0..<tokens {
        let p = probabilities + row * tokens, d = scratch + row * tokens
        var dot: Float = 0
        for j in 0..<tokens { dot += p[j] * d[j] }
        for j in 0..<tokens { d[j] = p[j] * (d[j] - dot) }
    }
    // dQ [L, dh] = s dS [L, L] K [L, dh];  dK [L, dh] = s dS^T [L, L] Q [L, dh]
    gemm(m: tokens, n: headSize, k: tokens, alpha: scale, a: scratch, lda: tokens,
         b: qkv + width, ldb: stride, beta: beta, c: qkvGradient, ldc: stride)
    gemm(transposeA: true, m: tokens, n: headSize, k: tokens, alpha: scale, a: scratch, lda: tokens,
         b: qkv, ldb: stride, beta: beta, c: qkvGradient + width, ldc: stride)
}
