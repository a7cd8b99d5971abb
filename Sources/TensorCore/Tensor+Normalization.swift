// Batch normalisation (1-D and 2-D), and row-wise L2 normalisation.
import Basics

/// How a network runs forward; it matters to batch normalisation only.
public enum ForwardMode: Sendable, Equatable {
    /// Training: normalise with the batch's statistics and update the running statistics
    /// (PyTorch's `train()`).
    case training
    /// Normalise with the batch's statistics but leave the running statistics untouched:
    /// for extra forward passes in a training step that must not count as data seen, e.g.
    /// the SGHMC energy passes (SPEC §3).
    case trainingWithoutStatisticsUpdate
    /// Inference: normalise with the running statistics (PyTorch's `eval()`).
    case evaluation

    /// Whether batch statistics are used (both training modes).
    public var usesBatchStatistics: Bool { self != .evaluation }
}

/// Per-channel sums of a tensor [N, C, ...] about a shift per channel: the statistics batch
/// normalisation needs in training, handed over by the op that produced the tensor, which takes
/// them while the values are still in registers (`conv2dWithMoments`).
public struct ChannelMoments: Sendable {
    /// The shift of each channel [C]: a value of the channel (its first, as batch normalisation
    /// takes itself), so that the variance keeps its precision when the mean is large against
    /// the spread (the shifted-data algorithm).
    public let shifts: [Float]
    /// [2, C]: the sums over the batch and spatial axes of d = x - shifts[c], and of d^2.
    public let sums: [Double]

    public init(shifts: [Float], sums: [Double]) {
        self.shifts = shifts
        self.sums = sums
    }
}

