// Stride-1 convolutions that keep the image size (3x3 with padding 1, 5x5 with padding 2)
// without im2col. A chunk of S samples is copied once into a zero-bordered layout
// `padded` [C, S HpWp] (Hp = H + 2 padding, Wp = W + 2 padding); kernel tap (kh, kw) then
// reads every output position's input at one fixed offset in it,
//
//     shift = (kh - padding) Wp + (kw - padding),
//
// so each tap is one GEMM over the chunk, [F, C] x padded[:, j + shift], and the output is
// their sum. Positions j that fall on the border produce values nobody reads. The backward
// pass is the same products transposed: dW_tap = dY x padded[:, j + shift]^T, and
// dPadded[:, j + shift] += W_tap^T dY, with dY zero on the border. Compared with im2col, the
// input is copied once instead of KH KW times and nothing is folded back.
import Basics

extension ConvolutionGeometry {
    /// Whether `conv2d` uses the shifted products (otherwise im2col): stride 1, a square odd
    /// kernel of at least 3, the padding that keeps the image size, and a plane large enough
    /// that its border adds at most a fifth to the columns (22x22 and up with a 3x3 kernel).
    /// On the narrow ResNet-18 the 28x28 convolutions run about 20% faster this way and the
    /// BYOL step about 8%; at 14x14 the border's 31% extra columns cost more than im2col.
    public var usesShiftedProducts: Bool {
        stride == 1 && kernelHeight == kernelWidth && kernelHeight >= 3 && kernelHeight % 2 == 1
            && 2 * padding + 1 == kernelHeight && 5 * paddedArea <= 6 * positions
    }

    /// Samples per chunk of the shifted products: about 1,024 columns, as for im2col.
    var shiftedSamplesPerChunk: Int {
        max(1, min(batch, (1024 + paddedArea - 1) / paddedArea))
    }

    /// Columns per sample of the zero-bordered layout: (H + 2 padding)(W + 2 padding).
    var paddedArea: Int { (height + 2 * padding) * (width + 2 * padding) }

    /// The largest offset of a tap from the centre, in the padded layout: the columns at
    /// either end of a chunk that no output position needs.
    var paddedMargin: Int { padding * (width + 2 * padding) + padding }

    /// The offset of tap `tap` (kh KW + kw) in the padded layout.
    func paddedShift(_ tap: Int) -> Int {
        (tap / kernelWidth - padding) * (width + 2 * padding) + (tap % kernelWidth - padding)
    }
}

/// The weights tap by tap, [KH KW, F, C], so each tap's [F, C] matrix is contiguous.
private func weightsByTap(_ destination: UnsafeMutablePointer<Float>, _ weight: UnsafePointer<Float>,
                          _ g: ConvolutionGeometry) {
    let taps = g.kernelHeight * g.kernelWidth, pairs = g.filters * g.channels
    for pair in 0..<pairs {
        for tap in 0..<taps { destination[tap * pairs + pair] = weight[pair * taps + tap] }
    }
}

/// Copies samples `first..<first+count` of `planes` [N, C, H, W] (C = `channels`: the
/// input's, or the filters' for an output gradient) into `padded` [C, count HpWp] with zero
/// borders.
private func pad(_ padded: UnsafeMutablePointer<Float>, from planes: UnsafePointer<Float>,
                 first: Int, count: Int, channels: Int, _ g: ConvolutionGeometry) {
    let paddedWidth = g.width + 2 * g.padding, area = g.height * g.width
    let rowLength = count * g.paddedArea
    for channel in 0..<channels {
        let row = padded + channel * rowLength
        for sample in 0..<count {
            let destination = row + sample * g.paddedArea
            let source = planes + ((first + sample) * channels + channel) * area
            destination.initialize(repeating: 0, count: g.padding * paddedWidth + g.padding)
            for h in 0..<g.height {
                let line = destination + (h + g.padding) * paddedWidth + g.padding
                line.update(from: source + h * g.width, count: g.width)
                // The right border of this line and the left border of the next, together.
                let gap = h + 1 < g.height ? 2 * g.padding : g.padding
                (line + g.width).initialize(repeating: 0, count: gap)
            }
            destination.advanced(by: (g.height + g.padding) * paddedWidth)
                .initialize(repeating: 0, count: g.padding * paddedWidth)
        }
    }
}

/// Copies the interior of `padded` [F or C, count HpWp] into samples `first..<first+count`
/// of `planes` [N, F or C, H, W] by the destination's rule.
private func unpad(_ planes: GradientDestination, from padded: UnsafePointer<Float>,
                   first: Int, count: Int, channels: Int, _ g: ConvolutionGeometry) {
    let paddedWidth = g.width + 2 * g.padding, area = g.height * g.width
    let rowLength = count * g.paddedArea
    for channel in 0..<channels {
        for sample in 0..<count {
            let source = padded + channel * rowLength + sample * g.paddedArea + g.padding * paddedWidth + g.padding
            let destination = ((first + sample) * channels + channel) * area
            for h in 0..<g.height {
                let line = source + h * paddedWidth, start = destination + h * g.width
                if planes.accumulates {
                    for w in 0..<g.width { planes.pointer[start + w] += line[w] }
                } else {
                    (planes.pointer + start).update(from: line, count: g.width)
                }
            }
        }
    }
}

/// What both passes share: the sizes, the weights by tap, and each shard's buffers (a
/// padded input or input gradient, a padded output or output gradient, and a weight-gradient
/// sum by tap). Shards use only their own buffers.
private struct ShiftedProducts: @unchecked Sendable {
    let chunk, taps, pairs, margin: Int
    let shards: Shards
    let tapWeights: UnsafePointer<Float>
    let buffers: [(padded: UnsafeMutablePointer<Float>, block: UnsafeMutablePointer<Float>,
                   weight: UnsafeMutablePointer<Float>)]

