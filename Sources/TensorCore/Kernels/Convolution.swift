// 2-D convolution as im2col + GEMM over chunks of samples, forward and backward side by side,
// and the dispatch between the algorithms: filters in multiples of 16 go to
// DirectConvolution.swift, size-keeping stride-1 convolutions on large planes to
// ShiftedConvolution.swift, the rest stay here.
//
// Shapes: input [N, C, H, W], weight [F, C, KH, KW], output [N, F, OH, OW] with
// OH = (H + 2 padding - KH) / stride + 1 (likewise OW). A chunk of S samples is unfolded into
// columns [K = C KH KW, S P] (P = OH OW; column s P + p is output position p of sample s),
// so one GEMM [F, K] x [K, S P] serves the whole chunk and small late layers (P = 16) still
// give BLAS a wide matrix.
import Basics

/// The geometry of one convolution.
public struct ConvolutionGeometry: Sendable, Equatable {
    public var batch, channels, height, width: Int
    public var filters, kernelHeight, kernelWidth: Int
    public var stride, padding: Int

    public var outputHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    public var outputWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    /// Rows of the unfolded matrix: C KH KW.
    public var patchSize: Int { channels * kernelHeight * kernelWidth }
    /// Output positions per sample: OH OW.
    public var positions: Int { outputHeight * outputWidth }

    public init(batch: Int, channels: Int, height: Int, width: Int,
                filters: Int, kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int) {
        self.batch = batch; self.channels = channels; self.height = height; self.width = width
        self.filters = filters; self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.stride = stride; self.padding = padding
    }

    /// Samples per chunk: enough columns for an efficient GEMM, a bounded workspace. About
    /// 1,024 columns measured best on the narrow ResNet-18 (4,096 made the BYOL step about 7%
    /// slower): the unfolded chunk then stays in cache until the product reads it.
    var samplesPerChunk: Int {
        let targetColumns = 1024, maximumWorkspace = 1 << 22
        let byColumns = (targetColumns + positions - 1) / max(1, positions)
        let byMemory = max(1, maximumWorkspace / max(1, patchSize * positions))
        return max(1, min(batch, min(byColumns, byMemory)))
    }
}

/// Scratch memory reused across calls (and across steps, when a layer owns it), in numbered
/// slots that each algorithm lays out its own way: rearranged weights, and per shard its
/// unfolded columns or bordered copies, output blocks and weight-gradient sums.
public final class ConvolutionWorkspace {
    private var slots: [UnsafeMutablePointer<Float>] = []
    private var capacities: [Int] = []

    public init() {}

    deinit {
        for slot in slots { slot.deallocate() }
    }

    /// Buffer `index` with room for at least `count` floats (contents undefined).
    func buffer(_ index: Int, count: Int) -> UnsafeMutablePointer<Float> {
        while slots.count <= index {
            slots.append(.allocate(capacity: 1))
            capacities.append(1)
        }
        if count > capacities[index] {
            slots[index].deallocate()
            slots[index] = .allocate(capacity: count)
            capacities[index] = count
        }
        return slots[index]
    }
}

/// Where one kernel tap (kh, kw) of a convolution reads its input: the output rows
/// `lowOH..<highOH` and columns `lowOW..<highOW` whose input position lies inside the image
/// (the rest read padding). The same for every sample, so worked out once per tap.
private struct Tap {
    let kh, kw: Int
    let lowOH, highOH, lowOW, highOW: Int

    init(kh: Int, kw: Int, _ g: ConvolutionGeometry) {
        self.kh = kh
        self.kw = kw
        // oh is inside when 0 <= oh stride - padding + kh < height (likewise ow); negative
        // quotients truncate towards zero, which the max with 0 makes harmless.
        lowOH = max(0, (g.padding - kh + g.stride - 1) / g.stride)
        highOH = max(lowOH, min(g.outputHeight, (g.height + g.padding - kh + g.stride - 1) / g.stride))
        lowOW = max(0, (g.padding - kw + g.stride - 1) / g.stride)
        highOW = max(lowOW, min(g.outputWidth, (g.width + g.padding - kw + g.stride - 1) / g.stride))
    }

    /// Whether some output position reads inside the image.
    var isEmpty: Bool { lowOH >= highOH || lowOW >= highOW }

    /// For a stride-1 convolution whose output is as wide as its input: the flat offset from
    /// an output position to the input position it reads, and the output positions
    /// `low..<high` whose input lies inside the plane (edge columns among them read the
    /// neighbouring image row and are corrected by the callers).
    func shiftedRange(_ g: ConvolutionGeometry) -> (shift: Int, low: Int, high: Int) {
        let shift = (kh - g.padding) * g.width + (kw - g.padding)
        return (shift, max(lowOH * g.width, -shift), min(highOH * g.width, g.height * g.width - shift))
    }
}

