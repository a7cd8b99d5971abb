// The two contrastive objectives of SPEC §2: BYOL and InfoNCE (NT-Xent).
import Basics
import TensorCore

/// The BYOL loss (Grill et al. 2020), averaged over both views (SPEC §2):
///
///     L = 1/2 [ mean_i (2 - 2 cos(p^a_i, sg(t^b_i))) + mean_i (2 - 2 cos(p^b_i, sg(t^a_i))) ]
///
/// - Parameters:
///   - predictionA: q(g(f(x^a))) of the online network, [N, D].
///   - predictionB: q(g(f(x^b))), [N, D].
///   - targetA: the target network's projection of view a, [N, D]; no gradient flows to it.
///   - targetB: the target network's projection of view b, [N, D]; no gradient flows to it.
/// - Returns: a scalar in [0, 4].
public func byolLoss(predictionA: Tensor, predictionB: Tensor, targetA: Tensor, targetB: Tensor) -> Tensor {
    for (name, tensor) in [("predictionB", predictionB), ("targetA", targetA), ("targetB", targetB)] {
        checkArgument(tensor.shape == predictionA.shape,
                     "byolLoss: predictionA has shape \(predictionA.shape), \(name) has shape \(tensor.shape)")
    }
    let first = cosineSimilarity(predictionA, targetB.detached()).mean()
    let second = cosineSimilarity(predictionB, targetA.detached()).mean()
    // 1/2 [(2 - 2 c1) + (2 - 2 c2)] = 2 - (c1 + c2)
    return 2 - (first + second)
}

/// The NT-Xent loss of SimCLR (InfoNCE over the 2N views, SPEC §2), with z the L2-normalised
/// rows of [a; b] and s_kl = <z_k, z_l> / temperature:
///
///     L = mean over the 2N views k of ( LSE_{l != k} s_kl - s_k,pos(k) )
///
/// where pos(k) is the other view of the same sample. The positive is part of the LSE (the
/// standard form); with `decoupled` it is left out of it (Yeh et al. 2021, the paper's
/// Eq. 2): `LSE_{l != k, l != pos(k)} s_kl - s_k,pos(k)`.
///
/// - Parameters:
///   - a: projections of view a, [N, D] (not necessarily normalised).
///   - b: projections of view b, [N, D].
///   - temperature: tau, 0.1 by default.
///   - decoupled: leave the positive out of the denominator.
/// - Returns: a scalar.
public func ntXentLoss(_ a: Tensor, _ b: Tensor, temperature: Float = 0.1, decoupled: Bool = false) -> Tensor {
    checkArgument(a.shape == b.shape && a.rank == 2, "ntXentLoss: shapes \(a.shape) and \(b.shape) must be equal [N, D]")
    checkArgument(temperature > 0, "ntXentLoss: temperature (\(temperature)) must be positive")
    let n = a.shape[0]
    checkArgument(n >= 2 || !decoupled, "ntXentLoss: the decoupled form needs N >= 2 samples, got \(n)")
    let z = concatenate(batch: [a, b]).l2NormalizedRows()
    let logits = matmul(z, z, transposeB: true) * (1 / temperature)
    let positives = (0..<(2 * n)).map { $0 < n ? $0 + n : $0 - n }
    if !decoupled {
        return softmaxCrossEntropy(logits: logits + exclusionMask(size: 2 * n, excluding: [Array(0..<(2 * n))]),
                                   labels: positives)
    }
    let masked = logits + exclusionMask(size: 2 * n, excluding: [Array(0..<(2 * n)), positives])
    let za = z.slice(batch: 0..<n), zb = z.slice(batch: n..<(2 * n))
    let positive = (za * zb).sum(alongAxis: 1) * (1 / temperature)  // [N], shared by k and pos(k)
    return masked.logSumExp().mean() - positive.mean()
}

/// A constant [size, size] tensor, 0 everywhere except `-1e9` at (k, columns[k]) for every
/// column list: added to logits, it removes those entries from a log-sum-exp (e^-1e9 = 0 in
/// float) and passes no gradient to them.
func exclusionMask(size: Int, excluding columnLists: [[Int]]) -> Tensor {
    var values = [Float](repeating: 0, count: size * size)
    for columns in columnLists {
        checkArgument(columns.count == size, "exclusionMask: \(columns.count) columns for \(size) rows")
        for (row, column) in columns.enumerated() { values[row * size + column] = -1e9 }
    }
    return Tensor(shape: [size, size], scalars: values)
}
