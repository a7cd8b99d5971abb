// 2-D convolution as im2col + GEMM over chunks of samples, forward and backward side by side.
//
// Shapes: input [N, C, H, W], weight [F, C, KH, KW], output [N, F, OH, OW] with
// OH = (H + 2 padding - KH) / stride + 1 (likewise OW). A chunk of S samples is unfolded into
// columns [K = C KH KW, S P] (P = OH OW; column s P + p is output position p of sample s),
// so one GEMM [F, K] x [K, S P] serves the whole chunk and small late layers (P = 16) still
// give BLAS a wide matrix.

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

/// Scratch memory reused across calls (and across steps, when a layer owns it): per worker,
/// the unfolded columns and the output block of one chunk, plus a weight-gradient buffer.
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

/// Unfolds samples `first..<first+count` of `input` [N, C, H, W] into
/// `columns` [C KH KW, count P] (zeros where the kernel overhangs the padding).
func im2col(columns: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
            first: Int, count: Int, _ g: ConvolutionGeometry, parallel: Bool = true) {
    let kernelArea = g.kernelHeight * g.kernelWidth
    let outputHeight = g.outputHeight, outputWidth = g.outputWidth, positions = g.positions
    let rowLength = count * positions
    let shared = UncheckedSendable(columns)
    // Each row (c, kh, kw) of the columns is written by exactly one chunk.
    parallelChunks(g.patchSize, minimumChunk: parallel ? max(1, 8192 / max(1, rowLength)) : g.patchSize) { rows in
        for row in rows {
            let channel = row / kernelArea
            let kh = (row % kernelArea) / g.kernelWidth, kw = row % g.kernelWidth
            // Output columns whose input column lies inside the image.
            let lowOW = max(0, (g.padding - kw + g.stride - 1) / g.stride)
            let highOW = min(outputWidth, (g.width + g.padding - kw + g.stride - 1) / g.stride)
            for sample in 0..<count {
                let plane = input + ((first + sample) * g.channels + channel) * g.height * g.width
                let destination = shared.value + row * rowLength + sample * positions
                if g.stride == 1 && outputWidth == g.width {
                    sameWidthRow(destination, plane, kh: kh, kw: kw, lowOW: lowOW, highOW: highOW, g)
                    continue
                }
                for oh in 0..<outputHeight {
                    let ih = oh * g.stride - g.padding + kh
                    let out = destination + oh * outputWidth
                    if ih < 0 || ih >= g.height || lowOW >= highOW {
                        out.initialize(repeating: 0, count: outputWidth)
                        continue
                    }
                    let source = plane + ih * g.width - g.padding + kw
                    zeroEdge(out, count: lowOW)
                    // Unchecked index arithmetic: the bounds above keep it in the plane, and
                    // overflow checks would keep these loops from vectorising.
                    if g.stride == 1 {
                        for ow in lowOW..<highOW { out[ow] = source[ow] }
                    } else if g.stride == 2 {
                        for ow in lowOW..<highOW { out[ow] = source[ow &<< 1] }
                    } else {
                        for ow in lowOW..<highOW { out[ow] = source[ow &* g.stride] }
                    }
                    zeroEdge(out + highOW, count: outputWidth - highOW)
                }
            }
        }
    }
}