/// Unfolds samples `first..<first+count` of `input` [N, C, H, W] into
/// `columns` [C KH KW, count P] (zeros where the kernel overhangs the padding).
func im2col(columns: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
            first: Int, count: Int, _ g: ConvolutionGeometry, parallel: Bool = true) {
    let kernelArea = g.kernelHeight * g.kernelWidth
    let rowLength = count * g.positions, planeStride = g.channels * g.height * g.width
    let sameWidth = g.stride == 1 && g.outputWidth == g.width
    let shared = UncheckedSendable(columns)
    // Each row (c, kh, kw) of the columns is written by exactly one chunk.
    parallelChunks(g.patchSize, minimumChunk: parallel ? max(1, 8192 / max(1, rowLength)) : g.patchSize) { rows in
        for row in rows {
            let channel = row / kernelArea
            let tap = Tap(kh: (row % kernelArea) / g.kernelWidth, kw: row % g.kernelWidth, g)
            let destination = shared.value + row * rowLength
            let planes = input + (first * g.channels + channel) * g.height * g.width
            if tap.isEmpty {
                destination.initialize(repeating: 0, count: rowLength)
            } else if sameWidth {
                unfoldShifted(destination, planes, count: count, planeStride: planeStride, tap, g)
            } else {
                unfoldStrided(destination, planes, count: count, planeStride: planeStride, tap, g)
            }
        }
    }
}

/// One row of `im2col` for every sample, for a stride-1 convolution whose output is as wide
/// as its input (the 3x3, padding 1 convolutions of ResNet): the row is the input plane
/// shifted by (kh - padding) rows and (kw - padding) columns, so one block copy fills it and
/// only the overhanging rows and edge columns are then set to zero.
@inline(never)
private func unfoldShifted(_ destination: UnsafeMutablePointer<Float>, _ planes: UnsafePointer<Float>,
                           count: Int, planeStride: Int, _ tap: Tap, _ g: ConvolutionGeometry) {
    let width = g.width, positions = g.positions
    let (shift, low, high) = tap.shiftedRange(g)
    let fixesColumns = tap.lowOW > 0 || tap.highOW < width
    for sample in 0..<count {
        let out = destination + sample * positions, plane = planes + sample * planeStride
        if low < high { (out + low).update(from: plane + low + shift, count: high - low) }
        zeroEdge(out, count: tap.lowOH * width)
        zeroEdge(out + tap.highOH * width, count: (g.outputHeight - tap.highOH) * width)
        if fixesColumns {
            for oh in tap.lowOH..<tap.highOH {
                zeroEdge(out + oh * width, count: tap.lowOW)
                zeroEdge(out + oh * width + tap.highOW, count: width - tap.highOW)
            }
        }
    }
}

/// One row of `im2col` for every sample, any stride and padding: image row by image row.
@inline(never)
private func unfoldStrided(_ destination: UnsafeMutablePointer<Float>, _ planes: UnsafePointer<Float>,
                           count: Int, planeStride: Int, _ tap: Tap, _ g: ConvolutionGeometry) {
    let outputWidth = g.outputWidth, positions = g.positions, stride = g.stride
    for oh in 0..<g.outputHeight {
        let inside = oh >= tap.lowOH && oh < tap.highOH
        let sourceOffset = (oh * stride - g.padding + tap.kh) * g.width - g.padding + tap.kw
        for sample in 0..<count {
            let out = destination + sample * positions + oh * outputWidth
            if !inside {
                out.initialize(repeating: 0, count: outputWidth)
                continue
            }
            let source = planes + sample * planeStride + sourceOffset
            zeroEdge(out, count: tap.lowOW)
            // Unchecked index arithmetic: the tap's bounds keep it in the plane, and overflow
            // checks would keep these loops from vectorising.
            if stride == 1 {
                for ow in tap.lowOW..<tap.highOW { out[ow] = source[ow] }
            } else if stride == 2 {
                for ow in tap.lowOW..<tap.highOW { out[ow] = source[ow &<< 1] }
            } else {
                for ow in tap.lowOW..<tap.highOW { out[ow] = source[ow &* stride] }
            }
            zeroEdge(out + tap.highOW, count: outputWidth - tap.highOW)
        }
    }
}

