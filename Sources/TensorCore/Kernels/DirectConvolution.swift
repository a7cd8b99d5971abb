// Direct convolution (Sources/CKernels/DirectConvolution.c) for filters in multiples of 16:
// no unfolded columns and no BLAS, each core convolving its own samples from a zero-bordered
// copy that stays in cache. On the narrow ResNet-18 at batch 256 it runs each 3x3 layer,
// forward and backward, 1.3-2.5x faster than im2col + GEMM on OpenBLAS did
// (`nrcc-bench engine`'s conv figures), and the BYOL step 1.5x faster.
import Basics
import CKernels

extension ConvolutionGeometry {
    /// Whether forward and weight gradient go to the direct kernels: square kernels of 1 or 3,
    /// stride 1 or 2, a padding below the kernel size, filters a multiple of 16, and outputs of
    /// at least 16 positions (4x4). Below that, im2col + GEMM is faster: one product serves
    /// many samples, where the direct kernels' blocks would hold one or two positions (the
    /// 8x8 digits' last layers: their training runs 10-15% faster this way).
    public var usesDirectKernels: Bool {
        kernelHeight == kernelWidth && positions >= 16 && nrcc_direct_convolution_supports(directShape) != 0
    }

    /// Whether the input gradient does too: it needs the input's channels in multiples of 16.
    public var usesDirectInputGradient: Bool {
        usesDirectKernels && nrcc_direct_input_gradient_supports(directShape) != 0
    }

    var directShape: nrcc_convolution_shape {
        nrcc_convolution_shape(channels: channels, height: height, width: width, filters: filters,
                               kernel: kernelHeight, stride: stride, padding: padding,
                               outputHeight: outputHeight, outputWidth: outputWidth)
    }

    /// Samples per call of the weight-gradient kernel: as many as 512 KB holds at the most
    /// scratch any pass needs for one sample (`nrcc_direct_convolution_scratch`), which bounds
    /// the padded inputs and transposed output gradients the kernel reads once per input
    /// channel. The cut does not change a bit of the result: each sum runs over the samples
    /// in order.
    var directSamplesPerChunk: Int {
        max(1, min(batch, (1 << 17) / max(1, nrcc_direct_convolution_scratch(directShape, 1))))
    }
}

/// The batch cut into shards fixed by its size (whatever BLAS's own thread count), which the
/// cores share out: for the weight gradient, a sum over samples (see `Shards`).
private func directShards(_ g: ConvolutionGeometry) -> Shards { Shards(g.batch, cap: g.batch / samplesPerShard) }

/// Runs `body(worker, samples)` over the batch in pieces of 8 samples (a group of the kernels'
/// padded copies at most), each taken by whichever worker comes free next: for the passes that
/// compute every sample on its own (the forward pass, the input gradient), where the cut cannot
/// change a bit of the result. With two halves, or eight shards, one core waited at the end of
/// every layer for the other (held up by other work on a shared host, or just the slower
/// half); with pieces the wait is at most one piece. Each worker has `scratchCount` floats of
/// scratch: the workspace's buffer `firstSlot` + worker.
private func forEachPieceOfSamples(_ g: ConvolutionGeometry, workspace: ConvolutionWorkspace,
                                   scratchCount: Int, firstSlot: Int = 1,
                                   _ body: (_ samples: Range<Int>, _ scratch: UnsafeMutablePointer<Float>) -> Void) {
    let piece = 8, pieces = (g.batch + piece - 1) / piece
    let scratch = (0..<queueWorkers(pieces)).map {
        UncheckedSendable(workspace.buffer(firstSlot + $0, count: scratchCount))
    }
    parallelFor(queueing: pieces) { worker, index in
        body(index * piece..<min(g.batch, index * piece + piece), scratch[worker].value)
    }
}

/// How the direct kernels multiply (`BFloat16Kernel`; Sources/CKernels/DirectConvolution.c).
enum DirectProducts: Int32, Sendable {
    case fp32 = 0
    /// bfloat16 operands, rounded as the kernels copy them, by an exact emulation of
    /// AVX512_BF16's VDPBF16PS.
    case emulatedPairs = 1
    /// The same by VDPBF16PS where the CPU has it (the emulation elsewhere).
    case hardwarePairs = 2
}

/// output [N, F, OH, OW] = conv(input [N, C, H, W], weight [F, C, K, K]); with `takingMoments`,
/// also the output's per-filter sums that batch normalisation's statistics need, which the
/// kernel takes as it writes (`sampleMomentsCombined`). With bfloat16 `products` the kernels
/// round the input and weights themselves.
@discardableResult
func directConvolutionForward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                              weight: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                              workspace: ConvolutionWorkspace, takingMoments: Bool = false,
                              products: DirectProducts = .fp32) -> ChannelMoments? {
    let shape = g.directShape
    // Each sample's shifts and sums [N, 3, F] in buffer 1, written by the piece that owns the
    // sample; the workers' scratch after it.
    let sampleMoments = takingMoments ? workspace.buffer(1, count: 3 * g.batch * g.filters) : nil
    let moments = sampleMoments.map { UncheckedSendable($0) }
    // [F, C, K, K] -> per block of filters [C, K, K, block]: each tap's filters contiguous,
    // one vector per 16 (pairs of channels: [C / 2, K, K, block], as many elements or fewer).
    let packed = workspace.buffer(0, count: g.filters * g.patchSize)
    if products == .fp32 {
        nrcc_direct_convolution_weights(weight, packed, shape)
    } else {
        nrcc_direct_convolution_weight_pairs(weight, packed, shape)
    }
    let weights = UncheckedSendable(UnsafeRawPointer(packed)), destination = UncheckedSendable(output)
    // Pieces own disjoint samples of the output; workers their own scratch.
    forEachPieceOfSamples(g, workspace: workspace, scratchCount: nrcc_direct_convolution_scratch(shape, 1),
                          firstSlot: 2) { samples, scratch in
        nrcc_direct_convolution_products(input + samples.lowerBound * g.channels * g.height * g.width, weights.value,
                                         destination.value + samples.lowerBound * g.filters * g.positions,
                                         samples.count, shape, scratch,
                                         moments.map { $0.value + 3 * samples.lowerBound * g.filters },
                                         products.rawValue)
    }
    return sampleMoments.map { sampleMomentsCombined($0, samples: g.batch, channels: g.filters, area: g.positions) }
}