/// Batch normalisation over the batch and spatial axes, PyTorch's `F.batch_norm`:
/// `y = scale (x - mean) / sqrt(var + epsilon) + offset` per channel, optionally followed by
/// the residual addition and ReLU that end a ResNet block:
/// `y = relu(batchNorm(x) + residual)`, in one pass (no intermediate tensors).
///
/// - input: [N, C] (1-D) or [N, C, H, W] (2-D); scale, offset, runningMean,
///   runningVariance: [C]; residual: the shape of input.
/// - mode `.training`: mean and biased variance of the batch; then
///   `running = (1 - momentum) running + momentum batch` (unbiased variance, as PyTorch).
///   `.trainingWithoutStatisticsUpdate`: the same without the update. `.evaluation`: the
///   running statistics.
///
/// Gradients (training, M = N H W, xhat the normalised input, g = dy where y > 0 with ReLU):
/// dx = scale / (M sigma) (M g - sum g - xhat sum(g xhat)); dscale = sum(g xhat);
/// doffset = sum g; dresidual = g. In evaluation dx = scale g / sigma_running.
///
/// Inside `BatchStatistics.$collective.withValue(c)` with several ranks, the batch is the
/// union of the ranks' batches (PyTorch's `SyncBatchNorm`): M, the mean and the variance are
/// the global batch's, and so are the two sums in dx; dscale and doffset stay this rank's
/// share, which the ranks' gradient average adds up (a rank's dx is then the gradient of the
/// sum of all ranks' losses, as in PyTorch).
///
/// `moments`, the input's per-channel sums from the op that produced it, spare the pass over
/// the input that the batch statistics otherwise take; unused in evaluation.
public func batchNormalized(
    _ input: Tensor, scale: Tensor, offset: Tensor,
    runningMean: Tensor, runningVariance: Tensor,
    mode: ForwardMode, momentum: Float = 0.1, epsilon: Float = 1e-5,
    adding residual: Tensor? = nil, relu: Bool = false, moments: ChannelMoments? = nil
) -> Tensor {
    checkArgument(input.rank == 2 || input.rank == 4,
                 "batchNormalized: input must be [N, C] or [N, C, H, W], got shape \(input.shape)")
    let channels = input.shape[1]
    for (name, tensor) in [("scale", scale), ("offset", offset), ("runningMean", runningMean),
                           ("runningVariance", runningVariance)] {
        checkArgument(tensor.shape == [channels],
                     "batchNormalized: input has shape \(input.shape), \(name) has shape \(tensor.shape), expected [\(channels)]")
    }
    if let residual {
        checkArgument(residual.shape == input.shape,
                     "batchNormalized: input has shape \(input.shape), residual has shape \(residual.shape)")
    }
    let batch = input.shape[0]
    let area = input.rank == 4 ? input.shape[2] * input.shape[3] : 1
    // The ranks whose batches make one (nil: this batch alone), and the values per channel.
    let synchronized = mode.usesBatchStatistics ? BatchStatistics.collective.flatMap { $0.size > 1 ? $0 : nil } : nil
    var reduced = batch * area
    if mode.usesBatchStatistics && synchronized == nil {
        checkArgument(reduced > 1, "batchNormalized: training needs more than one value per channel, input has shape \(input.shape)")
    }
    let x = input.storage.pointer, r = residual?.storage.pointer
    let result = Tensor.uninitialized(input.shape)
    let y = UncheckedSendable(result.storage.pointer)
    let gamma = scale.storage.pointer, beta = offset.storage.pointer
    let runMean = runningMean.storage.pointer, runVariance = runningVariance.storage.pointer
    // Per channel: the mean and variance used for this batch, 1/sigma, and the affine map
    // y = a x + b they make. The backward pass keeps the tensor for the mean and 1/sigma.
    let statistics = Tensor.uninitialized([5, channels])
    let means = statistics.storage.pointer, variances = means + channels
    let inverses = means + 2 * channels, a = means + 3 * channels, b = means + 4 * channels
    let split = BatchSplit(batch: batch, elements: input.count)
    if mode.usesBatchStatistics {
        // Shifted by each channel's first value (the producer's, when it hands them over):
        // mean = K + E[x - K], var = E[(x - K)^2] - E[x - K]^2.
        if let moments {
            checkArgument(moments.shifts.count == channels && moments.sums.count == 2 * channels,
                         "batchNormalized: input has \(channels) channels, moments have \(moments.shifts.count) shifts and \(moments.sums.count) sums")
        }
        let shifts = moments?.shifts ?? (0..<channels).map { x[$0 * area] }
        let sums = moments?.sums ?? shifts.withUnsafeBufferPointer { shifts in
            split.channelSums(channels) { samples, partial in
                batchNormMoments(x, channelCount: channels, area: area, samples: samples,
                                 shifts: shifts.baseAddress!, sums: partial)
            }
        }
        if let synchronized {
            let (globalMeans, globalVariances, count) = synchronizedMoments(
                sums, shifts: shifts, count: reduced, collective: synchronized)
            checkArgument(count > 1, "batchNormalized: training needs more than one value per channel, the ranks' batches have \(count)")
            reduced = count
            for channel in 0..<channels {
                means[channel] = Float(globalMeans[channel])
                variances[channel] = Float(globalVariances[channel])
            }
        } else {
            for channel in 0..<channels {
                let meanShift = sums[channel] / Double(reduced)
                means[channel] = Float(Double(shifts[channel]) + meanShift)
                variances[channel] = Float(max(0, sums[channels + channel] / Double(reduced) - meanShift * meanShift))
            }
        }
    } else {
        means.update(from: runMean, count: channels)
        variances.update(from: runVariance, count: channels)
    }
    for channel in 0..<channels {
        inverses[channel] = 1 / (variances[channel] + epsilon).squareRoot()
        a[channel] = gamma[channel] * inverses[channel]
        b[channel] = beta[channel] - means[channel] * a[channel]
    }
    // Samples are independent: each range owns its outputs.
    split.run { samples in
        batchNormForward(output: y.value, input: x, residual: r, relu: relu, a: a, b: b,
                         channelCount: channels, area: area, samples: samples)
    }
    if mode == .training {
        let correction = Float(reduced) / Float(reduced - 1)
        for channel in 0..<channels {
            runMean[channel] = (1 - momentum) * runMean[channel] + momentum * means[channel]
            runVariance[channel] = (1 - momentum) * runVariance[channel]
                + momentum * variances[channel] * correction
        }
    }
    let valueCount = reduced
    result.record([input, scale, offset] + (residual.map { [$0] } ?? [])) { output, g in
        // Input before residual: if they are one tensor, the fresh buffer is assigned first.
        let gradX = input.isGradientNeeded ? input.gradientDestination() : nil
        let gradResidual = residual.flatMap { $0.isGradientNeeded ? $0.gradientDestination() : nil }
        let savedMeans = statistics.storage.pointer, savedInverses = savedMeans + 2 * channels
        let inputs = BatchNormGradientInputs(dy: g, y: output.storage.pointer, x: x, relu: relu)
        let sums = split.channelSums(channels) { samples, partial in
            batchNormGradientSums(inputs, mean: savedMeans, channelCount: channels, area: area,
                                  samples: samples, sums: partial)
        }
        // sum g and sum g xhat per channel, then dx's coefficients (batchNormInputGradient):
        // over all ranks' batches when they are one (the mean is theirs, so the sums add).
        var globalSums = sums
        synchronized?.sum(&globalSums)
        let sumG = (0..<channels).map { Float(sums[$0]) }
        let sumGXhat = (0..<channels).map { Float(sums[channels + $0]) * savedInverses[$0] }
        let globalSumG = (0..<channels).map { Float(globalSums[$0]) }
        let globalSumGXhat = (0..<channels).map { Float(globalSums[channels + $0]) * savedInverses[$0] }
        if gradX != nil || gradResidual != nil {
            let m = Float(valueCount), batchStatistics = mode.usesBatchStatistics
            let factors = (0..<channels).map {
                batchStatistics ? gamma[$0] * savedInverses[$0] / m : gamma[$0] * savedInverses[$0]
            }
            let constants = (0..<channels).map { batchStatistics ? -globalSumG[$0] : 0 }
            let centredScales = (0..<channels).map { batchStatistics ? -globalSumGXhat[$0] * savedInverses[$0] : 0 }
            factors.withUnsafeBufferPointer { factors in
                constants.withUnsafeBufferPointer { constants in
                    centredScales.withUnsafeBufferPointer { centredScales in
                        split.run { samples in
                            batchNormInputGradient(
                                inputGradient: gradX, residualGradient: gradResidual, inputs, mean: savedMeans,
                                factors: factors.baseAddress!, constants: constants.baseAddress!,
                                centredScales: centredScales.baseAddress!, gScale: batchStatistics ? m : 1,
                                channelCount: channels, area: area, samples: samples)
                        }
                    }
                }
            }
        }
        if scale.isGradientNeeded {
            let gradScale = scale.gradientPointer()
            for channel in 0..<channels { gradScale[channel] += sumGXhat[channel] }
        }
        if offset.isGradientNeeded {
            let gradOffset = offset.gradientPointer()
            for channel in 0..<channels { gradOffset[channel] += sumG[channel] }
        }
    }
    return result
}

