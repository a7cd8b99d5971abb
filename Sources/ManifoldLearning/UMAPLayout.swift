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
/// stream. The result is a function of the seed alone.
///
/// umap-learn also moves the tail k of a sampled edge (j, k) (`move_other`); here k moves
/// when its owner samples the reverse entry (k, j), which the symmetric graph holds with the
/// same weight and schedule, so each vertex gets one pull per sampled edge pair where
/// umap-learn gives two. Doubling the pull to match was measured worse (trustworthiness on
/// the digits 0.9896 against 0.9911 this way, umap-learn 0.9914; Fashion-MNIST 10k 0.918
/// against 0.922, umap-learn 0.917).
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
        // Up to 4 dimensions, rows are padded to 4 floats so one SIMD4 holds a point.
        let stride = dims <= 4 ? 4 : dims
        var live = [Float](repeating: 0, count: n * stride)
        for i in 0..<n { for c in 0..<dims { live[i * stride + c] = embedding[i * dims + c] } }
        var schedule = EdgeSchedule(weights: graph.weights, negativeSampleRate: negativeSampleRate)
        var generators = (0..<n).map { SeededGenerator(seed: seed, stream: [0x0E9A, UInt64($0)]) }
        var frozen = live
        let blocks = balancedBlocks(count: 64)
        let power = PowerTable(exponent: b)

        var alpha = learningRate
        for epoch in 0..<epochCount {
            frozen.withUnsafeMutableBufferPointer { f in
                live.withUnsafeBufferPointer { e in f.baseAddress!.update(from: e.baseAddress!, count: n * stride) }
            }
            let step = EpochStep(epoch: Double(epoch), alpha: alpha, a: a, b: b, repulsion: repulsion,
                                 vertexCount: n, dimensions: dims, stride: stride)
            live.withUnsafeMutableBufferPointer { liveBuffer in
            frozen.withUnsafeBufferPointer { frozenBuffer in
            schedule.next.withUnsafeMutableBufferPointer { next in
            schedule.nextNegative.withUnsafeMutableBufferPointer { nextNegative in
            schedule.perSample.withUnsafeBufferPointer { perSample in
            schedule.perNegative.withUnsafeBufferPointer { perNegative in
            generators.withUnsafeMutableBufferPointer { streams in
            graph.columns.withUnsafeBufferPointer { columns in
            graph.rowStarts.withUnsafeBufferPointer { starts in
            power.values.withUnsafeBufferPointer { table in
                let buffers = UncheckedSendable(EpochBuffers(
                    live: liveBuffer.baseAddress!, frozen: frozenBuffer.baseAddress!, next: next.baseAddress!,
                    nextNegative: nextNegative.baseAddress!, perSample: perSample.baseAddress!,
                    perNegative: perNegative.baseAddress!, streams: streams.baseAddress!,
                    columns: columns.baseAddress!, starts: starts.baseAddress!, power: table.baseAddress!))
                // Block b owns vertices blocks[b]..<blocks[b+1]: their rows of the layout,
                // their edges' schedules and their random streams. Nothing else is written.
                parallelFor(blocks.count - 1) { block in
                    for j in blocks[block]..<blocks[block + 1] {
                        if stride == 4 { step.moveSIMD(j, buffers.value) } else { step.move(j, buffers.value) }
                    }
                }
            }}}}}}}}}}
            alpha = learningRate * (1 - Float(epoch) / Float(epochCount))
            progress?(epoch + 1, epochCount)
        }
        for i in 0..<n { for c in 0..<dims { embedding[i * dims + c] = live[i * stride + c] } }
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

/// When each edge is next sampled, umap-learn's `epochs_per_sample` bookkeeping (float64).
struct EdgeSchedule {
    /// `max w / w`: an edge of weight w is sampled every this many epochs.
    var perSample: [Double]
    /// `perSample / negative_sample_rate`.
    var perNegative: [Double]
    var next: [Double]
    var nextNegative: [Double]

    init(weights: [Float], negativeSampleRate: Int) {
        let maxWeight = Double(weights.max() ?? 1)
        perSample = weights.map { maxWeight / Double($0) }
        let rate = Double(max(negativeSampleRate, 0))
        perNegative = perSample.map { rate > 0 ? $0 / rate : .infinity }
        next = perSample
        nextNegative = perNegative
    }
}

/// The buffers of one epoch; see `LayoutOptimizer` for who writes what.
struct EpochBuffers {
    let live: UnsafeMutablePointer<Float>      // n x stride, rows owned by their block
    let frozen: UnsafePointer<Float>           // n x stride, read-only this epoch
    let next: UnsafeMutablePointer<Double>     // entries
    let nextNegative: UnsafeMutablePointer<Double>
    let perSample: UnsafePointer<Double>
    let perNegative: UnsafePointer<Double>
    let streams: UnsafeMutablePointer<SeededGenerator> // n
    let columns: UnsafePointer<Int32>
    let starts: UnsafePointer<Int>
    let power: UnsafePointer<Float>            // PowerTable values for x^b
}

