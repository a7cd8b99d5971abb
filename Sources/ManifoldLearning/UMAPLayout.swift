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
///   `clip(2 gamma b / ((0.001 + d^2)(1 + a d^(2b))) (y_j - y_k))`; unlike umap-learn, which
///   moves j by each push before measuring the next, the pushes of one sample are all measured
///   from where the pull left j and then added together. They are pushes away from random
///   far vertices, so the sum is the same to first order, and the sweep, a chain of dependent
///   updates, no longer waits for each push in turn: its time fell by a fifth;
/// - the learning rate falls linearly, `alpha = lr (1 - epoch / n_epochs)`.
///
/// The vertices are cut into `partCount` parts (`LayoutPartition`: pieces of a breadth-first
/// order of the graph, so most edges join two vertices of one part) and the parts are swept
/// at once, each by whichever core is free. Inside a part the sweep is umap-learn's seeded
/// one, every update visible at once (Gauss-Seidel): each sampled entry (j, k) moves j toward
/// k and k toward j (`move_other`), negative samples push j alone, drawn from j's own random
/// stream. Each part visits its vertices in a seeded random order (`LayoutPartition` numbers
/// them so), in `roundsPerEpoch` rounds of an eighth of them; in a round a part reads the
/// other parts' vertices as they stood when the round began, and the pulls it owes them wait
/// in a list of its own, added part by part when the round ends. Nothing depends on which core
/// ran which part or when, so the layout is a function of the seed and `partCount` alone, the
/// same on one core or sixteen. One part is the sequential sweep itself: the vertices in their
/// own order, in one round.
///
/// Three things had to be right (docs/no-k.md, "UMAP on both cores"). Freezing the whole layout
/// for each epoch (Jacobi updates, every edge between "parts") tore classes into islands:
/// UMAP + GridShift on the digits fell to ACC 0.71 from 0.89. Visiting a part's vertices in
/// the breadth-first order, where each follows its neighbours, beaded two moons into 4-12
/// pieces on 7 seeds of 8. And reading the other parts as they stood a whole epoch before
/// tore a USPS class in two on 4 seeds of 5 (k-means given k fell from 0.957 to 0.80).
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
    /// Parts swept at once; 1 is the sequential sweep.
    let partCount: Int

    /// Rounds of an epoch when there are several parts: a part reads the others as they were
    /// at most an eighth of an epoch ago.
    static let roundsPerEpoch = 8

    func optimize(_ embedding: inout [Float], progress: ((Int, Int) -> Void)?) {
        let n = graph.vertexCount, dims = dimensions
        if graph.entryCount == 0 || epochCount == 0 { return }
        let partition = LayoutPartition(graph, partCount: partCount, seed: seed)
        let graph = partition.renumbered(graph)
        // Up to 4 dimensions, rows are padded to 4 floats so one SIMD4 holds a point.
        let stride = dims <= 4 ? 4 : dims
        var live = [Float](repeating: 0, count: n * stride)
        for i in 0..<n {
            let old = partition.original(i)
            for c in 0..<dims { live[i * stride + c] = embedding[old * dims + c] }
        }
        var snapshot = partition.parts.count > 1 ? live : []
        var owed = partition.parts.map { _ in OwedMoves(stride: stride) }
        let rounds = partition.parts.count > 1 ? Self.roundsPerEpoch : 1
        var schedule = EdgeSchedule(weights: graph.weights, negativeSampleRate: negativeSampleRate)
        var generators = (0..<n).map {
            SeededGenerator(seed: seed, stream: [0x0E9A, UInt64(partition.original($0))])
        }
        let power = PowerTable(exponent: b)

        var alpha = learningRate
        for epoch in 0..<epochCount {
            let step = EpochStep(epoch: Double(epoch), alpha: alpha, a: a, b: b, repulsion: repulsion,
                                 vertexCount: n, dimensions: dims, stride: stride)
            live.withUnsafeMutableBufferPointer { liveBuffer in
            snapshot.withUnsafeMutableBufferPointer { snapshotBuffer in
            schedule.next.withUnsafeMutableBufferPointer { next in
            schedule.nextNegative.withUnsafeMutableBufferPointer { nextNegative in
            schedule.perSample.withUnsafeBufferPointer { perSample in
            schedule.perNegative.withUnsafeBufferPointer { perNegative in
            generators.withUnsafeMutableBufferPointer { streams in
            graph.columns.withUnsafeBufferPointer { columns in
            graph.rowStarts.withUnsafeBufferPointer { starts in
            power.values.withUnsafeBufferPointer { table in
            owed.withUnsafeMutableBufferPointer { owedBuffer in
                let buffers = EpochBuffers(
                    live: liveBuffer.baseAddress!, snapshot: UnsafePointer(snapshotBuffer.baseAddress ?? liveBuffer.baseAddress!),
                    next: next.baseAddress!, nextNegative: nextNegative.baseAddress!,
                    perSample: perSample.baseAddress!, perNegative: perNegative.baseAddress!,
                    streams: streams.baseAddress!, columns: columns.baseAddress!,
                    starts: starts.baseAddress!, power: table.baseAddress!)
                let owedPointer = UncheckedSendable(owedBuffer.baseAddress!)
                for round in 0..<rounds {
                    if rounds > 1 {
                        snapshotBuffer.baseAddress!.update(from: liveBuffer.baseAddress!, count: liveBuffer.count)
                    }
                    // Each part writes only its own vertices' rows, edges and streams, and its
                    // own list of owed moves: the parts are free of data races.
                    parallelFor(handingOut: partition.parts.count) { part in
                        let own = partition.parts[part]
                        let sink = owedPointer.value + part
                        let first = own.lowerBound + own.count * round / rounds
                        let end = own.lowerBound + own.count * (round + 1) / rounds
                        for j in first..<end {
                            if stride == 4 { step.moveSIMD(j, own, buffers, sink) } else { step.move(j, own, buffers, sink) }
                        }
                    }
                    for part in owedBuffer.indices { owedBuffer[part].settle(into: liveBuffer.baseAddress!) }
                }
            }}}}}}}}}}}
            alpha = learningRate * (1 - Float(epoch) / Float(epochCount))
            progress?(epoch + 1, epochCount)
        }
        for i in 0..<n {
            let old = partition.original(i)
            for c in 0..<dims { embedding[old * dims + c] = live[i * stride + c] }
        }
    }
}

