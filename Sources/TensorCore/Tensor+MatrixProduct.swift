// Matrix products through BLAS, and the linear map of a fully connected layer.
import Basics

/// `op(a) op(b)` for 2-D tensors, where `op` transposes when asked:
/// `op(a)` is [m, k] (a stored [k, m] when `transposeA`), `op(b)` is [k, n]; result [m, n].
///
/// With C = op(A) op(B): dA = dC op(B)^T (transposed back when `transposeA`),
/// dB = op(A)^T dC (transposed back when `transposeB`).
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    checkArgument(a.rank == 2 && b.rank == 2, "matmul: expected 2-D operands, got shapes \(a.shape) and \(b.shape)")
    let m = transposeA ? a.shape[1] : a.shape[0]
    let k = transposeA ? a.shape[0] : a.shape[1]
    let kB = transposeB ? b.shape[1] : b.shape[0]
    let n = transposeB ? b.shape[0] : b.shape[1]
    checkArgument(k == kB, "matmul: lhs \(a.shape)\(transposeA ? "^T" : "") has \(k) columns, rhs \(b.shape)\(transposeB ? "^T" : "") has \(kB) rows")
    let result = Tensor.uninitialized([m, n])
    let lda = a.shape[1], ldb = b.shape[1]
    gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
         a: a.storage.pointer, lda: lda, b: b.storage.pointer, ldb: ldb,
         beta: 0, c: result.storage.pointer, ldc: n)
    // Gradients cover whole operands: a fresh one is assigned (beta 0), not zero-filled.
    // If a and b are one tensor, its second contribution adds to the first.
    result.record([a, b]) { _, g in
        if a.isGradientNeeded {
            let destination = a.gradientDestination()
            if transposeA {
                // dA [k, m] = op(B) [k, n] x dC^T [n, m]
                gemm(transposeA: transposeB, transposeB: true, m: k, n: m, k: n,
                     a: b.storage.pointer, lda: ldb, b: g, ldb: n,
                     beta: destination.beta, c: destination.pointer, ldc: lda)
            } else {
                // dA [m, k] = dC [m, n] x op(B)^T [n, k]
                gemm(transposeA: false, transposeB: !transposeB, m: m, n: k, k: n,
                     a: g, lda: n, b: b.storage.pointer, ldb: ldb,
                     beta: destination.beta, c: destination.pointer, ldc: lda)
            }
        }
        if b.isGradientNeeded {
            let destination = b.gradientDestination()
            if transposeB {
                // dB [n, k] = dC^T [n, m] x op(A) [m, k]
                gemm(transposeA: true, transposeB: transposeA, m: n, n: k, k: m,
                     a: g, lda: n, b: a.storage.pointer, ldb: lda,
                     beta: destination.beta, c: destination.pointer, ldc: ldb)
            } else {
                // dB [k, n] = op(A)^T [k, m] x dC [m, n]
                gemm(transposeA: !transposeA, transposeB: false, m: k, n: n, k: m,
                     a: a.storage.pointer, lda: lda, b: g, ldb: n,
                     beta: destination.beta, c: destination.pointer, ldc: ldb)
            }
        }
    }
    return result
}

/// The affine map of a fully connected layer, PyTorch's `F.linear`:
/// `input [N, in] x weight[out, in]^T + bias [out]` -> [N, out].
public func linear(_ input: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    checkArgument(input.rank == 2 && weight.rank == 2 && input.shape[1] == weight.shape[1],
                 "linear: input has shape \(input.shape), weight has shape \(weight.shape) (expected [out, \(input.rank == 2 ? input.shape[1] : -1)])")
    let product = matmul(input, weight, transposeB: true)
    guard let bias else { return product }
    checkArgument(bias.shape == [weight.shape[0]], "linear: bias has shape \(bias.shape), weight has shape \(weight.shape)")
    return product + bias
}
