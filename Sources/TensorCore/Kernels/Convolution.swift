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

    /// Samples per chunk: enough columns for an efficient GEMM, a bounded workspace.
    var samplesPerChunk: Int {
        let targetColumns = 4096, maximumWorkspace = 1 << 22
        let byColumns = (targetColumns + positions - 1) / max(1, positions)
        let byMemory = max(1, maximumWorkspace / max(1, patchSize * positions))
        return max(1, min(batch, min(byColumns, byMemory)))
    }
}

/// Scratch memory reused across calls (and across steps, when a layer owns it): the
/// unfolded columns and the output block of one chunk.
public final class ConvolutionWorkspace {
    private var columns = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var columnsCapacity = 1
    private var block = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var blockCapacity = 1

    public init() {}

    deinit {
        columns.deallocate()
        block.deallocate()
    }

    /// Buffers of at least the sizes asked for (contents undefined).
    func buffers(columns columnsCount: Int, block blockCount: Int)
        -> (columns: UnsafeMutablePointer<Float>, block: UnsafeMutablePointer<Float>)
    {
        if columnsCount > columnsCapacity {
            columns.deallocate()
            columns = .allocate(capacity: columnsCount)
            columnsCapacity = columnsCount
        }
        if blockCount > blockCapacity {
            block.deallocate()
            block = .allocate(capacity: blockCount)
            blockCapacity = blockCount
        }
        return (columns, block)
    }
}

/// Unfolds samples `first..<first+count` of `input` [N, C, H, W] into
/// `columns` [C KH KW, count P] (zeros where the kernel overhangs the padding).
func im2col(columns: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
            first: Int, count: Int, _ g: ConvolutionGeometry) {
    let kernelArea = g.kernelHeight * g.kernelWidth
    let outputHeight = g.outputHeight, outputWidth = g.outputWidth, positions = g.positions
    let rowLength = count * positions
    let shared = UncheckedSendable(columns)
    // Each row (c, kh, kw) of the columns is written by exactly one chunk.
    parallelChunks(g.patchSize, minimumChunk: max(1, 8192 / max(1, rowLength))) { rows in
        for row in rows {
            let channel = row / kernelArea
            let kh = (row % kernelArea) / g.kernelWidth, kw = row % g.kernelWidth
            // Output columns whose input column lies inside the image.
            let lowOW = max(0, (g.padding - kw + g.stride - 1) / g.stride)
            let highOW = min(outputWidth, (g.width + g.padding - kw + g.stride - 1) / g.stride)
            for sample in 0..<count {
                let plane = input + ((first + sample) * g.channels + channel) * g.height * g.width
                let destination = shared.value + row * rowLength + sample * positions
                for oh in 0..<outputHeight {
                    let ih = oh * g.stride - g.padding + kh
                    let out = destination + oh * outputWidth
                    if ih < 0 || ih >= g.height || lowOW >= highOW {
                        out.initialize(repeating: 0, count: outputWidth)
                        continue
                    }
                    let source = plane + ih * g.width - g.padding + kw
                    for ow in 0..<lowOW { out[ow] = 0 }
                    if g.stride == 1 {
                        for ow in lowOW..<highOW { out[ow] = source[ow] }
                    } else {
                        for ow in lowOW..<highOW { out[ow] = source[ow * g.stride] }
                    }
                    for ow in highOW..<outputWidth { out[ow] = 0 }
                }
            }
        }
    }
}

/// Folds `columns` [C KH KW, count P] back, adding into samples `first..<first+count` of
/// `inputGradient` [N, C, H, W] (the adjoint of `im2col`).
func col2im(inputGradient: UnsafeMutablePointer<Float>, columns: UnsafePointer<Float>,
            first: Int, count: Int, _ g: ConvolutionGeometry) {
    let kernelArea = g.kernelHeight * g.kernelWidth
    let outputHeight = g.outputHeight, outputWidth = g.outputWidth, positions = g.positions
    let rowLength = count * positions
    let shared = UncheckedSendable(inputGradient)
    // Each (sample, channel) plane of the gradient is written by exactly one chunk.
    parallelChunks(count * g.channels, minimumChunk: 4) { planes in
        for planeIndex in planes {
            let sample = planeIndex / g.channels, channel = planeIndex % g.channels
            let plane = shared.value + ((first + sample) * g.channels + channel) * g.height * g.width
            for kh in 0..<g.kernelHeight {
                for kw in 0..<g.kernelWidth {
                    let row = channel * kernelArea + kh * g.kernelWidth + kw
                    let lowOW = max(0, (g.padding - kw + g.stride - 1) / g.stride)
                    let highOW = min(outputWidth, (g.width + g.padding - kw + g.stride - 1) / g.stride)
                    if lowOW >= highOW { continue }
                    let source = columns + row * rowLength + sample * positions
                    for oh in 0..<outputHeight {
                        let ih = oh * g.stride - g.padding + kh
                        if ih < 0 || ih >= g.height { continue }
                        let destination = plane + ih * g.width - g.padding + kw
                        let from = source + oh * outputWidth
                        if g.stride == 1 {
                            for ow in lowOW..<highOW { destination[ow] += from[ow] }
                        } else {
                            for ow in lowOW..<highOW { destination[ow * g.stride] += from[ow] }
                        }
                    }
                }
            }
        }
    }
}

