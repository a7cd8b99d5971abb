import Basics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// New points placed into a finished UMAP layout without moving it: umap-learn's
/// `UMAP.transform`.
///
///     neighbours: each new point's k nearest reference points (the fit's metric and k): exact
///                 up to 50 M point pairs, from random-projection trees (`ProjectionForest`)
///                 beyond
///     weights:    smooth_knn_dist with local_connectivity max(0, lc - 1) (so rho = 0),
///                 w_ij = exp(-d_ij / sigma_i); the first neighbour is skipped by the
///                 bisection's sum, as umap-learn's does
///     start:      each new point at the weighted mean (weights normalised per row) of its
///                 neighbours' positions
///     epochs:     n_fit / 3 (umap-learn: n_epochs // 3), edges below max w / epochs dropped;
///                 the SGD of `LayoutOptimizer` moving only the new points (move_other =
///                 False), negative samples drawn among the reference points, learning rate
///                 a quarter of the fit's
///
/// Each new point moves alone against the fixed reference layout, so the result is a
/// function of the seed and never of the core count. As in umap-learn, the edge sampling is
/// relative to the largest weight of the points placed together.
public struct UMAPTransform: Sendable {
    /// The fitted UMAP's settings (metric, k, min_dist, spread, epochs, learning rate, ...).
    public let umap: UMAP
    /// The points the layout was fitted on, row-major `n x dimension`.
    public let reference: [Float]
    public let dimension: Int
    /// Their layout, row-major `n x umap.dimensions`.
    public let layout: [Float]

    public init(umap: UMAP, reference: [Float], dimension: Int, layout: [Float]) throws(ManifoldError) {
        let n = try validateInput(reference, dimension: dimension, minimumPoints: umap.neighborCount)
        guard layout.count == n * umap.dimensions else {
            throw .invalidSetting(name: "layout", value: "\(layout.count) values",
                                  expected: "\(n) x \(umap.dimensions), one row per reference point")
        }
        self.umap = umap
        self.reference = reference
        self.dimension = dimension
        self.layout = layout
    }

    /// The layout positions of `points` (row-major `m x dimension`), row-major `m x
    /// umap.dimensions`, and each point's neighbours among the reference points.
    public func transform(_ points: [Float], progress: ((Int, Int) -> Void)? = nil) throws(ManifoldError)
        -> (layout: [Float], neighbors: NeighborGraph) {
        let m = try validateInput(points, dimension: dimension, minimumPoints: 1)
        let n = reference.count / dimension, k = umap.neighborCount, dims = umap.dimensions
        let queries = PreparedPoints(points, dimension: dimension, metric: umap.metric)
        let prepared = PreparedPoints(reference, dimension: dimension, metric: umap.metric)
        // Exact below 50 M pairs; beyond, random-projection trees, as umap-learn's index is
        // approximate too (recall in docs/assign.md).
        let neighbors = m * n <= 50_000_000
            ? exactNeighbors(of: queries, among: prepared, neighborCount: k)
            : ProjectionForest(prepared, seed: umap.seed).neighbors(of: queries, neighborCount: k)
        let (sigma, rho) = smoothKNNDistances(neighbors.distances, neighborCount: k,
                                              localConnectivity: max(0, umap.localConnectivity - 1))
        var weights = [Float](repeating: 0, count: m * k)
        for i in 0..<m {
            for s in 0..<k {
                let excess = neighbors.distances[i * k + s] - rho[i]
                weights[i * k + s] = excess <= 0 || sigma[i] == 0 ? 1 : Float(exp(-Double(excess / sigma[i])))
            }
        }
        var placed = [Float](repeating: 0, count: m * dims)
        for i in 0..<m {
            let total = (0..<k).reduce(Float(0)) { $0 + weights[i * k + $1] }
            for s in 0..<k {
                let share = total > 0 ? weights[i * k + s] / total : 1 / Float(k)
                let j = Int(neighbors.indices[i * k + s])
                for c in 0..<dims { placed[i * dims + c] += share * layout[j * dims + c] }
            }
        }
        let fitEpochs = umap.epochCount ?? (n <= 10_000 ? 500 : 200)
        let epochs = max(1, fitEpochs / 3)
        let largest = weights.max() ?? 0
        for e in weights.indices where weights[e] < largest / Float(epochs) { weights[e] = 0 }
        let (a, b) = findABParameters(spread: umap.spread, minimumDistance: umap.minimumDistance)
        let mover = TransformOptimizer(
            neighbors: neighbors.indices, weights: weights, neighborCount: k, referenceCount: n,
            dimensions: dims, epochCount: epochs, a: a, b: b, repulsion: umap.repulsionStrength,
            learningRate: umap.learningRate / 4, negativeSampleRate: umap.negativeSampleRate, seed: umap.seed)
        mover.optimize(&placed, reference: layout, progress: progress)
        return (placed, neighbors)
    }
}

