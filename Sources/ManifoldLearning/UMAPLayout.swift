import Basics
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
/// Like umap-learn's seeded (single-threaded) layout, the sweep is sequential and every
/// update is visible at once (Gauss-Seidel): vertices in order, each sampled entry (j, k)
/// moving j toward k and k toward j (`move_other`), negative samples pushing j alone, drawn
/// from j's own random stream. The result is a function of the seed alone.
///
/// A parallel variant that froze the layout for each epoch and let each core move only its
/// own vertices (Jacobi updates) kept trustworthiness (digits 0.991) but tore classes into
/// islands: UMAP + GridShift on the digits fell to ACC 0.71 from this sweep's 0.89-0.90
/// (umap-learn 0.90-0.92). The other stages (neighbours, fuzzy set, spectral start) use
/// every core; this one stays on one.
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
        let power = PowerTable(exponent: b)

        var alpha = learningRate
        for epoch in 0..<epochCount {
            let step = EpochStep(epoch: Double(epoch), alpha: alpha, a: a, b: b, repulsion: repulsion,
                                 vertexCount: n, dimensions: dims, stride: stride)
            live.withUnsafeMutableBufferPointer { liveBuffer in
            schedule.next.withUnsafeMutableBufferPointer { next in
            schedule.nextNegative.withUnsafeMutableBufferPointer { nextNegative in
            schedule.perSample.withUnsafeBufferPointer { perSample in
            schedule.perNegative.withUnsafeBufferPointer { perNegative in
            generators.withUnsafeMutableBufferPointer { streams in
            graph.columns.withUnsafeBufferPointer { columns in
            graph.rowStarts.withUnsafeBufferPointer { starts in
            power.values.withUnsafeBufferPointer { table in
                let buffers = EpochBuffers(
                    live: liveBuffer.baseAddress!, next: next.baseAddress!,
                    nextNegative: nextNegative.baseAddress!, perSample: perSample.baseAddress!,
                    perNegative: perNegative.baseAddress!, streams: streams.baseAddress!,
                    columns: columns.baseAddress!, starts: starts.baseAddress!, power: table.baseAddress!)
                for j in 0..<n {
                    if stride == 4 { step.moveSIMD(j, buffers) } else { step.move(j, buffers) }
                }
            }}}}}}}}}
            alpha = learningRate * (1 - Float(epoch) / Float(epochCount))
            progress?(epoch + 1, epochCount)
        }
        for i in 0..<n { for c in 0..<dims { embedding[i * dims + c] = live[i * stride + c] } }
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
    let live: UnsafeMutablePointer<Float>      // n x stride
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
        let layout = UnsafeMutableRawPointer(buffers.live)
        var generator = buffers.streams[j]
        let low = SIMD4<Float>(repeating: -4), high = SIMD4<Float>(repeating: 4)
        for edge in buffers.starts[j]..<buffers.starts[j + 1] where buffers.next[edge] <= epoch {
            let k = Int(buffers.columns[edge])
            let tail = layout.loadUnaligned(fromByteOffset: k * 16, as: SIMD4<Float>.self)
            var difference = current - tail
            var squared = (difference * difference).sum()
            if squared > 0 {
                let pull = alpha * (attraction(squared, buffers.power) * difference).clamped(lowerBound: low, upperBound: high)
                current += pull
                layout.storeBytes(of: tail - pull, toByteOffset: k * 16, as: SIMD4<Float>.self)
            }
            buffers.next[edge] += buffers.perSample[edge]
            let negatives = Int((epoch - buffers.nextNegative[edge]) / buffers.perNegative[edge])
            if negatives <= 0 { continue }
            for _ in 0..<negatives {
                let sample = generator.nextInt(below: vertexCount)
                if sample == j { continue }
                difference = current - layout.loadUnaligned(fromByteOffset: sample * 16, as: SIMD4<Float>.self)
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
            let other = buffers.live + Int(buffers.columns[edge]) * stride
            var squared: Float = 0
            for c in 0..<dimensions { let t = current[c] - other[c]; squared += t * t }
            if squared > 0 {
                let coefficient = attraction(squared, buffers.power)
                for c in 0..<dimensions {
                    let pull = clip(coefficient * (current[c] - other[c])) * alpha
                    current[c] += pull
                    other[c] -= pull
                }
            }
            buffers.next[edge] += buffers.perSample[edge]
            let negatives = Int((epoch - buffers.nextNegative[edge]) / buffers.perNegative[edge])
            if negatives <= 0 { continue }
            for _ in 0..<negatives {
                let sample = generator.nextInt(below: vertexCount)
                if sample == j { continue }
                let other = buffers.live + sample * stride
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