/// output [N, F, OH, OW] = conv(input [N, C, H, W], weight [F, C, KH, KW]).
func conv2dForward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                   weight: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                   workspace: ConvolutionWorkspace) {
    let chunk = g.samplesPerChunk, positions = g.positions, patch = g.patchSize
    let buffers = workspace.buffers(columns: patch * chunk * positions, block: g.filters * chunk * positions)
    var first = 0
    while first < g.batch {
        let count = min(chunk, g.batch - first)
        let columnsCount = count * positions
        im2col(columns: buffers.columns, input: input, first: first, count: count, g)
        // block [F, count P] = weight [F, K] x columns [K, count P]
        gemm(m: g.filters, n: columnsCount, k: patch, a: weight, lda: patch,
             b: buffers.columns, ldb: columnsCount, beta: 0, c: buffers.block, ldc: columnsCount)
        scatterBlock(output: output, block: buffers.block, first: first, count: count,
                     filters: g.filters, positions: positions)
        first += count
    }
}

/// The backward pass of `conv2dForward`: adds into `weightGradient` [F, C, KH, KW] and, when
/// given, `inputGradient` [N, C, H, W], from `outputGradient` [N, F, OH, OW].
func conv2dBackward(inputGradient: UnsafeMutablePointer<Float>?,
                    weightGradient: UnsafeMutablePointer<Float>?,
                    outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>,
                    weight: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                    workspace: ConvolutionWorkspace) {
    let chunk = g.samplesPerChunk, positions = g.positions, patch = g.patchSize
    let buffers = workspace.buffers(columns: patch * chunk * positions, block: g.filters * chunk * positions)
    var first = 0
    while first < g.batch {
        let count = min(chunk, g.batch - first)
        let columnsCount = count * positions
        gatherBlock(block: buffers.block, outputGradient: outputGradient, first: first, count: count,
                    filters: g.filters, positions: positions)
        if let weightGradient {
            im2col(columns: buffers.columns, input: input, first: first, count: count, g)
            // dW [F, K] += dBlock [F, count P] x columns^T [count P, K]
            gemm(transposeB: true, m: g.filters, n: patch, k: columnsCount,
                 a: buffers.block, lda: columnsCount, b: buffers.columns, ldb: columnsCount,
                 beta: 1, c: weightGradient, ldc: patch)
        }
        if let inputGradient {
            // dColumns [K, count P] = W^T [K, F] x dBlock [F, count P]
            gemm(transposeA: true, m: patch, n: columnsCount, k: g.filters,
                 a: weight, lda: patch, b: buffers.block, ldb: columnsCount,
                 beta: 0, c: buffers.columns, ldc: columnsCount)
            col2im(inputGradient: inputGradient, columns: buffers.columns, first: first, count: count, g)
        }
        first += count
    }
}

/// block [F, count P] -> output [first..<first+count, F, P].
private func scatterBlock(output: UnsafeMutablePointer<Float>, block: UnsafePointer<Float>,
                          first: Int, count: Int, filters: Int, positions: Int) {
    let shared = UncheckedSendable(output)
    parallelChunks(count * filters, minimumChunk: max(1, 4096 / max(1, positions))) { range in
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
                         first: Int, count: Int, filters: Int, positions: Int) {
    let shared = UncheckedSendable(block)
    parallelChunks(count * filters, minimumChunk: max(1, 4096 / max(1, positions))) { range in
        for index in range {
            let sample = index / filters, filter = index % filters
            let source = outputGradient + ((first + sample) * filters + filter) * positions
            let destination = shared.value + filter * count * positions + sample * positions
            destination.update(from: source, count: positions)
        }
    }
}