/// The batch's sums from each sample's, `moments` [N, 3, C]: the first value s_n of the
/// sample's plane and the sums of d = x - s_n and of d^2 over its `area` values (the
/// shifted-data algorithm within a sample, in Float). They are moved to the first sample's
/// shifts, as batch normalisation shifts by each channel's first value, and added up in
/// Double in sample order (the same bits for any number of cores; `shiftedSums`).
func sampleMomentsCombined(_ moments: UnsafePointer<Float>, samples: Int, channels: Int, area: Int) -> ChannelMoments {
    let shifts = Array(UnsafeBufferPointer(start: moments, count: channels))
    var sums = [Double](repeating: 0, count: 2 * channels)
    for sample in 0..<samples {
        let row = moments + 3 * sample * channels
        for channel in 0..<channels {
            let (total, squares) = shiftedSums(Double(row[channels + channel]), Double(row[2 * channels + channel]),
                                               count: area, movedBy: Double(row[channel]) - Double(shifts[channel]))
            sums[channel] += total
            sums[channels + channel] += squares
        }
    }
    return ChannelMoments(shifts: shifts, sums: sums)
}

/// The backward pass of `directConvolutionForward`, with the contract of `conv2dBackward`,
/// for the weight gradient and, when `usesDirectInputGradient`, the input gradient. Returns
/// whether the input gradient is still to do (by im2col).
/// With bfloat16 `products` the kernels round `input`, `outputGradient` and `weight` themselves.
func directConvolutionBackward(inputGradient: GradientDestination?,
                               weightGradient: GradientDestination?,
                               outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                               workspace: ConvolutionWorkspace, products: DirectProducts = .fp32) -> Bool {
    if let weightGradient {
        directWeightGradient(weightGradient, outputGradient: outputGradient, input: input, g,
                             shards: directShards(g), workspace: workspace, products: products)
    }
    guard let inputGradient else { return false }
    guard g.usesDirectInputGradient else { return true }
    let shape = g.directShape
    let regrouped = workspace.buffer(0, count: g.filters * g.patchSize)
    if products == .fp32 {
        nrcc_direct_input_gradient_weights(weight, regrouped, shape)
    } else {
        nrcc_direct_input_gradient_weight_pairs(weight, regrouped, shape)
    }
    let weights = UncheckedSendable(UnsafeRawPointer(regrouped))
    // Pieces own disjoint samples of the input gradient; workers their own scratch.
    forEachPieceOfSamples(g, workspace: workspace, scratchCount: nrcc_direct_convolution_scratch(shape, 1)) {
        samples, scratch in
        nrcc_direct_convolution_input_gradient_products(
            outputGradient + samples.lowerBound * g.filters * g.positions, weights.value,
            inputGradient.pointer + samples.lowerBound * g.channels * g.height * g.width,
            samples.count, shape, inputGradient.accumulates ? 1 : 0, scratch, products.rawValue)
    }
    return false
}

/// dW [F, C, K, K] (+)= sum over samples of the products of dY and the input, each shard
/// summing its samples privately in [C, K, K, F], added up after the join.
private func directWeightGradient(_ weightGradient: GradientDestination, outputGradient: UnsafePointer<Float>,
                                  input: UnsafePointer<Float>, _ g: ConvolutionGeometry, shards: Shards,
                                  workspace: ConvolutionWorkspace, products: DirectProducts) {
    let shape = g.directShape, chunk = g.directSamplesPerChunk
    let taps = g.kernelHeight * g.kernelWidth, count = g.filters * g.channels * taps
    let buffers = (0..<shards.shardCount).map { shard in
        (sum: UncheckedSendable(workspace.buffer(1 + shard, count: count)),
         scratch: UncheckedSendable(workspace.buffer(1 + shards.shardCount + shard,
                                                     count: nrcc_direct_convolution_scratch(shape, chunk))))
    }
    shards.forEach { shard, samples in
        let sum = buffers[shard].sum.value
        sum.initialize(repeating: 0, count: count)
        nrcc_direct_convolution_weight_gradient_products(
            input + samples.lowerBound * g.channels * g.height * g.width,
            outputGradient + samples.lowerBound * g.filters * g.positions,
            sum, samples.count, chunk, shape, buffers[shard].scratch.value, products.rawValue)
    }
    // [C, K, K, F] summed over shards in order -> [F, C, K, K], the filters shared out over the
    // cores (the largest layer's 147,456 weights times 8 shards: on one core, a serial pause
    // the size of a small convolution). Each run of 16 filters reads 64 bytes of every row.
    let sums = buffers.map { $0.sum }, rows = g.channels * taps, filters = g.filters
    parallelChunks((filters + 15) / 16, minimumChunk: max(1, 4096 / max(1, rows))) { blocks in
        for block in blocks {
            for ct in 0..<rows {
                for f in (16 * block)..<min(filters, 16 * block + 16) {
                    var total: Float = 0
                    for shard in sums { total += shard.value[ct * filters + f] }
                    weightGradient.write(f * rows + ct, total)
                }
            }
        }
    }
}