/// Sets `count` floats (often none or one: the padding edge of a row) to zero. Stores them
/// directly: the compiler would turn a loop into a call to `memset` per row.
@inline(__always)
private func zeroEdge(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
    switch count {
    case ..<1: return
    case 1: pointer[0] = 0
    case 2: pointer[0] = 0; pointer[1] = 0
    default: pointer.initialize(repeating: 0, count: count)
    }
}

/// Folds `columns` [C KH KW, count P] back into samples `first..<first+count` of
/// `inputGradient` [N, C, H, W] (the adjoint of `im2col`), adding or, for a fresh gradient,
/// assigning. `columns` is scratch: entries that fall in the padding may be overwritten.
func col2im(inputGradient: GradientDestination, columns: UnsafeMutablePointer<Float>,
            first: Int, count: Int, _ g: ConvolutionGeometry, parallel: Bool = true) {
    let kernelArea = g.kernelHeight * g.kernelWidth
    let rowLength = count * g.positions, area = g.height * g.width, planeStride = g.channels * area
    let shared = UncheckedSendable(columns)
    let sameWidth = g.stride == 1 && g.outputWidth == g.width
    // When the output has the input's shape, the centre tap's row is the plane itself
    // (shift 0, no padding): a fresh gradient starts as a copy of it instead of zeros.
    let copiesCentre = !inputGradient.accumulates && sameWidth && g.outputHeight == g.height
    // Each channel's planes of the gradient, and the rows of the columns that map onto
    // them, belong to exactly one chunk.
    parallelChunks(g.channels, minimumChunk: parallel ? 1 : g.channels) { channels in
        for channel in channels {
            let planes = inputGradient.pointer + (first * g.channels + channel) * area
            let centre = channel * kernelArea + g.padding * g.kernelWidth + g.padding
            for sample in 0..<count {
                let plane = planes + sample * planeStride
                if copiesCentre {
                    plane.update(from: shared.value + centre * rowLength + sample * g.positions, count: area)
                } else if !inputGradient.accumulates {
                    plane.initialize(repeating: 0, count: area)
                }
            }
            for row in (channel * kernelArea)..<((channel + 1) * kernelArea) {
                if copiesCentre && row == centre { continue }
                let tap = Tap(kh: (row % kernelArea) / g.kernelWidth, kw: row % g.kernelWidth, g)
                if tap.isEmpty { continue }
                let source = shared.value + row * rowLength
                if sameWidth {
                    foldShifted(planes, source, count: count, planeStride: planeStride, tap, g)
                } else {
                    foldStrided(planes, source, count: count, planeStride: planeStride, tap, g)
                }
            }
        }
    }
}

/// The adjoint of `unfoldShifted`: adds one row of the columns into every sample's plane,
/// shifted back, as one block per sample. Entries that lie in the padding columns are
/// zeroed first, since the block would otherwise carry them into the neighbouring image row.
@inline(never)
private func foldShifted(_ planes: UnsafeMutablePointer<Float>, _ source: UnsafeMutablePointer<Float>,
                         count: Int, planeStride: Int, _ tap: Tap, _ g: ConvolutionGeometry) {
    let width = g.width, positions = g.positions
    let (shift, low, high) = tap.shiftedRange(g)
    let fixesColumns = tap.lowOW > 0 || tap.highOW < width
    for sample in 0..<count {
        let from = source + sample * positions
        if fixesColumns {
            for oh in tap.lowOH..<tap.highOH {
                zeroEdge(from + oh * width, count: tap.lowOW)
                zeroEdge(from + oh * width + tap.highOW, count: width - tap.highOW)
            }
        }
        // plane[d + shift] += from[d] for d in low..<high.
        let destination = planes + sample * planeStride + shift
        var d = low
        while d + 8 <= high {
            storeLanes(loadLanes(destination + d) + loadLanes(from + d), destination + d)
            d += 8
        }
        while d < high { destination[d] += from[d]; d += 1 }
    }
}

/// The adjoint of `unfoldStrided`: image row by image row.
@inline(never)
private func foldStrided(_ planes: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>,
                         count: Int, planeStride: Int, _ tap: Tap, _ g: ConvolutionGeometry) {
    let outputWidth = g.outputWidth, positions = g.positions, stride = g.stride
    for oh in tap.lowOH..<tap.highOH {
        let destinationOffset = (oh * stride - g.padding + tap.kh) * g.width - g.padding + tap.kw
        for sample in 0..<count {
            let destination = planes + sample * planeStride + destinationOffset
            let from = source + sample * positions + oh * outputWidth
            if stride == 1 {
                for ow in tap.lowOW..<tap.highOW { destination[ow] += from[ow] }
            } else if stride == 2 {
                for ow in tap.lowOW..<tap.highOW { destination[ow &<< 1] += from[ow] }
            } else {
                for ow in tap.lowOW..<tap.highOW { destination[ow &* stride] += from[ow] }
            }
        }
    }
}

