// Batch normalisation over x [N, C, A] (A = H W for images, 1 for [N, C]), forward and
// backward side by side, with the residual addition and ReLU of a ResNet block folded in:
//
//     y = relu?(a x + b + residual),  a = scale / sigma,  b = offset - mean a.
//
// Each kernel serves a range of channels and walks memory sample by sample, so a chunk reads
// one contiguous block per sample: going channel by channel instead jumps C A floats between
// planes, which on the 4x4 and 7x7 planes of the late stages is a new page every plane or two.
// Sums over a plane run in eight float lanes combined in a fixed order (vectorised, and the
// same on every run); sums over planes are in Double, per channel, in sample order.

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

/// The batch mean and biased variance of each channel in `channels` of x [N, C, A], into
/// `mean[c]` and `variance[c]`, in one sweep: sums of d = x - K and d^2 with K the channel's
/// first value (the shifted-data algorithm), so the variance, (sum d^2 - (sum d)^2 / M) / M,
/// keeps its precision when the mean is large against the spread.
func batchNormStatistics(_ x: UnsafePointer<Float>, batch: Int, channelCount: Int, area: Int,
                         channels: Range<Int>, mean: UnsafeMutablePointer<Float>,
                         variance: UnsafeMutablePointer<Float>) {
    var totals = [Double](repeating: 0, count: channels.count)
    var squares = [Double](repeating: 0, count: channels.count)
    for sample in 0..<batch {
        for (slot, channel) in channels.enumerated() {
            let (total, square) = laneShiftedMoments(x + (sample * channelCount + channel) * area, area,
                                                     shift: x[channel * area])
            totals[slot] += Double(total)
            squares[slot] += Double(square)
        }
    }
    let reduced = Double(batch * area)
    for (slot, channel) in channels.enumerated() {
        let meanShift = totals[slot] / reduced
        mean[channel] = Float(Double(x[channel * area]) + meanShift)
        variance[channel] = Float(max(0, squares[slot] / reduced - meanShift * meanShift))
    }
}

/// y [N, C, A] = relu?(a[c] x + b[c] + residual) for each channel c in `channels`;
/// `residual` is [N, C, A] or nil.
func batchNormForward(output y: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>,
                      residual: UnsafePointer<Float>?, relu: Bool,
                      a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                      batch: Int, channelCount: Int, area: Int, channels: Range<Int>) {
    let zero = SIMD8<Float>()
    for sample in 0..<batch {
        for channel in channels {
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

/// The backward pass of `batchNormForward` for each channel c in `channels`, from
/// dy [N, C, A] and the saved output y (for the ReLU's mask). With g = dy where y > 0 (or dy
/// without ReLU), M = N A and xhat = (x - mean) / sigma:
///
///     dresidual = g;  doffset = sum g;  dscale = sum g xhat;
///     dx = scale / (M sigma) (M g - sum g - xhat sum(g xhat))   (batch statistics)
///     dx = scale g / sigma                                      (running statistics)
///
/// Writes `sumG[c]` = sum g and `sumGXhat[c]` = sum g xhat for the parameter gradients.
func batchNormBackward(inputGradient: GradientDestination?, residualGradient: GradientDestination?,
                       outputGradient dy: UnsafePointer<Float>, output y: UnsafePointer<Float>,
                       input x: UnsafePointer<Float>, relu: Bool,
                       mean: UnsafePointer<Float>, inverseDeviation: UnsafePointer<Float>,
                       scale: UnsafePointer<Float>, usesBatchStatistics: Bool,
                       batch: Int, channelCount: Int, area: Int, channels: Range<Int>,
                       sumG: UnsafeMutablePointer<Float>, sumGXhat: UnsafeMutablePointer<Float>) {
    let zero = SIMD8<Float>()
    // g = dy masked by the ReLU, eight lanes from `index` on, or one value at `index`.
    @inline(__always) func lanesG(_ index: Int) -> SIMD8<Float> {
        var lanes = loadLanes(dy + index)
        if relu { lanes.replace(with: zero, where: loadLanes(y + index) .<= zero) }
        return lanes
    }
    @inline(__always) func g(_ index: Int) -> Float { relu && y[index] <= 0 ? 0 : dy[index] }
    var totalsG = [Double](repeating: 0, count: channels.count)
    var totalsGCentred = [Double](repeating: 0, count: channels.count)
    for sample in 0..<batch {
        for (slot, channel) in channels.enumerated() {
            let start = (sample * channelCount + channel) * area
            let means = SIMD8<Float>(repeating: mean[channel])
            var lanesSum = SIMD8<Float>(), lanesCentred = SIMD8<Float>(), i = start
            while i + 8 <= start + area {
                let lanes = lanesG(i)
                lanesSum += lanes
                lanesCentred += lanes * (loadLanes(x + i) - means)
                i += 8
            }
            var partialG = lanesSum.sum(), partialGX = lanesCentred.sum()
            while i < start + area {
                let gi = g(i)
                partialG += gi
                partialGX += gi * (x[i] - mean[channel])
                i += 1
            }
            totalsG[slot] += Double(partialG)
            totalsGCentred[slot] += Double(partialGX)
        }
    }
    // dx = factor (gScale g + constant + (x - mean) centredScale), covering both cases.
    let reduced = Float(batch * area)
    var factors = [Float](repeating: 0, count: channels.count)
    var constants = [Float](repeating: 0, count: channels.count)
    var centredScales = [Float](repeating: 0, count: channels.count)
    for (slot, channel) in channels.enumerated() {
        let inverse = inverseDeviation[channel]
        sumG[channel] = Float(totalsG[slot])
        sumGXhat[channel] = Float(totalsGCentred[slot]) * inverse
        factors[slot] = usesBatchStatistics ? scale[channel] * inverse / reduced : scale[channel] * inverse
        constants[slot] = usesBatchStatistics ? -sumG[channel] : 0
        centredScales[slot] = usesBatchStatistics ? -sumGXhat[channel] * inverse : 0
    }
    if inputGradient == nil && residualGradient == nil { return }
    let gScale = usesBatchStatistics ? reduced : 1
    // Input before residual at each index: if they are one tensor, the residual's share adds.
    for sample in 0..<batch {
        for (slot, channel) in channels.enumerated() {
            let start = (sample * channelCount + channel) * area
            let factor = factors[slot], constant = constants[slot], centredScale = centredScales[slot]
            let means = SIMD8<Float>(repeating: mean[channel])
            var i = start
            while i + 8 <= start + area {
                let lanes = lanesG(i)
                inputGradient?.write(i, lanes: factor * (gScale * lanes + constant + (loadLanes(x + i) - means) * centredScale))
                residualGradient?.write(i, lanes: lanes)
                i += 8
            }
            while i < start + area {
                let gi = g(i)
                inputGradient?.write(i, factor * (gScale * gi + constant + (x[i] - mean[channel]) * centredScale))
                residualGradient?.write(i, gi)
                i += 1
            }
        }
    }
}
