// The contrastive objectives: SPEC §2's BYOL and InfoNCE (NT-Xent), and the paper's Table 9
// paradigms SimSiam and Barlow Twins.
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
    // 1/2 [(2 - 2 c1) + (2 - 2 c2)] = 2 - (c1 + c2)
    2 - crossViewCosines("byolLoss", [("predictionA", predictionA), ("predictionB", predictionB),
                                      ("targetA", targetA), ("targetB", targetB)])
}

/// The SimSiam loss (Chen and He 2021, Algorithm 1), symmetrised over the views:
///
///     L = 1/2 D(p^a, sg(z^b)) + 1/2 D(p^b, sg(z^a)),   D(p, z) = -mean_i cos(p_i, z_i)
///
/// One network: z are the projector's outputs of the same online encoder, p the predictor's;
/// the stop-gradient on z is what keeps SimSiam from collapsing.
///
/// - Parameters:
///   - predictionA: h(f(x^a)) = p^a, [N, D].
///   - predictionB: p^b, [N, D].
///   - projectionA: f(x^a) = z^a (the projector's output), [N, D]; no gradient flows to it.
///   - projectionB: z^b, [N, D]; no gradient flows to it.
/// - Returns: a scalar in [-1, 1].
public func simSiamLoss(predictionA: Tensor, predictionB: Tensor, projectionA: Tensor, projectionB: Tensor) -> Tensor {
    crossViewCosines("simSiamLoss", [("predictionA", predictionA), ("predictionB", predictionB),
                                     ("projectionA", projectionA), ("projectionB", projectionB)]) * -0.5
}

/// mean_i cos(p^a_i, sg(t^b_i)) + mean_i cos(p^b_i, sg(t^a_i)), the core BYOL and SimSiam
/// share, for `inputs` = [p^a, p^b, t^a, t^b] with their names (for `caller`'s shape check).
private func crossViewCosines(_ caller: String, _ inputs: [(name: String, tensor: Tensor)]) -> Tensor {
    let (pa, pb, ta, tb) = (inputs[0], inputs[1], inputs[2], inputs[3])
    for input in inputs.dropFirst() {
        checkArgument(input.tensor.shape == pa.tensor.shape,
                     "\(caller): \(pa.name) has shape \(pa.tensor.shape), \(input.name) has shape \(input.tensor.shape)")
    }
    return cosineSimilarity(pa.tensor, tb.tensor.detached()).mean() + cosineSimilarity(pb.tensor, ta.tensor.detached()).mean()
}

/// The Barlow Twins loss (Zbontar et al. 2021, Algorithm 1): with each view's projections
/// standardised along the batch (zero mean, unit biased variance per feature, epsilon 1e-5,
/// as the reference code's affine-free batch norm) and C = z^a^T z^b / N, the D x D
/// cross-correlation,
///
///     L = sum_i (1 - C_ii)^2 + lambda sum_{i != j} C_ij^2
///
/// The first term makes the views agree feature by feature, the second decorrelates the
/// features (redundancy reduction). No negatives, no predictor, no stop-gradient.
///
/// - Parameters:
///   - a: projections of view a, [N, D], N >= 2.
///   - b: projections of view b, [N, D].
///   - offDiagonalWeight: lambda; the paper's 0.0051 for D = 8192.
/// - Returns: a scalar >= 0.
public func barlowTwinsLoss(_ a: Tensor, _ b: Tensor, offDiagonalWeight: Float = 0.0051) -> Tensor {
    checkArgument(a.shape == b.shape && a.rank == 2, "barlowTwinsLoss: shapes \(a.shape) and \(b.shape) must be equal [N, D]")
    checkArgument(a.shape[0] >= 2, "barlowTwinsLoss: batch statistics need N >= 2 samples, got \(a.shape[0])")
    checkArgument(offDiagonalWeight >= 0, "barlowTwinsLoss: offDiagonalWeight (\(offDiagonalWeight)) must be >= 0")
    let (n, d) = (a.shape[0], a.shape[1])
    func standardized(_ z: Tensor) -> Tensor {
        let centred = z - z.mean(alongAxis: 0, keepingDimensions: true)
        let variance = centred.squared().mean(alongAxis: 0, keepingDimensions: true)
        return centred / (variance + 1e-5).sqrt()
    }
    let correlation = matmul(standardized(a), standardized(b), transposeA: true) * (1 / Float(n))
    var identity = [Float](repeating: 0, count: d * d), weights = [Float](repeating: offDiagonalWeight, count: d * d)
    for i in 0..<d {
        identity[i * d + i] = 1
        weights[i * d + i] = 1
    }
    let residual = correlation - Tensor(shape: [d, d], scalars: identity)
    return (residual.squared() * Tensor(shape: [d, d], scalars: weights)).sum()
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