    init(_ g: ConvolutionGeometry, weight: UnsafePointer<Float>, workspace: ConvolutionWorkspace) {
        chunk = g.shiftedSamplesPerChunk
        taps = g.kernelHeight * g.kernelWidth
        pairs = g.filters * g.channels
        margin = g.paddedMargin
        shards = convolutionShards(g)
        let byTap = workspace.buffer(0, count: taps * pairs)
        weightsByTap(byTap, weight, g)
        tapWeights = UnsafePointer(byTap)
        buffers = (0..<shards.shardCount).map { [chunk, taps, pairs] shard in
            (padded: workspace.buffer(1 + 3 * shard, count: g.channels * chunk * g.paddedArea),
             block: workspace.buffer(2 + 3 * shard, count: g.filters * chunk * g.paddedArea),
             weight: workspace.buffer(3 + 3 * shard, count: taps * pairs))
        }
    }

    /// The [F, C] weights of tap `tap`.
    func weights(_ tap: Int) -> UnsafePointer<Float> { tapWeights + tap * pairs }
}

/// output [N, F, H, W] = conv(input [N, C, H, W], weight [F, C, K, K]) by shifted products.
func shiftedConvolutionForward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                               workspace: ConvolutionWorkspace) {
    let plan = ShiftedProducts(g, weight: weight, workspace: workspace)
    let destination = GradientDestination(pointer: output, accumulates: false)
    // Shards own disjoint samples of the output and their own buffers.
    plan.shards.forEach { shard, samples in
        let (padded, block, _) = plan.buffers[shard]
        forEachChunk(samples, chunk: plan.chunk) { first, count in
            let rowLength = count * g.paddedArea, span = rowLength - 2 * plan.margin
            pad(padded, from: input, first: first, count: count, channels: g.channels, g)
            for tap in 0..<plan.taps {
                // block[:, j] (+)= W_tap [F, C] x padded[:, j + shift], j in margin..<margin+span
                gemm(m: g.filters, n: span, k: g.channels, a: plan.weights(tap), lda: g.channels,
                     b: padded + plan.margin + g.paddedShift(tap), ldb: rowLength,
                     beta: tap == 0 ? 0 : 1, c: block + plan.margin, ldc: rowLength)
            }
            unpad(destination, from: block, first: first, count: count, channels: g.filters, g)
        }
    }
}

/// The backward pass of `shiftedConvolutionForward`, with the contract of `conv2dBackward`.
func shiftedConvolutionBackward(inputGradient: GradientDestination?,
                                weightGradient: GradientDestination?,
                                outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>,
                                weight: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                                workspace: ConvolutionWorkspace) {
    let plan = ShiftedProducts(g, weight: weight, workspace: workspace)
    let (taps, pairs, margin) = (plan.taps, plan.pairs, plan.margin)
    // Each shard sums its weight gradient by tap privately; the sums are added up in shard order after the join.
    plan.shards.forEach { shard, samples in
        let (padded, block, weightSum) = plan.buffers[shard]
        if samples.isEmpty { weightSum.initialize(repeating: 0, count: taps * pairs) }
        forEachChunk(samples, chunk: plan.chunk) { first, count in
            let rowLength = count * g.paddedArea, span = rowLength - 2 * margin
            // dY with zero borders, so border positions add nothing below.
            pad(block, from: outputGradient, first: first, count: count, channels: g.filters, g)
            if weightGradient != nil {
                pad(padded, from: input, first: first, count: count, channels: g.channels, g)
                for tap in 0..<taps {
                    // dW_tap [F, C] (+)= dY[:, j] x padded[:, j + shift]^T
                    gemm(transposeB: true, m: g.filters, n: g.channels, k: span,
                         a: block + margin, lda: rowLength,
                         b: padded + margin + g.paddedShift(tap), ldb: rowLength,
                         beta: first == samples.lowerBound ? 0 : 1,
                         c: weightSum + tap * pairs, ldc: g.channels)
                }
            }
            if let inputGradient {
                // The ends of the rows that only some taps reach start at zero.
                for channel in 0..<g.channels {
                    let row = padded + channel * rowLength
                    row.initialize(repeating: 0, count: margin)
                    (row + margin + span).initialize(repeating: 0, count: margin)
                }
                // The centre tap (shift 0) covers the middle of every row: it assigns.
                let order = [taps / 2] + (0..<taps).filter { $0 != taps / 2 }
                for (index, tap) in order.enumerated() {
                    // dPadded[:, j + shift] (+)= W_tap^T [C, F] x dY[:, j]
                    gemm(transposeA: true, m: g.channels, n: span, k: g.filters,
                         a: plan.weights(tap), lda: g.channels, b: block + margin, ldb: rowLength,
                         beta: index == 0 ? 0 : 1, c: padded + margin + g.paddedShift(tap), ldc: rowLength)
                }
                unpad(inputGradient, from: padded, first: first, count: count, channels: g.channels, g)
            }
        }
    }
    if let weightGradient {
        // Shard sums back to [F, C, KH, KW], added up, written by the destination's rule.
        for pair in 0..<pairs {
            for tap in 0..<taps {
                var total: Float = 0
                for shard in 0..<plan.shards.shardCount { total += plan.buffers[shard].weight[tap * pairs + pair] }
                weightGradient.write(pair * taps + tap, total)
            }
        }
    }
}