/// The parts that `LayoutOptimizer` sweeps at once: a breadth-first order of the graph (from
/// vertex 0, neighbours in stored order, each unreached component from its lowest vertex) cut
/// into `partCount` runs of about equal work, the work of a vertex being its entries' sampling
/// rates (`w / max w`), which is what an epoch spends on it. Inside each run the vertices are
/// then shuffled (seeded), and renumbered in that order: a part is a range of the new numbers,
/// swept in increasing order, which is random in the graph but sequential in memory.
public struct LayoutPartition: Sendable {
    /// New number -> original vertex; empty when the numbering is unchanged (one part).
    let order: [Int32]
    /// The new numbers of each part.
    public let parts: [Range<Int>]

    /// `min(partCount, n)` parts of `graph` (at least one), shuffled inside by `seed`.
    public init(_ graph: FuzzyGraph, partCount: Int, seed: UInt64 = 0) {
        let n = graph.vertexCount
        let count = max(1, min(partCount, n))
        if count == 1 {
            order = []
            parts = [0..<n]
            return
        }
        var visited = [Bool](repeating: false, count: n)
        var sequence: [Int32] = []
        sequence.reserveCapacity(n)
        for root in 0..<n where !visited[root] {
            visited[root] = true
            var head = sequence.count
            sequence.append(Int32(root))
            while head < sequence.count {
                let vertex = Int(sequence[head])
                head += 1
                for e in graph.rowStarts[vertex]..<graph.rowStarts[vertex + 1] {
                    let neighbor = Int(graph.columns[e])
                    if !visited[neighbor] { visited[neighbor] = true; sequence.append(Int32(neighbor)) }
                }
            }
        }
        let maxWeight = Double(graph.weights.max() ?? 1)
        var cumulative = [Double](repeating: 0, count: n + 1)
        for (position, vertex) in sequence.enumerated() {
            let v = Int(vertex)
            var work = 0.0
            for e in graph.rowStarts[v]..<graph.rowStarts[v + 1] { work += Double(graph.weights[e]) / maxWeight }
            cumulative[position + 1] = cumulative[position] + work
        }
        var bounds = [0]
        for part in 1..<count {
            let target = cumulative[n] * Double(part) / Double(count)
            var cut = bounds.last!
            while cut < n && cumulative[cut] < target { cut += 1 }
            bounds.append(cut)
        }
        bounds.append(n)
        for part in 0..<count {
            var generator = SeededGenerator(seed: seed, stream: [0x0E9B, UInt64(part)])
            // Fisher-Yates, spelled out so that the order never depends on the standard library.
            for i in stride(from: bounds[part + 1] - 1, to: bounds[part], by: -1) {
                sequence.swapAt(i, bounds[part] + generator.nextInt(below: i - bounds[part] + 1))
            }
        }
        order = sequence
        parts = (0..<count).map { bounds[$0]..<bounds[$0 + 1] }
    }

