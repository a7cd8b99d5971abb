// Batch normalisation over x [N, C, A] (A = H W for images, 1 for [N, C]), one channel at a
// time, forward and backward side by side, with the residual addition and ReLU of a ResNet
// block folded in:
//
//     y = relu?(a x + b + residual),  a = scale / sigma,  b = offset - mean a.
//
// Sums over a plane run in eight float lanes combined in a fixed order (vectorised, and the
// same on every run); sums over planes are in Double.

/// Eight consecutive floats at `pointer` (no alignment needed).
@inline(__always)
func loadLanes(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
}

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

/// The batch mean and biased variance of `channel` of x [N, C, A] in one sweep: sums of
/// d = x - K and d^2 with K the channel's first value (the shifted-data algorithm), so the
/// variance, (sum d^2 - (sum d)^2 / M) / M, keeps its precision when the mean is large
/// against the spread.
func batchNormStatistics(_ x: UnsafePointer<Float>, batch: Int, channels: Int, area: Int,
                         channel: Int) -> (mean: Float, variance: Float) {
    let reduced = Double(batch * area)
    let shift = x[channel * area]
    var total: Double = 0, squares: Double = 0
    for sample in 0..<batch {
        let (planeTotal, planeSquares) = laneShiftedMoments(x + (sample * channels + channel) * area, area, shift: shift)
        total += Double(planeTotal)
        squares += Double(planeSquares)
    }
    let meanShift = total / reduced
    return (Float(Double(shift) + meanShift), Float(max(0, squares / reduced - meanShift * meanShift)))
}

/// y [N, C, A] = relu?(a x + b + residual) for `channel`; `residual` is [N, C, A] or nil.
func batchNormForward(output y: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>,
                      residual: UnsafePointer<Float>?, relu: Bool, a: Float, b: Float,
                      batch: Int, channels: Int, area: Int, channel: Int) {
    let scales = SIMD8<Float>(repeating: a), offsets = SIMD8<Float>(repeating: b), zero = SIMD8<Float>()
    for sample in 0..<batch {
        let start = (sample * channels + channel) * area
        var i = start
        while i + 8 <= start + area {
            var lanes = loadLanes(x + i) * scales + offsets
            if let residual { lanes += loadLanes(residual + i) }
            if relu { lanes.replace(with: zero, where: lanes .< zero) }
            storeLanes(lanes, y + i)
            i += 8
        }
        while i < start + area {
            var value = x[i] * a + b
            if let residual { value += residual[i] }
            y[i] = relu ? max(value, 0) : value
            i += 1
        }
    }
}

/// Stores eight floats at `pointer` (no alignment needed).
@inline(__always)
func storeLanes(_ lanes: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: lanes, as: SIMD8<Float>.self)
}

extension GradientDestination {
    /// Writes eight values from `index` on by the destination's rule.
    @inline(__always)
    func write(_ index: Int, lanes: SIMD8<Float>) {
        storeLanes(accumulates ? loadLanes(pointer + index) + lanes : lanes, pointer + index)
    }
}

/// The backward pass of `batchNormForward` for `channel`, from dy [N, C, A] and the saved
/// output y (for the ReLU's mask). With g = dy where y > 0 (or dy without ReLU),
/// M = N A and xhat = (x - mean) / sigma:
///
///     dresidual = g;  doffset = sum g;  dscale = sum g xhat;
///     dx = scale / (M sigma) (M g - sum g - xhat sum(g xhat))   (batch statistics)
///     dx = scale g / sigma                                      (running statistics)
///
/// Returns (sum g, sum g xhat) for the parameter gradients.
func batchNormBackward(inputGradient: GradientDestination?, residualGradient: GradientDestination?,
                       outputGradient dy: UnsafePointer<Float>, output y: UnsafePointer<Float>,
                       input x: UnsafePointer<Float>, relu: Bool,
                       mean: Float, inverseDeviation: Float, scale: Float, usesBatchStatistics: Bool,
                       batch: Int, channels: Int, area: Int, channel: Int) -> (sumG: Float, sumGXhat: Float) {
    let zero = SIMD8<Float>(), means = SIMD8<Float>(repeating: mean)
    // g = dy masked by the ReLU, eight lanes from `index` on, or one value at `index`.
    @inline(__always) func lanesG(_ index: Int) -> SIMD8<Float> {
        var lanes = loadLanes(dy + index)
        if relu { lanes.replace(with: zero, where: loadLanes(y + index) .<= zero) }
        return lanes
    }
    @inline(__always) func g(_ index: Int) -> Float { relu && y[index] <= 0 ? 0 : dy[index] }
    var sumG: Double = 0, sumGCentred: Double = 0
    for sample in 0..<batch {
        let start = (sample * channels + channel) * area
        var totalG = SIMD8<Float>(), totalGX = SIMD8<Float>(), i = start
        while i + 8 <= start + area {
            let lanes = lanesG(i)
            totalG += lanes
            totalGX += lanes * (loadLanes(x + i) - means)
            i += 8
        }
        var partialG = totalG.sum(), partialGX = totalGX.sum()
        while i < start + area {
            let gi = g(i)
            partialG += gi
            partialGX += gi * (x[i] - mean)
            i += 1
        }
        sumG += Double(partialG)
        sumGCentred += Double(partialGX)
    }
    let totalG = Float(sumG), totalGXhat = Float(sumGCentred) * inverseDeviation
    if inputGradient == nil && residualGradient == nil { return (totalG, totalGXhat) }
    // dx = factor (gScale g + constant + (x - mean) centredScale), covering both cases.
    let reduced = Float(batch * area)
    let factor = usesBatchStatistics ? scale * inverseDeviation / reduced : scale * inverseDeviation
    let gScale = usesBatchStatistics ? reduced : 1
    let constant = usesBatchStatistics ? -totalG : 0
    let centredScale = usesBatchStatistics ? -totalGXhat * inverseDeviation : 0
    // Input before residual at each index: if they are one tensor, the residual's share adds.
    for sample in 0..<batch {
        let start = (sample * channels + channel) * area
        var i = start
        while i + 8 <= start + area {
            let lanes = lanesG(i)
            inputGradient?.write(i, lanes: factor * (gScale * lanes + constant + (loadLanes(x + i) - means) * centredScale))
            residualGradient?.write(i, lanes: lanes)
            i += 8
        }
        while i < start + area {
            let gi = g(i)
            inputGradient?.write(i, factor * (gScale * gi + constant + (x[i] - mean) * centredScale))
            residualGradient?.write(i, gi)
            i += 1
        }
    }
    return (totalG, totalGXhat)
}
