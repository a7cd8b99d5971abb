// Batch normalisation over x [N, C, A] (A = H W for images, 1 for [N, C]), forward and
// backward side by side, with the residual addition and ReLU of a ResNet block folded in:
//
//     y = relu?(a x + b + residual),  a = scale / sigma,  b = offset - mean a.
//
// Each kernel serves a range of samples, which is one contiguous block of memory: the cores
// split the batch, and each streams through its half front to back, which the hardware
// prefetcher follows (split by channels instead, each core jumps C A floats from sample to
// sample, and on the 4x4 and 7x7 planes of the late stages it waits on memory at every jump).
// Per-channel sums are partial per range, in Double, added up by the caller in range order;
// sums over a plane run in eight float lanes combined in a fixed order (vectorised, and the
// same on every run).

/// `(sum_i d_i, sum_i d_i^2)` with `d_i = x[i] - shift`, over `count` floats.
@inline(__always)
func laneShiftedMoments(_ x: UnsafePointer<Float>, _ count: Int, shift: Float) -> (Float, Float) {
    var sums = SIMD8<Float>(), squares = SIMD8<Float>(), i = 0
    let shifts = SIMD8<Float>(repeating: shift)
    while i + 8 <= count {
        let d = loadLanes(x + i) - shifts
        sums += d
        squares += d * d
        i += 8
    }
    var total = sums.sum(), totalSquares = squares.sum()
    while i < count { let d = x[i] - shift; total += d; totalSquares += d * d; i += 1 }
    return (total, totalSquares)
}

/// Per-channel sums over the samples in `samples` of x [N, C, A], added to
/// `sums` [2, C]: of d = x - shift[c], and of d^2 (the shifted-data algorithm, so that the
/// variance keeps its precision when the mean is large against the spread).
func batchNormMoments(_ x: UnsafePointer<Float>, channelCount: Int, area: Int, samples: Range<Int>,
                      shifts: UnsafePointer<Float>, sums: UnsafeMutablePointer<Double>) {
    for sample in samples {
        for channel in 0..<channelCount {
            let (total, square) = laneShiftedMoments(x + (sample * channelCount + channel) * area, area,
                                                     shift: shifts[channel])
            sums[channel] += Double(total)
            sums[channelCount + channel] += Double(square)
        }
    }
}

/// y [N, C, A] = relu?(a[c] x + b[c] + residual) for the samples in `samples`;
/// `residual` is [N, C, A] or nil.
func batchNormForward(output y: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>,
                      residual: UnsafePointer<Float>?, relu: Bool,
                      a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                      channelCount: Int, area: Int, samples: Range<Int>) {
    let zero = SIMD8<Float>()
    for sample in samples {
        for channel in 0..<channelCount {
            let scales = SIMD8<Float>(repeating: a[channel]), offsets = SIMD8<Float>(repeating: b[channel])
            let start = (sample * channelCount + channel) * area
            var i = start
            while i + 8 <= start + area {
                var lanes = loadLanes(x + i) * scales + offsets
                if let residual { lanes += loadLanes(residual + i) }
                if relu { lanes.replace(with: zero, where: lanes .< zero) }
                storeLanes(lanes, y + i)
                i += 8
            }
            while i < start + area {
                var value = x[i] * a[channel] + b[channel]
                if let residual { value += residual[i] }
                y[i] = relu ? max(value, 0) : value
                i += 1
            }
        }
    }
}

/// The saved values the backward pass reads, and the ReLU's mask: g = dy where y > 0 (or dy
/// without ReLU).
struct BatchNormGradientInputs {
    let dy, y, x: UnsafePointer<Float>
    let relu: Bool

    /// g, eight lanes from `index` on.
    @inline(__always)
    func lanesG(_ index: Int) -> SIMD8<Float> {
        var lanes = loadLanes(dy + index)
        if relu { lanes.replace(with: SIMD8<Float>(), where: loadLanes(y + index) .<= SIMD8<Float>()) }
        return lanes
    }

    /// g at `index`.
    @inline(__always)
    func g(_ index: Int) -> Float { relu && y[index] <= 0 ? 0 : dy[index] }
}

/// The first half of `batchNormForward`'s backward pass: per-channel sums over the samples in
/// `samples`, added to `sums` [2, C]: of g, and of g (x - mean[c]).
func batchNormGradientSums(_ inputs: BatchNormGradientInputs, mean: UnsafePointer<Float>,
                           channelCount: Int, area: Int, samples: Range<Int>,
                           sums: UnsafeMutablePointer<Double>) {
    for sample in samples {
        for channel in 0..<channelCount {
            let start = (sample * channelCount + channel) * area
            let means = SIMD8<Float>(repeating: mean[channel])
            var lanesSum = SIMD8<Float>(), lanesCentred = SIMD8<Float>(), i = start
            while i + 8 <= start + area {
                let lanes = inputs.lanesG(i)
                lanesSum += lanes
                lanesCentred += lanes * (loadLanes(inputs.x + i) - means)
                i += 8
            }
            var partialG = lanesSum.sum(), partialGX = lanesCentred.sum()
            while i < start + area {
                let gi = inputs.g(i)
                partialG += gi
                partialGX += gi * (inputs.x[i] - mean[channel])
                i += 1
            }
            sums[channel] += Double(partialG)
            sums[channelCount + channel] += Double(partialGX)
        }
    }
}

/// The second half: with M = N A, xhat = (x - mean) / sigma, and the sums above,
///
///     dresidual = g
///     dx = scale / (M sigma) (M g - sum g - xhat sum(g xhat))   (batch statistics)
///     dx = scale g / sigma                                      (running statistics)
///
/// for the samples in `samples`, written as dx = factor[c] (gScale g + constant[c] +
/// (x - mean[c]) centredScale[c]), which covers both cases.
func batchNormInputGradient(inputGradient: GradientDestination?, residualGradient: GradientDestination?,
                            _ inputs: BatchNormGradientInputs, mean: UnsafePointer<Float>,
                            factors: UnsafePointer<Float>, constants: UnsafePointer<Float>,
                            centredScales: UnsafePointer<Float>, gScale: Float,
                            channelCount: Int, area: Int, samples: Range<Int>) {
    // Input before residual at each index: if they are one tensor, the residual's share adds.
    for sample in samples {
        for channel in 0..<channelCount {
            let start = (sample * channelCount + channel) * area
            let factor = factors[channel], constant = constants[channel], centredScale = centredScales[channel]
            let means = SIMD8<Float>(repeating: mean[channel])
            var i = start
            while i + 8 <= start + area {
                let lanes = inputs.lanesG(i)
                inputGradient?.write(i, lanes: factor * (gScale * lanes + constant + (loadLanes(inputs.x + i) - means) * centredScale))
                residualGradient?.write(i, lanes: lanes)
                i += 8
            }
            while i < start + area {
                let gi = inputs.g(i)
                inputGradient?.write(i, factor * (gScale * gi + constant + (inputs.x[i] - mean[channel]) * centredScale))
                residualGradient?.write(i, gi)
                i += 1
            }
        }
    }
}