    /// The original number of new vertex `i`.
    @inline(__always)
    public func original(_ i: Int) -> Int { order.isEmpty ? i : Int(order[i]) }

    /// `graph` with its vertices renumbered (rows in the new order, columns translated).
    public func renumbered(_ graph: FuzzyGraph) -> FuzzyGraph {
        if order.isEmpty { return graph }
        var position = [Int32](repeating: 0, count: order.count)
        for (new, old) in order.enumerated() { position[Int(old)] = Int32(new) }
        var starts = [0], columns: [Int32] = [], weights: [Float] = []
        columns.reserveCapacity(graph.entryCount)
        weights.reserveCapacity(graph.entryCount)
        for old in order {
            for e in graph.rowStarts[Int(old)]..<graph.rowStarts[Int(old) + 1] {
                columns.append(position[Int(graph.columns[e])])
                weights.append(graph.weights[e])
            }
            starts.append(columns.count)
        }
        return FuzzyGraph(vertexCount: graph.vertexCount, rowStarts: starts, columns: columns, weights: weights)
    }
}

/// The moves a part owes other parts' vertices in one round, added when the round ends.
struct OwedMoves {
    let stride: Int
    var vertices: [Int32] = []
    var moves: [Float] = []

    init(stride: Int) { self.stride = stride }

    @inline(__always)
    mutating func append(_ vertex: Int, _ move: SIMD4<Float>) {
        vertices.append(Int32(vertex))
        moves.append(move[0]); moves.append(move[1]); moves.append(move[2]); moves.append(move[3])
    }

    @inline(__always)
    mutating func append(_ vertex: Int, _ move: UnsafePointer<Float>) {
        vertices.append(Int32(vertex))
        for c in 0..<stride { moves.append(move[c]) }
    }

    /// Adds the moves to `layout` in the order they were owed, and empties the list.
    mutating func settle(into layout: UnsafeMutablePointer<Float>) {
        for (index, vertex) in vertices.enumerated() {
            let row = layout + Int(vertex) * stride
            for c in 0..<stride { row[c] += moves[index * stride + c] }
        }
        vertices.removeAll(keepingCapacity: true)
        moves.removeAll(keepingCapacity: true)
    }
}

/// umap-learn's `clip`: gradients are limited to [-4, 4] per coordinate.
@inline(__always)
func clip(_ value: Float) -> Float {
    value > 4 ? 4 : (value < -4 ? -4 : value)
}