/// One row of `im2col` for a stride-1 convolution whose output is as wide as its input (the
/// 3x3, padding 1 convolutions of ResNet): the row is the input plane shifted by
/// (kh - padding) rows and (kw - padding) columns, so one block copy fills it and only the
/// overhanging rows and edge columns are then set to zero.
@inline(__always)
private func sameWidthRow(_ destination: UnsafeMutablePointer<Float>, _ plane: UnsafePointer<Float>,
                          kh: Int, kw: Int, lowOW: Int, highOW: Int, _ g: ConvolutionGeometry) {
    let width = g.width, outputHeight = g.outputHeight, area = g.height * g.width
    // Output rows whose input row lies inside the image.
    let lowOH = max(0, g.padding - kh), highOH = min(outputHeight, g.height + g.padding - kh)
    if lowOH >= highOH {
        destination.initialize(repeating: 0, count: outputHeight * width)
        return
    }
    // destination[d] = plane[d + shift], clipped to the plane so nothing outside it is read.
    let shift = (kh - g.padding) * width + (kw - g.padding)
    let low = max(lowOH * width, -shift), high = min(highOH * width, area - shift)
    if low < high { (destination + low).update(from: plane + low + shift, count: high - low) }
    zeroEdge(destination, count: lowOH * width)
    zeroEdge(destination + highOH * width, count: (outputHeight - highOH) * width)
    if lowOW > 0 || highOW < width {
        for oh in lowOH..<highOH {
            let out = destination + oh * width
            zeroEdge(out, count: min(lowOW, width))
            zeroEdge(out + max(0, highOW), count: width - max(0, highOW))
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
    let outputHeight = g.outputHeight, outputWidth = g.outputWidth, positions = g.positions
    let rowLength = count * positions, area = g.height * g.width
    let shared = UncheckedSendable(columns)
    let sameWidth = g.stride == 1 && outputWidth == g.width
    // When the output has the input's shape, the centre tap's row is the plane itself
    // (shift 0, no padding): a fresh gradient starts as a copy of it instead of zeros.
    let copiesCentre = !inputGradient.accumulates && sameWidth && outputHeight == g.height
    // Each (sample, channel) plane of the gradient, and the part of the columns that maps
    // onto it, belongs to exactly one chunk.
    parallelChunks(count * g.channels, minimumChunk: parallel ? 4 : count * g.channels) { planes in
        for planeIndex in planes {
            let sample = planeIndex / g.channels, channel = planeIndex % g.channels
            let plane = inputGradient.pointer + ((first + sample) * g.channels + channel) * area
            let centre = channel * kernelArea + g.padding * g.kernelWidth + g.padding
            if copiesCentre {
                plane.update(from: shared.value + centre * rowLength + sample * positions, count: area)
            } else if !inputGradient.accumulates {
                plane.initialize(repeating: 0, count: area)
            }
            for kh in 0..<g.kernelHeight {
                for kw in 0..<g.kernelWidth {
                    let row = channel * kernelArea + kh * g.kernelWidth + kw
                    if copiesCentre && row == centre { continue }
                    let lowOW = max(0, (g.padding - kw + g.stride - 1) / g.stride)
                    let highOW = min(outputWidth, (g.width + g.padding - kw + g.stride - 1) / g.stride)
                    if lowOW >= highOW { continue }
                    let source = shared.value + row * rowLength + sample * positions
                    if sameWidth {
                        sameWidthRowAdjoint(plane, source, kh: kh, kw: kw, lowOW: lowOW, highOW: highOW, g)
                        continue
                    }
                    for oh in 0..<outputHeight {
                        let ih = oh * g.stride - g.padding + kh
                        if ih < 0 || ih >= g.height { continue }
                        let destination = plane + ih * g.width - g.padding + kw
                        let from = source + oh * outputWidth
                        if g.stride == 1 {
                            for ow in lowOW..<highOW { destination[ow] += from[ow] }
                        } else if g.stride == 2 {
                            for ow in lowOW..<highOW { destination[ow &<< 1] += from[ow] }
                        } else {
                            for ow in lowOW..<highOW { destination[ow &* g.stride] += from[ow] }
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of `sameWidthRow`: adds one row of the columns into the plane shifted back
/// by (kh - padding) rows and (kw - padding) columns, as one block. Entries that lie in the
/// padding columns are zeroed first, since the block would otherwise carry them into the
/// neighbouring image row.
@inline(__always)
private func sameWidthRowAdjoint(_ plane: UnsafeMutablePointer<Float>, _ source: UnsafeMutablePointer<Float>,
                                 kh: Int, kw: Int, lowOW: Int, highOW: Int, _ g: ConvolutionGeometry) {
    let width = g.width, area = g.height * g.width
    let lowOH = max(0, g.padding - kh), highOH = min(g.outputHeight, g.height + g.padding - kh)
    if lowOH >= highOH { return }
    if lowOW > 0 || highOW < width {
        for oh in lowOH..<highOH {
            let row = source + oh * width
            zeroEdge(row, count: min(lowOW, width))
            zeroEdge(row + max(0, highOW), count: width - max(0, highOW))
        }
    }
    // plane[d + shift] += source[d], clipped to the plane.
    let shift = (kh - g.padding) * width + (kw - g.padding)
    let low = max(lowOH * width, -shift), high = min(highOH * width, area - shift)
    let destination = plane + shift
    var d = low
    while d + 8 <= high {
        storeLanes(loadLanes(destination + d) + loadLanes(source + d), destination + d)
        d += 8
    }
    while d < high { destination[d] += source[d]; d += 1 }
}

/// How a convolution spreads over the cores. With multi-threaded BLAS, chunks run one after
/// another and each GEMM uses every core. With single-threaded BLAS, each core takes a
/// contiguous share of the samples and runs its own chunks (unfold, GEMM, fold) without
/// synchronising with the others, which suits the small matrices of narrow networks.
func convolutionWorkers(_ g: ConvolutionGeometry) -> Int {
    BLASThreads.count == 1 ? max(1, min(processorCount, g.batch)) : 1
}

/// Runs `body(worker, samples)` for each worker's contiguous share of the batch.
private func forEachWorker(_ workers: Int, _ g: ConvolutionGeometry, _ body: (Int, Range<Int>) -> Void) {
    if workers == 1 { body(0, 0..<g.batch); return }
    parallelFor(workers) { worker in
        body(worker, (g.batch * worker / workers)..<(g.batch * (worker + 1) / workers))
    }
}

/// output [N, F, OH, OW] = conv(input [N, C, H, W], weight [F, C, KH, KW]).
func conv2dForward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                   weight: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                   workspace: ConvolutionWorkspace) {
    let chunk = g.samplesPerChunk, positions = g.positions, patch = g.patchSize
    let workers = convolutionWorkers(g)
    let buffers = (0..<workers).map { worker in
        (columns: UncheckedSendable(workspace.buffer(3 * worker, count: patch * chunk * positions)),
         block: UncheckedSendable(workspace.buffer(3 * worker + 1, count: g.filters * chunk * positions)))
    }
    let sharedOutput = UncheckedSendable(output)
    // Workers own disjoint samples of the output and their own buffers.
    forEachWorker(workers, g) { worker, samples in
        let columns = buffers[worker].columns.value, block = buffers[worker].block.value
        var first = samples.lowerBound
        while first < samples.upperBound {
            let count = min(chunk, samples.upperBound - first)
            let columnsCount = count * positions
            im2col(columns: columns, input: input, first: first, count: count, g, parallel: workers == 1)
            // block [F, count P] = weight [F, K] x columns [K, count P]
            gemm(m: g.filters, n: columnsCount, k: patch, a: weight, lda: patch,
                 b: columns, ldb: columnsCount, beta: 0, c: block, ldc: columnsCount)
            scatterBlock(output: sharedOutput.value, block: block, first: first, count: count,
                         filters: g.filters, positions: positions, parallel: workers == 1)
            first += count
        }
    }
}

/// The backward pass of `conv2dForward`: writes, each by its rule (add, or assign when
/// fresh), `weightGradient` [F, C, KH, KW] and `inputGradient` [N, C, H, W] when given,
/// from `outputGradient` [N, F, OH, OW].
func conv2dBackward(inputGradient: GradientDestination?,
                    weightGradient: GradientDestination?,
                    outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>,
                    weight: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                    workspace: ConvolutionWorkspace) {
    let chunk = g.samplesPerChunk, positions = g.positions, patch = g.patchSize
    let workers = convolutionWorkers(g)
    let weightCount = g.filters * patch
    let buffers = (0..<workers).map { worker in
        (columns: UncheckedSendable(workspace.buffer(3 * worker, count: patch * chunk * positions)),
         block: UncheckedSendable(workspace.buffer(3 * worker + 1, count: g.filters * chunk * positions)),
         weight: UncheckedSendable(workspace.buffer(3 * worker + 2, count: weightCount)))
    }
    // Workers own disjoint samples of the input gradient; each sums its weight gradient
    // privately (worker 0 directly into the result), added up after the join. The first
    // product into a private sum, or into a fresh result, assigns (beta 0).
    forEachWorker(workers, g) { worker, samples in
        let columns = buffers[worker].columns.value, block = buffers[worker].block.value
        let weightSum = weightGradient.map { worker == 0 ? $0.pointer : buffers[worker].weight.value }
        var weightBeta: Float = worker == 0 && weightGradient?.accumulates == true ? 1 : 0
        var first = samples.lowerBound
        while first < samples.upperBound {
            let count = min(chunk, samples.upperBound - first)
            let columnsCount = count * positions
            gatherBlock(block: block, outputGradient: outputGradient, first: first, count: count,
                        filters: g.filters, positions: positions, parallel: workers == 1)
            if let weightSum {
                im2col(columns: columns, input: input, first: first, count: count, g, parallel: workers == 1)
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
                       parallel: workers == 1)
            }
            first += count
        }
    }
    if let weightGradient {
        for worker in 1..<max(1, workers) {
            let partial = buffers[worker].weight.value
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