/// How a convolution spreads over the cores. With multi-threaded BLAS, chunks run one after
/// another and each GEMM uses every core. With single-threaded BLAS (what `nrcc` runs), the
/// batch is cut into `Shards` fixed by the batch size alone; each shard runs its own chunks
/// (unfold, GEMM, fold) with its own buffers, the cores take shards without synchronising,
/// and a weight gradient is the sum of the shards' partials in shard order: the same bits on
/// any number of cores.
func convolutionShards(_ g: ConvolutionGeometry) -> Shards {
    Shards(g.batch, cap: BLASThreads.count == 1 ? g.batch / samplesPerShard : 1)
}

/// The fewest samples a convolution shard holds: smaller shards cost more in per-call set-up
/// (taps, GEMM packing) than they gain in balance (8 samples made a digits step 14% slower).
let samplesPerShard = 16

/// Runs `body(first, count)` over `samples` in chunks of at most `chunk` samples.
func forEachChunk(_ samples: Range<Int>, chunk: Int, _ body: (_ first: Int, _ count: Int) -> Void) {
    var first = samples.lowerBound
    while first < samples.upperBound {
        let count = min(chunk, samples.upperBound - first)
        body(first, count)
        first += count
    }
}

/// output [N, F, OH, OW] = conv(input [N, C, H, W], weight [F, C, KH, KW]). With
/// `takingMoments`, the output's per-filter sums for batch normalisation where the direct
/// kernels take them as they write (`directConvolutionForward`); nil where the algorithm does not.
@discardableResult
func conv2dForward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                   weight: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                   workspace: ConvolutionWorkspace, takingMoments: Bool = false,
                   products: DirectProducts = .fp32) -> ChannelMoments? {
    if g.usesDirectKernels {
        return directConvolutionForward(output: output, input: input, weight: weight, g, workspace: workspace,
                                        takingMoments: takingMoments, products: products)
    }
    if g.usesShiftedProducts {
        shiftedConvolutionForward(output: output, input: input, weight: weight, g, workspace: workspace)
        return nil
    }
    let chunk = g.samplesPerChunk, positions = g.positions, patch = g.patchSize
    let shards = convolutionShards(g)
    let buffers = (0..<shards.shardCount).map { shard in
        (columns: UncheckedSendable(workspace.buffer(3 * shard, count: patch * chunk * positions)),
         block: UncheckedSendable(workspace.buffer(3 * shard + 1, count: g.filters * chunk * positions)))
    }
    let sharedOutput = UncheckedSendable(output)
    // Shards own disjoint samples of the output and their own buffers.
    shards.forEach { shard, samples in
        let columns = buffers[shard].columns.value, block = buffers[shard].block.value
        forEachChunk(samples, chunk: chunk) { first, count in
            let columnsCount = count * positions
            im2col(columns: columns, input: input, first: first, count: count, g, parallel: shards.shardCount == 1)
            // block [F, count P] = weight [F, K] x columns [K, count P]
            gemm(m: g.filters, n: columnsCount, k: patch, a: weight, lda: patch,
                 b: columns, ldb: columnsCount, beta: 0, c: block, ldc: columnsCount)
            scatterBlock(output: sharedOutput.value, block: block, first: first, count: count,
                         filters: g.filters, positions: positions, parallel: shards.shardCount == 1)
        }
    }
    return nil
}

/// The backward pass of `conv2dForward`: writes, each by its rule (add, or assign when
/// fresh), `weightGradient` [F, C, KH, KW] and `inputGradient` [N, C, H, W] when given,
/// from `outputGradient` [N, F, OH, OW].
func conv2dBackward(inputGradient: GradientDestination?,
                    weightGradient: GradientDestination?,
                    outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>,
                    weight: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                    workspace: ConvolutionWorkspace, products: DirectProducts = .fp32) {
    if g.usesDirectKernels {
        let inputGradientLeft = directConvolutionBackward(
            inputGradient: inputGradient, weightGradient: weightGradient, outputGradient: outputGradient,
            input: input, weight: weight, g, workspace: workspace, products: products)
        if inputGradientLeft {
            unfoldedConvolutionBackward(inputGradient: inputGradient, weightGradient: nil,
                                        outputGradient: outputGradient, input: input, weight: weight, g,
                                        workspace: workspace)
        }
    } else if g.usesShiftedProducts {
        shiftedConvolutionBackward(inputGradient: inputGradient, weightGradient: weightGradient,
                                   outputGradient: outputGradient, input: input, weight: weight, g,
                                   workspace: workspace)
    } else {
        unfoldedConvolutionBackward(inputGradient: inputGradient, weightGradient: weightGradient,
                                    outputGradient: outputGradient, input: input, weight: weight, g,
                                    workspace: workspace)
    }
}