/// The ranks of a data-parallel run whose batch normalisations use the statistics of all their
/// batches together (synchronised batch norm); nil, the default: each batch its own.
public enum BatchStatistics {
    /// Bound with `BatchStatistics.$collective.withValue(ranks) { ... }` around the forward
    /// and backward passes of a training step; every rank must run the same batch
    /// normalisations in the same order, each waits for the others.
    @TaskLocal public static var collective: (any Collective)?
}

/// The mean and biased variance per channel of all ranks' batches, and their value count,
/// from this rank's shifted sums [2, C] (of d = x - shift[c] and of d^2, over `count` values).
///
/// Each rank's shift is its own, so the sums cannot be added as they are: each rank sends
/// sum x = count (shift + mean d) and sum x^2 = sum (d + shift)^2, in Double, and the count;
/// the variance is then E[x^2] - E[x]^2 over the ranks. Double keeps 29 bits more than the
/// Float data, which covers the cancellation unless |mean| / std exceeds about 10^4.
func synchronizedMoments(_ sums: [Double], shifts: [Float], count: Int,
                         collective: any Collective) -> (means: [Double], variances: [Double], count: Int) {
    let channels = shifts.count
    var totals = [Double](repeating: 0, count: 2 * channels + 1)
    for channel in 0..<channels {
        (totals[channel], totals[channels + channel]) = shiftedSums(
            sums[channel], sums[channels + channel], count: count, movedBy: Double(shifts[channel]))
    }
    totals[2 * channels] = Double(count)
    collective.sum(&totals)
    let total = totals[2 * channels]
    let means = (0..<channels).map { totals[$0] / total }
    let variances = (0..<channels).map { max(0, totals[channels + $0] / total - means[$0] * means[$0]) }
    return (means, variances, Int(total.rounded()))
}

