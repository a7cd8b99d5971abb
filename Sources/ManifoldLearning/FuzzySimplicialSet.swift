import Basics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// umap-learn's `SMOOTH_K_TOLERANCE`: the binary search stops within this of its target.
let smoothKTolerance: Double = 1e-5
/// umap-learn's `MIN_K_DIST_SCALE`: sigma is at least this times the mean neighbour distance.
let minimumKDistanceScale: Float = 1e-3

/// The local scale of each point, umap-learn's `smooth_knn_dist`.
///
/// For point i with neighbour distances `d_ij` (column 0 is the point itself and is skipped):
/// `rho_i` is the distance to the nearest neighbour at a positive distance (interpolated for a
/// fractional `localConnectivity`), and `sigma_i` solves
/// `sum_{j >= 1} exp(-max(0, d_ij - rho_i) / sigma_i) = log2(k) * bandwidth`
/// by 64 steps of bisection (doubling while unbounded), then is raised to at least
/// `1e-3 * mean_j d_ij` (or `1e-3` times the mean over all rows when `rho_i = 0`).
///
/// - Parameters:
///   - distances: n x k row-major, each row sorted ascending, column 0 the point itself.
///   - neighborCount: k.
///   - localConnectivity: `local_connectivity`, default 1.
///   - bandwidth: `bandwidth`, default 1.
/// - Returns: `sigma` and `rho`, n each.
public func smoothKNNDistances(
    _ distances: [Float], neighborCount k: Int, localConnectivity: Float = 1, bandwidth: Float = 1
) -> (sigma: [Float], rho: [Float]) {
    checkArgument(k > 0 && distances.count % k == 0,
                 "smoothKNNDistances: \(distances.count) distances are not rows of \(k)")
    let n = distances.count / k
    let target = log2(Double(k)) * Double(bandwidth)
    var rho = [Float](repeating: 0, count: n)
    var sigma = [Float](repeating: 0, count: n)
    // umap-learn takes np.mean over the float32 table; summed in Double here.
    let meanDistance = Float(distances.reduce(0.0) { $0 + Double($1) } / Double(max(1, distances.count)))
    distances.withUnsafeBufferPointer { table in
        rho.withUnsafeMutableBufferPointer { rhoBuffer in
            sigma.withUnsafeMutableBufferPointer { sigmaBuffer in
                let out = UncheckedSendable((rhoBuffer.baseAddress!, sigmaBuffer.baseAddress!))
                // Each point writes only its own rho and sigma.
                parallelFor(n, minimumChunk: 512) { i in
                    let row = table.baseAddress! + i * k
                    let (rhoI, sigmaI) = smoothDistance(
                        row: row, k: k, target: target, localConnectivity: localConnectivity,
                        meanDistance: meanDistance)
                    out.value.0[i] = rhoI
                    out.value.1[i] = sigmaI
                }
            }
        }
    }
    return (sigma, rho)
}

@inline(__always)
private func smoothDistance(
    row: UnsafePointer<Float>, k: Int, target: Double, localConnectivity: Float, meanDistance: Float
) -> (rho: Float, sigma: Float) {
    var positive: [Float] = []
    positive.reserveCapacity(k)
    var rowSum: Double = 0
    for j in 0..<k {
        if row[j] > 0 { positive.append(row[j]) }
        rowSum += Double(row[j])
    }
    var rho: Float = 0
    if Float(positive.count) >= localConnectivity {
        let index = Int(localConnectivity.rounded(.down))
        let interpolation = localConnectivity - Float(index)
        if index > 0 {
            rho = positive[index - 1]
            if Double(interpolation) > smoothKTolerance {
                rho += interpolation * (positive[index] - positive[index - 1])
            }
        } else {
            rho = interpolation * positive[0]
        }
    } else if !positive.isEmpty {
        rho = positive.max()!
    }
    // Bisection in Double, as numba evaluates umap-learn's float64 scalars.
    var lower = 0.0, upper = Double.infinity, middle = 1.0
    for _ in 0..<64 {
        var sum = 0.0
        for j in 1..<max(1, k) {
            let d = Double(row[j]) - Double(rho)
            sum += d > 0 ? exp(-(d / middle)) : 1
        }
        if abs(sum - target) < smoothKTolerance { break }
        if sum > target {
            upper = middle
            middle = (lower + upper) / 2
        } else {
            lower = middle
            if upper == .infinity { middle *= 2 } else { middle = (lower + upper) / 2 }
        }
    }
    var sigma = Float(middle)
    if rho > 0 {
        let meanRow = Float(rowSum / Double(k))
        if sigma < minimumKDistanceScale * meanRow { sigma = minimumKDistanceScale * meanRow }
    } else if sigma < minimumKDistanceScale * meanDistance {
        sigma = minimumKDistanceScale * meanDistance
    }
    return (rho, sigma)
}