/// One epoch's constants and the per-vertex update.
struct EpochStep {
    let epoch: Double
    let alpha: Float
    let a: Float
    let b: Float
    let repulsion: Float
    let vertexCount: Int
    let dimensions: Int
    let stride: Int

    /// Attraction coefficient `-2ab d^(2(b-1)) / (1 + a d^(2b))`, from d^2 > 0.
    @inline(__always)
    func attraction(_ squared: Float, _ table: UnsafePointer<Float>) -> Float {
        let powerB = PowerTable.evaluate(squared, table: table)
        return -2 * a * b * powerB / (squared * (a * powerB + 1))
    }

    /// Repulsion coefficient `2 gamma b / ((0.001 + d^2)(1 + a d^(2b)))`.
    @inline(__always)
    func repulsion(_ squared: Float, _ table: UnsafePointer<Float>) -> Float {
        2 * repulsion * b / ((0.001 + squared) * (a * PowerTable.evaluate(squared, table: table) + 1))
    }

    /// Samples vertex j's due edges, 4-wide (rows padded with zeros).
    @inline(__always)
    func moveSIMD(_ j: Int, _ buffers: EpochBuffers) {
        let rowPointer = UnsafeMutableRawPointer(buffers.live + j * 4)
        var current = rowPointer.loadUnaligned(as: SIMD4<Float>.self)
        let frozen = UnsafeRawPointer(buffers.frozen)
        var generator = buffers.streams[j]
        let low = SIMD4<Float>(repeating: -4), high = SIMD4<Float>(repeating: 4)
        for edge in buffers.starts[j]..<buffers.starts[j + 1] where buffers.next[edge] <= epoch {
            let k = Int(buffers.columns[edge])
            var difference = current - frozen.loadUnaligned(fromByteOffset: k * 16, as: SIMD4<Float>.self)
            var squared = (difference * difference).sum()
            if squared > 0 {
                current += alpha * (attraction(squared, buffers.power) * difference).clamped(lowerBound: low, upperBound: high)
            }
            buffers.next[edge] += buffers.perSample[edge]
            let negatives = Int((epoch - buffers.nextNegative[edge]) / buffers.perNegative[edge])
            if negatives <= 0 { continue }
            for _ in 0..<negatives {
                let sample = generator.nextInt(below: vertexCount)
                if sample == j { continue }
                difference = current - frozen.loadUnaligned(fromByteOffset: sample * 16, as: SIMD4<Float>.self)
                squared = (difference * difference).sum()
                if squared <= 0 { continue }
                current += alpha * (repulsion(squared, buffers.power) * difference).clamped(lowerBound: low, upperBound: high)
            }
            buffers.nextNegative[edge] += Double(negatives) * buffers.perNegative[edge]
        }
        rowPointer.storeBytes(of: current, as: SIMD4<Float>.self)
        buffers.streams[j] = generator
    }

    /// Samples vertex j's due edges, any dimension.
    @inline(__always)
    func move(_ j: Int, _ buffers: EpochBuffers) {
        let current = buffers.live + j * stride
        var generator = buffers.streams[j]
        for edge in buffers.starts[j]..<buffers.starts[j + 1] where buffers.next[edge] <= epoch {
            let other = buffers.frozen + Int(buffers.columns[edge]) * stride
            var squared: Float = 0
            for c in 0..<dimensions { let t = current[c] - other[c]; squared += t * t }
            if squared > 0 {
                let coefficient = attraction(squared, buffers.power)
                for c in 0..<dimensions { current[c] += clip(coefficient * (current[c] - other[c])) * alpha }
            }
            buffers.next[edge] += buffers.perSample[edge]
            let negatives = Int((epoch - buffers.nextNegative[edge]) / buffers.perNegative[edge])
            if negatives <= 0 { continue }
            for _ in 0..<negatives {
                let sample = generator.nextInt(below: vertexCount)
                if sample == j { continue }
                let other = buffers.frozen + sample * stride
                var squared: Float = 0
                for c in 0..<dimensions { let t = current[c] - other[c]; squared += t * t }
                if squared <= 0 { continue }
                let coefficient = repulsion(squared, buffers.power)
                for c in 0..<dimensions { current[c] += clip(coefficient * (current[c] - other[c])) * alpha }
            }
            buffers.nextNegative[edge] += Double(negatives) * buffers.perNegative[edge]
        }
        buffers.streams[j] = generator
    }
}