/// Sums of d = x - s and of d^2 over `count` values, moved to the shift s - delta: the sums of
/// d + delta and of (d + delta)^2 = d^2 + 2 delta d + delta^2.
func shiftedSums(_ total: Double, _ squares: Double, count: Int, movedBy delta: Double) -> (Double, Double) {
    let n = Double(count)
    return (total + n * delta, squares + 2 * delta * total + n * delta * delta)
}

/// The batch cut into `Shards` (fixed by the batch and its size, never by the cores) when it
/// holds enough values to pay for the threads.
private struct BatchSplit {
    let shards: Shards

    init(batch: Int, elements: Int) {
        shards = Shards(batch, cap: max(1, elements / 32_768))
    }

    /// Runs `body` on each shard's samples, concurrently.
    func run(_ body: (Range<Int>) -> Void) {
        shards.forEach { body($1) }
    }

    /// Per-channel sums [2, C]: each shard adds its samples' share to a zeroed partial, and
    /// the partials are added up in shard order (the same result on any number of cores).
    func channelSums(_ channels: Int, _ body: (Range<Int>, UnsafeMutablePointer<Double>) -> Void) -> [Double] {
        let count = shards.shardCount
        var partials = [Double](repeating: 0, count: count * 2 * channels)
        partials.withUnsafeMutableBufferPointer { buffer in
            let base = UncheckedSendable(buffer.baseAddress!)
            shards.forEach { shard, samples in body(samples, base.value + shard * 2 * channels) }
        }
        return (0..<(2 * channels)).map { index in
            (0..<count).reduce(0) { $0 + partials[$1 * 2 * channels + index] }
        }
    }
}

extension Tensor {
    /// Each row of a 2-D tensor [N, D] divided by its L2 norm, PyTorch's
    /// `F.normalize(x, dim=1, eps)`: `x_i / max(||x_i||, epsilon)`.
    ///
    /// d/dx_i = (g_i - u_i <u_i, g_i>) / ||x_i|| with u_i = x_i / ||x_i|| (g_i / epsilon
    /// when the norm is below epsilon).
    public func l2NormalizedRows(epsilon: Float = 1e-12) -> Tensor {
        checkArgument(rank == 2, "l2NormalizedRows: expected [N, D], got shape \(shape)")
        let rows = shape[0], columns = shape[1]
        let result = Tensor.uninitialized(shape)
        let x = storage.pointer, z = result.storage.pointer
        var norms = [Float](repeating: 0, count: rows)
        for row in 0..<rows {
            var total: Float = 0
            for j in 0..<columns { let v = x[row * columns + j]; total += v * v }
            let norm = max(total.squareRoot(), epsilon)
            norms[row] = norm
            for j in 0..<columns { z[row * columns + j] = x[row * columns + j] / norm }
        }
        let clamped = norms.map { $0 <= epsilon }
        result.record([self]) { output, g in
            let gradX = self.gradientPointer()
            let u = output.storage.pointer
            for row in 0..<rows {
                let base = row * columns
                let inverse = 1 / norms[row]
                if clamped[row] {
                    for j in 0..<columns { gradX[base + j] += g[base + j] * inverse }
                    continue
                }
                var dot: Float = 0
                for j in 0..<columns { dot += u[base + j] * g[base + j] }
                for j in 0..<columns { gradX[base + j] += (g[base + j] - u[base + j] * dot) * inverse }
            }
        }
        return result
    }
}

/// Row-wise cosine similarity of two [N, D] tensors -> [N]:
/// `<a_i, b_i> / (max(||a_i||, eps) max(||b_i||, eps))`.
public func cosineSimilarity(_ a: Tensor, _ b: Tensor, epsilon: Float = 1e-8) -> Tensor {
    checkArgument(a.shape == b.shape && a.rank == 2,
                 "cosineSimilarity: shapes \(a.shape) and \(b.shape) must be equal [N, D]")
    return (a.l2NormalizedRows(epsilon: epsilon) * b.l2NormalizedRows(epsilon: epsilon)).sum(alongAxis: 1)
}