/// `conv2dBackward` by im2col + GEMM.
private func unfoldedConvolutionBackward(inputGradient: GradientDestination?,
                                         weightGradient: GradientDestination?,
                                         outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>,
                                         weight: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                                         workspace: ConvolutionWorkspace) {
    let chunk = g.samplesPerChunk, positions = g.positions, patch = g.patchSize
    let shards = convolutionShards(g)
    let weightCount = g.filters * patch
    let buffers = (0..<shards.shardCount).map { shard in
        (columns: UncheckedSendable(workspace.buffer(3 * shard, count: patch * chunk * positions)),
         block: UncheckedSendable(workspace.buffer(3 * shard + 1, count: g.filters * chunk * positions)),
         weight: UncheckedSendable(workspace.buffer(3 * shard + 2, count: weightCount)))
    }
    // Shards own disjoint samples of the input gradient; each sums its weight gradient
    // privately (shard 0 directly into the result), added up in shard order after the join.
    // The first product into a private sum, or into a fresh result, assigns (beta 0).
    shards.forEach { shard, samples in
        let columns = buffers[shard].columns.value, block = buffers[shard].block.value
        let weightSum = weightGradient.map { shard == 0 ? $0.pointer : buffers[shard].weight.value }
        var weightBeta: Float = shard == 0 ? weightGradient?.beta ?? 0 : 0
        forEachChunk(samples, chunk: chunk) { first, count in
            let columnsCount = count * positions
            gatherBlock(block: block, outputGradient: outputGradient, first: first, count: count,
                        filters: g.filters, positions: positions, parallel: shards.shardCount == 1)
            if let weightSum {
                im2col(columns: columns, input: input, first: first, count: count, g, parallel: shards.shardCount == 1)
                // dW [F, K] += dBlock [F, count P] x columns^T [count P, K]
                gemm(transposeB: true, m: g.filters, n: patch, k: columnsCount,
                     a: block, lda: columnsCount, b: columns, ldb: columnsCount,
                     beta: weightBeta, c: weightSum, ldc: patch)
                weightBeta = 1
            }
            if let inputGradient {
                // dColumns [K, count P] = W^T [K, F] x dBlock [F, count P]
                gemm(transposeA: true, m: patch, n: columnsCount, k: g.filters,
                     a: weight, lda: patch, b: block, ldb: columnsCount,
                     beta: 0, c: columns, ldc: columnsCount)
                col2im(inputGradient: inputGradient, columns: columns, first: first, count: count, g,
                       parallel: shards.shardCount == 1)
            }
        }
    }
    if let weightGradient {
        for shard in 1..<max(1, shards.shardCount) {
            let partial = buffers[shard].weight.value
            for i in 0..<weightCount { weightGradient.pointer[i] += partial[i] }
        }
    }
}

/// block [F, count P] -> output [first..<first+count, F, P].
private func scatterBlock(output: UnsafeMutablePointer<Float>, block: UnsafePointer<Float>,
                          first: Int, count: Int, filters: Int, positions: Int, parallel: Bool) {
    let shared = UncheckedSendable(output)
    parallelChunks(count * filters, minimumChunk: parallel ? max(1, 4096 / max(1, positions)) : count * filters) { range in
        for index in range {
            let sample = index / filters, filter = index % filters
            let destination = shared.value + ((first + sample) * filters + filter) * positions
            let source = block + filter * count * positions + sample * positions
            destination.update(from: source, count: positions)
        }
    }
}

/// outputGradient [first..<first+count, F, P] -> block [F, count P].
private func gatherBlock(block: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>,
                         first: Int, count: Int, filters: Int, positions: Int, parallel: Bool) {
    let shared = UncheckedSendable(block)
    parallelChunks(count * filters, minimumChunk: parallel ? max(1, 4096 / max(1, positions)) : count * filters) { range in
        for index in range {
            let sample = index / filters, filter = index % filters
            let source = outputGradient + ((first + sample) * filters + filter) * positions
            let destination = shared.value + filter * count * positions + sample * positions
            destination.update(from: source, count: positions)
        }
    }
}
