import Basics

/// How well a layout keeps local structure, scikit-learn's
/// `sklearn.manifold.trustworthiness`:
///
/// `T(k) = 1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in U_i^k} max(0, r(i, j) - k)`
///
/// where `U_i^k` are the k nearest neighbours of i in the layout (euclidean) and `r(i, j)` is
/// the rank of j among i's neighbours in the input (1 for the nearest, ties to the lower index).
/// 1 means every layout neighbour is an input neighbour.
///
/// - Parameters:
///   - points: the input, n x `dimension`, row-major.
///   - embedding: the layout, n x `embeddedDimension`, row-major.
///   - neighborCount: k, below n / 2 (scikit-learn's `n_neighbors`, default 5).
///   - metric: the input metric (scikit-learn's `metric`, default euclidean).
/// - Cost: n^2 (d + k) through blocked `gemm`.
public func trustworthiness(
    _ points: [Float], dimension: Int, embedding: [Float], embeddedDimension: Int,
    neighborCount k: Int = 5, metric: DistanceMetric = .euclidean
) -> Double {
    let n = points.count / dimension
    checkArgument(points.count == n * dimension, "trustworthiness: \(points.count) values are not rows of \(dimension)")
    checkArgument(embedding.count == n * embeddedDimension,
                 "trustworthiness: embedding has \(embedding.count) values, expected \(n) x \(embeddedDimension)")
    checkArgument(k >= 1 && Double(k) < Double(n) / 2, "trustworthiness: neighborCount \(k) must be in 1..<\(n)/2")
    // Layout neighbours, self removed (k + 1 found in case of duplicate points).
    let layoutNeighbors = nearestNeighbors(of: embedding, dimension: embeddedDimension,
                                           neighborCount: min(n, k + 1), metric: .euclidean, algorithm: .exact)
    let prepared = PreparedPoints(points, dimension: dimension, metric: metric)
    let blockRows = max(16, min(512, 4_000_000 / max(1, n)))
    var penalties = [Double](repeating: 0, count: n)
    var products = [Float](repeating: 0, count: blockRows * n)
    prepared.values.withUnsafeBufferPointer { values in
        products.withUnsafeMutableBufferPointer { productBuffer in
            penalties.withUnsafeMutableBufferPointer { penaltyBuffer in
                let shared = UncheckedSendable((productBuffer.baseAddress!, penaltyBuffer.baseAddress!))
                var start = 0
                while start < n {
                    let rows = min(blockRows, n - start)
                    parallelGEMM(transposeB: true, m: rows, n: n, k: dimension,
                         a: values.baseAddress! + start * dimension, lda: dimension,
                         b: values.baseAddress!, ldb: dimension, c: shared.value.0, ldc: n)
                    let first = start
                    // Row r writes only its own products row and its own penalty.
                    parallelFor(rows, minimumChunk: 4) { r in
                        let i = first + r
                        let row = shared.value.0 + r * n
                        for j in 0..<n { row[j] = prepared.distance(dot: row[j], i, j) }
                        row[i] = .infinity // scikit-learn fills the diagonal with inf
                        var penalty = 0.0
                        var taken = 0
                        for slot in 0..<layoutNeighbors.neighborCount where taken < k {
                            let j = Int(layoutNeighbors.indices[i * layoutNeighbors.neighborCount + slot])
                            if j == i { continue }
                            taken += 1
                            let target = row[j]
                            var rank = 1
                            for l in 0..<n where row[l] < target || (row[l] == target && l < j) { rank += 1 }
                            if rank > k { penalty += Double(rank - k) }
                        }
                        shared.value.1[i] = penalty
                    }
                    start += rows
                }
            }
        }
    }
    let total = penalties.reduce(0, +)
    let nd = Double(n), kd = Double(k)
    return 1 - total * (2 / (nd * kd * (2 * nd - 3 * kd - 1)))
}