extension UMAPTransform {
    /// Each row's distance (the fit's metric) to its nearest reference point; with
    /// `skippingSelf`, to its second nearest, for rows that are themselves reference points.
    public func nearestReferenceDistances(_ points: [Float], skippingSelf: Bool) -> [Float] {
        let k = skippingSelf ? 2 : 1
        let found = exactNeighbors(
            of: PreparedPoints(points, dimension: dimension, metric: umap.metric),
            among: PreparedPoints(reference, dimension: dimension, metric: umap.metric), neighborCount: k)
        return (0..<(points.count / dimension)).map { found.distances[$0 * k + k - 1] }
    }
}

/// umap-learn's `optimize_layout_euclidean` with `move_other = False`: the head of every edge
/// is a new point, its tail a fixed reference position. New point i owns its random stream,
/// so the points are independent and split across cores.
struct TransformOptimizer {
    let neighbors: [Int32]
    let weights: [Float]
    let neighborCount: Int
    let referenceCount: Int
    let dimensions: Int
    let epochCount: Int
    let a: Float, b: Float
    let repulsion: Float
    let learningRate: Float
    let negativeSampleRate: Int
    let seed: UInt64

    func optimize(_ placed: inout [Float], reference: [Float], progress: ((Int, Int) -> Void)?) {
        let k = neighborCount, dims = dimensions
        let m = placed.count / dims
        let largest = Double(weights.max() ?? 0)
        guard largest > 0 else { return }
        let power = PowerTable(exponent: b)
        placed.withUnsafeMutableBufferPointer { placedBuffer in
        power.values.withUnsafeBufferPointer { table in
            let output = UncheckedSendable(placedBuffer.baseAddress!)
            // Each point writes only its own row.
            let rate = Double(max(negativeSampleRate, 0))
            parallelChunks(m, minimumChunk: 64) { range in
                // umap-learn's epochs_per_sample bookkeeping for one point's k edges at a time.
                var perSample = [Double](repeating: 0, count: k)
                var next = perSample, nextNegative = perSample
                for i in range {
                    var generator = SeededGenerator(seed: seed, stream: [0x7AF5, UInt64(i)])
                    for s in 0..<k {
                        perSample[s] = weights[i * k + s] > 0 ? largest / Double(weights[i * k + s]) : -1
                        next[s] = perSample[s]
                        nextNegative[s] = rate > 0 ? perSample[s] / rate : .infinity
                    }
                    let head = output.value + i * dims
                    for epoch in 0..<epochCount {
                        let alpha = learningRate * (1 - Float(epoch) / Float(epochCount))
                        for s in 0..<k where perSample[s] > 0 && next[s] <= Double(epoch) {
                            let tail = Int(neighbors[i * k + s]) * dims
                            var squared: Float = 0
                            for c in 0..<dims { let step = head[c] - reference[tail + c]; squared += step * step }
                            if squared > 0 {
                                let powerB = PowerTable.evaluate(squared, table: table.baseAddress!)
                                let coefficient = -2 * a * b * powerB / (squared * (a * powerB + 1))
                                for c in 0..<dims { head[c] += clip(coefficient * (head[c] - reference[tail + c])) * alpha }
                            }
                            next[s] += perSample[s]
                            let negatives = rate > 0 ? Int((Double(epoch) - nextNegative[s]) / (perSample[s] / rate)) : 0
                            for _ in 0..<max(0, negatives) {
                                let other = generator.nextInt(below: referenceCount) * dims
                                var distance: Float = 0
                                for c in 0..<dims { let step = head[c] - reference[other + c]; distance += step * step }
                                guard distance > 0 else { continue }
                                let powerB = PowerTable.evaluate(distance, table: table.baseAddress!)
                                let coefficient = 2 * repulsion * b / ((0.001 + distance) * (a * powerB + 1))
                                for c in 0..<dims { head[c] += clip(coefficient * (head[c] - reference[other + c])) * alpha }
                            }
                            if negatives > 0 { nextNegative[s] += Double(negatives) * (perSample[s] / rate) }
                        }
                    }
                }
            }
        }}
        progress?(epochCount, epochCount)
    }
}
