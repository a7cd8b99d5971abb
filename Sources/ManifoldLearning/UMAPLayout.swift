import TensorCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// UMAP's stochastic gradient descent on the cross-entropy between the fuzzy graph and the
/// low-dimensional similarities `1 / (1 + a d^(2b))`, as umap-learn's
/// `optimize_layout_euclidean` (move_other = True):
///
/// - edge (j, k) of weight w is sampled every `max w / w` epochs (`epochs_per_sample`);
/// - a sample pulls j toward k by `clip(-2ab d^(2(b-1)) / (1 + a d^(2b)) (y_j - y_k))`,
///   each coordinate clipped to [-4, 4], times the learning rate;
/// - it then draws `negative_sample_rate` random vertices per sample and pushes j away by
///   `clip(2 gamma b / ((0.001 + d^2)(1 + a d^(2b))) (y_j - y_k))`;
/// - the learning rate falls linearly, `alpha = lr (1 - epoch / n_epochs)`.
///
/// Parallel without races and reproducible from the seed on any number of cores: each epoch
/// freezes a copy of the layout; a vertex's owner moves only that vertex, reading every other
/// vertex from the frozen copy, and draws negative samples from the vertex's own random
/// stream. The graph is symmetric, so the pull that umap-learn applies to the tail k of edge
/// (j, k) arrives here when k's owner processes edge (k, j); to keep umap-learn's balance of
/// attraction (two pulls per vertex per sampled edge pair) against repulsion, the head takes
/// twice the clipped pull. The result is a function of the seed alone.
struct LayoutOptimizer {
    let graph: FuzzyGraph
    let dimensions: Int
    let epochCount: Int
    let a: Float
    let b: Float
    let repulsion: Float
    let learningRate: Float
    let negativeSampleRate: Int
    let seed: UInt64

    func optimize(_ embedding: inout [Float], progress: ((Int, Int) -> Void)?) {
        let n = graph.vertexCount, dims = dimensions
        let entries = graph.entryCount
        if entries == 0 || epochCount == 0 { return }
        let maxWeight = graph.weights.max()!
        let epochsPerSample = graph.weights.map { Double(maxWeight) / Double($0) }
        let epochsPerNegativeSample = epochsPerSample.map { $0 / Double(negativeSampleRate) }
        var nextSample = epochsPerSample
        var nextNegativeSample = epochsPerNegativeSample
        var generators = (0..<n).map { SeededGenerator(seed: seed, stream: [0x0E9A, UInt64($0)]) }
        var frozen = embedding
        let blocks = balancedBlocks(count: 64)

        var alpha = learningRate
        for epoch in 0..<epochCount {
            frozen.withUnsafeMutableBufferPointer { f in
                embedding.withUnsafeBufferPointer { e in f.baseAddress!.update(from: e.baseAddress!, count: n * dims) }
            }
            let epochValue = Double(epoch), stepSize = alpha
            embedding.withUnsafeMutableBufferPointer { live in
            frozen.withUnsafeBufferPointer { frozenBuffer in
            nextSample.withUnsafeMutableBufferPointer { next in
            nextNegativeSample.withUnsafeMutableBufferPointer { nextNegative in
            generators.withUnsafeMutableBufferPointer { streams in
            epochsPerSample.withUnsafeBufferPointer { perSample in
            epochsPerNegativeSample.withUnsafeBufferPointer { perNegative in
            graph.columns.withUnsafeBufferPointer { columns in
            graph.rowStarts.withUnsafeBufferPointer { starts in
                let state = UncheckedSendable((
                    live.baseAddress!, frozenBuffer.baseAddress!, next.baseAddress!, nextNegative.baseAddress!,
                    streams.baseAddress!, perSample.baseAddress!, perNegative.baseAddress!,
                    columns.baseAddress!, starts.baseAddress!))
                // Block b owns vertices blocks[b]..<blocks[b+1]: their rows of the layout,
                // their edges' schedules and their random streams. Nothing else is written.
                parallelFor(blocks.count - 1) { block in
                    let (live, frozen, next, nextNegative, streams, perSample, perNegative, columns, starts) = state.value
                    for j in blocks[block]..<blocks[block + 1] {
                        let current = live + j * dims
                        for edge in starts[j]..<starts[j + 1] where next[edge] <= epochValue {
                            let k = Int(columns[edge])
                            let other = frozen + k * dims
                            var squared: Float = 0
                            for c in 0..<dims { let t = current[c] - other[c]; squared += t * t }
                            if squared > 0 {
                                let powerB = fastPower(squared, b)
                                let coefficient = -2 * a * b * (powerB / squared) / (a * powerB + 1)
                                for c in 0..<dims {
                                    let gradient = clip(coefficient * (current[c] - other[c]))
                                    current[c] += 2 * gradient * stepSize
                                }
                            }
                            next[edge] += perSample[edge]

                            let negatives = Int((epochValue - nextNegative[edge]) / perNegative[edge])
                            if negatives > 0 {
                                for _ in 0..<negatives {
                                    let sample = streams[j].nextInt(below: n)
                                    if sample == j { continue }
                                    let other = frozen + sample * dims
                                    var squared: Float = 0
                                    for c in 0..<dims { let t = current[c] - other[c]; squared += t * t }
                                    if squared <= 0 { continue }
                                    let coefficient = 2 * repulsion * b / ((0.001 + squared) * (a * fastPower(squared, b) + 1))
                                    for c in 0..<dims {
                                        current[c] += clip(coefficient * (current[c] - other[c])) * stepSize
                                    }
                                }
                                nextNegative[edge] += Double(negatives) * perNegative[edge]
                            }
                        }
                    }
                }
            }}}}}}}}}
            alpha = learningRate * (1 - Float(epoch) / Float(epochCount))
            progress?(epoch + 1, epochCount)
        }
    }

    /// Vertex boundaries of up to `count` blocks with about equal numbers of edges.
    private func balancedBlocks(count: Int) -> [Int] {
        let n = graph.vertexCount, entries = graph.entryCount
        var bounds = [0]
        var vertex = 0
        for block in 1..<count {
            let target = entries * block / count
            while vertex < n && graph.rowStarts[vertex] < target { vertex += 1 }
            if vertex > bounds.last! { bounds.append(vertex) }
        }
        if bounds.last! != n { bounds.append(n) }
        return bounds
    }
}

/// umap-learn's `clip`: gradients are limited to [-4, 4] per coordinate.
@inline(__always)
func clip(_ value: Float) -> Float {
    value > 4 ? 4 : (value < -4 ? -4 : value)
}