/// `clip` of each coordinate, as two compare-and-blend instructions: `clamped(lowerBound:
/// upperBound:)` is not inlined and checks every lane for NaN in scalar code, a tenth of the
/// sweep's time. The same values for every finite input.
@inline(__always)
func clip(_ value: SIMD4<Float>) -> SIMD4<Float> {
    let high = SIMD4<Float>(repeating: 4), low = SIMD4<Float>(repeating: -4)
    return value.replacing(with: high, where: value .> high).replacing(with: low, where: value .< low)
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
    let snapshot: UnsafePointer<Float>         // n x stride, the layout as the round began
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

    /// Samples vertex j's due edges, 4-wide (rows padded with zeros); vertices outside `own`
    /// are read from the snapshot and their moves are owed.
    @inline(__always)
    func moveSIMD(_ j: Int, _ own: Range<Int>, _ buffers: EpochBuffers, _ owed: UnsafeMutablePointer<OwedMoves>) {
        let rowPointer = UnsafeMutableRawPointer(buffers.live + j * 4)
        var current = rowPointer.loadUnaligned(as: SIMD4<Float>.self)
        let layout = UnsafeMutableRawPointer(buffers.live)
        let snapshot = UnsafeRawPointer(buffers.snapshot)
        var generator = buffers.streams[j]
        for edge in buffers.starts[j]..<buffers.starts[j + 1] where buffers.next[edge] <= epoch {
            let k = Int(buffers.columns[edge])
            let isOwn = own.contains(k)
            let tail = isOwn ? layout.loadUnaligned(fromByteOffset: k * 16, as: SIMD4<Float>.self)
                : snapshot.loadUnaligned(fromByteOffset: k * 16, as: SIMD4<Float>.self)
            var difference = current - tail
            var squared = (difference * difference).sum()
            if squared > 0 {
                let pull = alpha * clip(attraction(squared, buffers.power) * difference)
                current += pull
                if isOwn {
                    layout.storeBytes(of: tail - pull, toByteOffset: k * 16, as: SIMD4<Float>.self)
                } else {
                    owed.pointee.append(k, -pull)
                }
            }
            buffers.next[edge] += buffers.perSample[edge]
            let negatives = Int((epoch - buffers.nextNegative[edge]) / buffers.perNegative[edge])
            if negatives <= 0 { continue }
            var push = SIMD4<Float>()
            for _ in 0..<negatives {
                let sample = generator.nextInt(below: vertexCount)
                if sample == j { continue }
                let other = own.contains(sample) ? UnsafeRawPointer(layout) : snapshot
                difference = current - other.loadUnaligned(fromByteOffset: sample * 16, as: SIMD4<Float>.self)
                squared = (difference * difference).sum()
                if squared <= 0 { continue }
                push += alpha * clip(repulsion(squared, buffers.power) * difference)
            }
            current += push
            buffers.nextNegative[edge] += Double(negatives) * buffers.perNegative[edge]
        }
        rowPointer.storeBytes(of: current, as: SIMD4<Float>.self)
        buffers.streams[j] = generator
    }

    /// Samples vertex j's due edges, any dimension; vertices outside `own` as in `moveSIMD`.
    @inline(__always)
    func move(_ j: Int, _ own: Range<Int>, _ buffers: EpochBuffers, _ owed: UnsafeMutablePointer<OwedMoves>) {
        let current = buffers.live + j * stride
        var generator = buffers.streams[j]
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * stride) { scratch in
        let pulls = scratch.baseAddress!, pushes = scratch.baseAddress! + stride
        for edge in buffers.starts[j]..<buffers.starts[j + 1] where buffers.next[edge] <= epoch {
            let k = Int(buffers.columns[edge])
            let isOwn = own.contains(k)
            let other = isOwn ? UnsafePointer(buffers.live + k * stride) : buffers.snapshot + k * stride
            var squared: Float = 0
            for c in 0..<dimensions { let t = current[c] - other[c]; squared += t * t }
            if squared > 0 {
                let coefficient = attraction(squared, buffers.power)
                for c in 0..<dimensions { pulls[c] = clip(coefficient * (current[c] - other[c])) * alpha }
                for c in 0..<dimensions { current[c] += pulls[c] }
                if isOwn {
                    let row = buffers.live + k * stride
                    for c in 0..<dimensions { row[c] -= pulls[c] }
                } else {
                    for c in 0..<dimensions { pulls[c] = -pulls[c] }
                    owed.pointee.append(k, UnsafePointer(pulls))
                }
            }
            buffers.next[edge] += buffers.perSample[edge]
            let negatives = Int((epoch - buffers.nextNegative[edge]) / buffers.perNegative[edge])
            if negatives <= 0 { continue }
            for c in 0..<dimensions { pushes[c] = 0 }
            for _ in 0..<negatives {
                let sample = generator.nextInt(below: vertexCount)
                if sample == j { continue }
                let other = own.contains(sample) ? UnsafePointer(buffers.live + sample * stride)
                    : buffers.snapshot + sample * stride
                var squared: Float = 0
                for c in 0..<dimensions { let t = current[c] - other[c]; squared += t * t }
                if squared <= 0 { continue }
                let coefficient = repulsion(squared, buffers.power)
                for c in 0..<dimensions { pushes[c] += clip(coefficient * (current[c] - other[c])) * alpha }
            }
            for c in 0..<dimensions { current[c] += pushes[c] }
            buffers.nextNegative[edge] += Double(negatives) * buffers.perNegative[edge]
        }
        }
        buffers.streams[j] = generator
    }
}