/// A symmetric sparse graph in compressed rows: the fuzzy simplicial set's 1-skeleton.
///
/// Row i's entries are `columns[rowStarts[i]..<rowStarts[i + 1]]`, sorted, with `weights` in
/// (0, 1]; the matrix equals its transpose and has no diagonal.
public struct FuzzyGraph: Sendable, Equatable {
    /// n, the number of vertices.
    public let vertexCount: Int
    /// n + 1 offsets into `columns` and `weights`.
    public var rowStarts: [Int]
    /// The column of each stored entry.
    public var columns: [Int32]
    /// The membership strength of each stored entry.
    public var weights: [Float]

    /// A graph from its compressed rows.
    public init(vertexCount: Int, rowStarts: [Int], columns: [Int32], weights: [Float]) {
        checkArgument(rowStarts.count == vertexCount + 1 && rowStarts.first == 0 && rowStarts.last == columns.count,
                      "FuzzyGraph: \(rowStarts.count) row starts for \(vertexCount) rows of \(columns.count) entries")
        checkArgument(weights.count == columns.count, "FuzzyGraph: \(weights.count) weights, \(columns.count) columns")
        self.vertexCount = vertexCount
        self.rowStarts = rowStarts
        self.columns = columns
        self.weights = weights
    }

    /// The number of stored (directed) entries, twice the number of edges.
    public var entryCount: Int { columns.count }

    /// The weight of entry (i, j), 0 when absent.
    public func weight(_ i: Int, _ j: Int) -> Float {
        for e in rowStarts[i]..<rowStarts[i + 1] where columns[e] == Int32(j) { return weights[e] }
        return 0
    }

    /// The same graph with entries below `threshold` removed (umap-learn drops weights below
    /// `max / n_epochs` before the layout).
    public func pruned(below threshold: Float) -> FuzzyGraph {
        var starts = [0], kept: [Int32] = [], keptWeights: [Float] = []
        for i in 0..<vertexCount {
            for e in rowStarts[i]..<rowStarts[i + 1] where weights[e] >= threshold {
                kept.append(columns[e]); keptWeights.append(weights[e])
            }
            starts.append(kept.count)
        }
        return FuzzyGraph(vertexCount: vertexCount, rowStarts: starts, columns: kept, weights: keptWeights)
    }
}

/// umap-learn's `fuzzy_simplicial_set` from a neighbour graph: membership strengths
/// `w_ij = exp(-max(0, d_ij - rho_i) / sigma_i)` (1 where `d_ij <= rho_i` or `sigma_i = 0`,
/// 0 for the point itself), then the fuzzy union
/// `W = mix * (A + A^T - A ∘ A^T) + (1 - mix) * (A ∘ A^T)` with `mix = set_op_mix_ratio`.
///
/// - Parameters:
///   - neighbors: the k nearest neighbours of each point, itself first.
///   - localConnectivity: `local_connectivity`, default 1.
///   - setOperationMixRatio: `set_op_mix_ratio` in [0, 1]; 1 is the pure fuzzy union.
/// - Returns: the symmetric graph and the per-point `sigma` and `rho`.
public func fuzzySimplicialSet(
    _ neighbors: NeighborGraph, localConnectivity: Float = 1, setOperationMixRatio: Float = 1
) -> (graph: FuzzyGraph, sigma: [Float], rho: [Float]) {
    let n = neighbors.pointCount, k = neighbors.neighborCount
    let (sigma, rho) = smoothKNNDistances(neighbors.distances, neighborCount: k,
                                          localConnectivity: localConnectivity)
    // Directed strengths A: row i holds (neighbour, strength) for its k neighbours.
    var outgoing = [[(Int32, Float)]](repeating: [], count: n)
    var incoming = [[(Int32, Float)]](repeating: [], count: n)
    for i in 0..<n {
        for slot in 0..<k {
            let j = Int(neighbors.indices[i * k + slot])
            if j < 0 || j == i { continue }
            let d = neighbors.distances[i * k + slot]
            let strength: Float = (d - rho[i] <= 0 || sigma[i] == 0) ? 1 : exp(-((d - rho[i]) / sigma[i]))
            if strength == 0 { continue }
            outgoing[i].append((Int32(j), strength))
            incoming[j].append((Int32(i), strength))
        }
    }
    var starts = [0]
    starts.reserveCapacity(n + 1)
    var columns: [Int32] = [], weights: [Float] = []
    columns.reserveCapacity(2 * n * k)
    weights.reserveCapacity(2 * n * k)
    let mix = setOperationMixRatio
    for i in 0..<n {
        // Merge A[i, :] and A[:, i] by column; a duplicate neighbour index sums, like scipy.
        var row: [Int32: (Float, Float)] = [:]
        for (j, s) in outgoing[i] { row[j, default: (0, 0)].0 += s }
        for (j, s) in incoming[i] { row[j, default: (0, 0)].1 += s }
        for j in row.keys.sorted() {
            let (a, b) = row[j]!
            let product = a * b
            let value = mix * (a + b - product) + (1 - mix) * product
            if value != 0 {
                columns.append(j)
                weights.append(value)
            }
        }
        starts.append(columns.count)
    }
    return (FuzzyGraph(vertexCount: n, rowStarts: starts, columns: columns, weights: weights), sigma, rho)
}
