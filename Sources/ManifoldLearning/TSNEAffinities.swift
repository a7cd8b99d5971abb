import Basics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Symmetric t-SNE input affinities `p_ij` in compressed rows (sums to 1 over all entries).
struct Affinities {
    var rowStarts: [Int]
    var columns: [Int32]
    var values: [Float]
}

/// scikit-learn's `_binary_search_perplexity` for one row: `p_j = exp(-beta d_j^2) / sum`
/// with beta bisected (100 steps, doubling/halving while unbounded) until the entropy is
/// within 1e-5 of `log(perplexity)`. Writes `probabilities` (count values).
func conditionalProbabilities(
    squaredDistances: UnsafePointer<Float>, count: Int, perplexity: Float,
    probabilities: UnsafeMutablePointer<Double>
) {
    let desiredEntropy = log(Double(perplexity))
    var beta = 1.0, low = -Double.infinity, high = Double.infinity
    for _ in 0..<100 {
        var sum = 0.0
        for j in 0..<count {
            probabilities[j] = exp(-Double(squaredDistances[j]) * beta)
            sum += probabilities[j]
        }
        if sum == 0 { sum = 1e-8 }
        var weighted = 0.0
        for j in 0..<count {
            probabilities[j] /= sum
            weighted += Double(squaredDistances[j]) * probabilities[j]
        }
        let entropy = log(sum) + beta * weighted
        let difference = entropy - desiredEntropy
        if abs(difference) <= 1e-5 { break }
        if difference > 0 {
            low = beta
            beta = high == .infinity ? beta * 2 : (beta + high) / 2
        } else {
            high = beta
            beta = low == -.infinity ? beta / 2 : (beta + low) / 2
        }
    }
}

/// Affinities from all pairs (exact t-SNE): `P = (P_cond + P_cond^T) / sum`, squared
/// euclidean input distances, the diagonal left out.
func exactAffinities(_ points: [Float], dimension: Int, perplexity: Float) -> Affinities {
    let prepared = PreparedPoints(points, dimension: dimension, metric: .euclidean)
    let n = prepared.count
    var conditional = [Double](repeating: 0, count: n * n)
    var products = [Float](repeating: 0, count: n * n)
    prepared.values.withUnsafeBufferPointer { v in
        products.withUnsafeMutableBufferPointer { p in
            parallelGEMM(transposeB: true, m: n, n: n, k: dimension, a: v.baseAddress!, lda: dimension,
                 b: v.baseAddress!, ldb: dimension, c: p.baseAddress!, ldc: n)
        }
    }
    products.withUnsafeMutableBufferPointer { p in
        conditional.withUnsafeMutableBufferPointer { c in
            let shared = UncheckedSendable((p.baseAddress!, c.baseAddress!))
            // Row i writes only row i of both buffers.
            parallelFor(n, minimumChunk: 16) { i in
                let row = shared.value.0 + i * n
                var others = [Float]()
                others.reserveCapacity(n - 1)
                for j in 0..<n where j != i {
                    others.append(max(0, prepared.squaredNorms[i] + prepared.squaredNorms[j] - 2 * row[j]))
                }
                var probabilities = [Double](repeating: 0, count: n - 1)
                others.withUnsafeBufferPointer { o in
                    probabilities.withUnsafeMutableBufferPointer { q in
                        conditionalProbabilities(squaredDistances: o.baseAddress!, count: n - 1,
                                                 perplexity: perplexity, probabilities: q.baseAddress!)
                    }
                }
                var slot = 0
                for j in 0..<n where j != i { shared.value.1[i * n + j] = probabilities[slot]; slot += 1 }
            }
        }
    }
    var total = 0.0
    for i in 0..<n { for j in 0..<n where j != i { total += conditional[i * n + j] + conditional[j * n + i] } }
    total = max(total, 1e-300)
    var starts = [0], columns: [Int32] = [], values: [Float] = []
    for i in 0..<n {
        for j in 0..<n where j != i {
            columns.append(Int32(j))
            // scikit-learn floors every p_ij at double machine epsilon.
            values.append(Float(max((conditional[i * n + j] + conditional[j * n + i]) / total, Double.ulpOfOne)))
        }
        starts.append(columns.count)
    }
    return Affinities(rowStarts: starts, columns: columns, values: values)
}

/// Affinities from the `3 perplexity + 1` nearest neighbours (Barnes-Hut t-SNE), as
/// scikit-learn: conditional probabilities over the neighbours, `P = P + P^T`, `P /= sum P`.
func neighborAffinities(_ points: [Float], dimension: Int, perplexity: Float, seed: UInt64) -> Affinities {
    let n = points.count / dimension
    let k = min(n - 1, Int(3 * perplexity + 1))
    let graph = nearestNeighbors(of: points, dimension: dimension, neighborCount: k + 1, metric: .euclidean, seed: seed)
    var conditional = [Double](repeating: 0, count: n * k)
    conditional.withUnsafeMutableBufferPointer { c in
        let shared = UncheckedSendable(c.baseAddress!)
        // Row i writes only its own k values.
        parallelFor(n, minimumChunk: 64) { i in
            let squared = (1...k).map { slot -> Float in
                let d = graph.distances[i * (k + 1) + slot]
                return d * d
            }
            squared.withUnsafeBufferPointer { s in
                conditionalProbabilities(squaredDistances: s.baseAddress!, count: k, perplexity: perplexity,
                                         probabilities: shared.value + i * k)
            }
        }
    }
    var rows = [[Int32: Double]](repeating: [:], count: n)
    for i in 0..<n {
        for slot in 0..<k {
            let j = Int(graph.indices[i * (k + 1) + 1 + slot])
            if j == i || j < 0 { continue }
            rows[i][Int32(j), default: 0] += conditional[i * k + slot]
            rows[j][Int32(i), default: 0] += conditional[i * k + slot]
        }
    }
    let total = max(rows.reduce(0.0) { $0 + $1.values.reduce(0, +) }, 1e-300)
    var starts = [0], columns: [Int32] = [], values: [Float] = []
    for i in 0..<n {
        for j in rows[i].keys.sorted() {
            columns.append(j)
            values.append(Float(rows[i][j]! / total))
        }
        starts.append(columns.count)
    }
    return Affinities(rowStarts: starts, columns: columns, values: values)
}
