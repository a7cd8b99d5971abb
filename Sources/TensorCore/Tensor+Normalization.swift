// Batch normalisation (1-D and 2-D), and row-wise L2 normalisation.

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

/// Batch normalisation over the batch and spatial axes, PyTorch's `F.batch_norm`:
/// `y = scale (x - mean) / sqrt(var + epsilon) + offset` per channel.
///
/// - input: [N, C] (1-D) or [N, C, H, W] (2-D); scale, offset, runningMean,
///   runningVariance: [C].
/// - mode `.training`: mean and biased variance of the batch; then
///   `running = (1 - momentum) running + momentum batch` (unbiased variance, as PyTorch).
///   `.trainingWithoutStatisticsUpdate`: the same without the update. `.evaluation`: the
///   running statistics.
///
/// Gradients (training, M = N H W, xhat the normalised input):
/// dx = scale / (M sigma) (M dy - sum dy - xhat sum(dy xhat)); dscale = sum(dy xhat);
/// doffset = sum dy. In evaluation dx = scale dy / sigma_running.
public func batchNormalized(
    _ input: Tensor, scale: Tensor, offset: Tensor,
    runningMean: Tensor, runningVariance: Tensor,
    mode: ForwardMode, momentum: Float = 0.1, epsilon: Float = 1e-5
) -> Tensor {
    checkArgument(input.rank == 2 || input.rank == 4,
                 "batchNormalized: input must be [N, C] or [N, C, H, W], got shape \(input.shape)")
    let channels = input.shape[1]
    for (name, tensor) in [("scale", scale), ("offset", offset), ("runningMean", runningMean),
                           ("runningVariance", runningVariance)] {
        checkArgument(tensor.shape == [channels],
                     "batchNormalized: input has shape \(input.shape), \(name) has shape \(tensor.shape), expected [\(channels)]")
    }
    let batch = input.shape[0]
    let area = input.rank == 4 ? input.shape[2] * input.shape[3] : 1
    let reduced = batch * area
    if mode.usesBatchStatistics {
        checkArgument(reduced > 1, "batchNormalized: training needs more than one value per channel, input has shape \(input.shape)")
    }
    let x = input.storage.pointer
    let result = Tensor.uninitialized(input.shape)
    let y = UncheckedSendable(result.storage.pointer)
    let gamma = scale.storage.pointer, beta = offset.storage.pointer
    // Per-channel mean and 1/sigma used for this batch (saved for the backward pass).
    var means = [Float](repeating: 0, count: channels)
    var inverseDeviations = [Float](repeating: 0, count: channels)
    var variances = [Float](repeating: 0, count: channels)
    means.withUnsafeMutableBufferPointer { meanBuffer in
        inverseDeviations.withUnsafeMutableBufferPointer { inverseBuffer in
            variances.withUnsafeMutableBufferPointer { varianceBuffer in
                let meanOut = UncheckedSendable(meanBuffer.baseAddress!)
                let inverseOut = UncheckedSendable(inverseBuffer.baseAddress!)
                let varianceOut = UncheckedSendable(varianceBuffer.baseAddress!)
                let runMean = runningMean.storage.pointer, runVariance = runningVariance.storage.pointer
                // Channels are independent: each chunk owns its channels' outputs.
                parallelChunks(channels) { range in
                    for channel in range {
                        var mean: Float, variance: Float
                        if mode.usesBatchStatistics {
                            var total: Double = 0
                            for sample in 0..<batch {
                                let plane = x + (sample * channels + channel) * area
                                var partial: Float = 0
                                for i in 0..<area { partial += plane[i] }
                                total += Double(partial)
                            }
                            mean = Float(total / Double(reduced))
                            var squares: Double = 0
                            for sample in 0..<batch {
                                let plane = x + (sample * channels + channel) * area
                                var partial: Float = 0
                                for i in 0..<area { let d = plane[i] - mean; partial += d * d }
                                squares += Double(partial)
                            }
                            variance = Float(squares / Double(reduced))
                        } else {
                            mean = runMean[channel]
                            variance = runVariance[channel]
                        }
                        let inverse = 1 / (variance + epsilon).squareRoot()
                        meanOut.value[channel] = mean
                        inverseOut.value[channel] = inverse
                        varianceOut.value[channel] = variance
                        let a = gamma[channel] * inverse, b = beta[channel] - mean * a
                        for sample in 0..<batch {
                            let offsetIndex = (sample * channels + channel) * area
                            let plane = x + offsetIndex, out = y.value + offsetIndex
                            for i in 0..<area { out[i] = plane[i] * a + b }
                        }
                    }
                }
            }
        }
    }
    if mode == .training {
        let runMean = runningMean.storage.pointer, runVariance = runningVariance.storage.pointer
        let correction = Float(reduced) / Float(reduced - 1)
        for channel in 0..<channels {
            runMean[channel] = (1 - momentum) * runMean[channel] + momentum * means[channel]
            runVariance[channel] = (1 - momentum) * runVariance[channel]
                + momentum * variances[channel] * correction
        }
    }
    let savedMeans = means, savedInverse = inverseDeviations
    result.record([input, scale, offset]) { _, g in
        let gradX = input.isGradientNeeded ? UncheckedSendable(input.gradientPointer()) : nil
        let gradScale = scale.isGradientNeeded ? UncheckedSendable(scale.gradientPointer()) : nil
        let gradOffset = offset.isGradientNeeded ? UncheckedSendable(offset.gradientPointer()) : nil
        parallelChunks(channels) { range in
            for channel in range {
                let mean = savedMeans[channel], inverse = savedInverse[channel]
                var sumG: Double = 0, sumGXhat: Double = 0
                for sample in 0..<batch {
                    let offsetIndex = (sample * channels + channel) * area
                    var partialG: Float = 0, partialGX: Float = 0
                    for i in 0..<area {
                        let gi = g[offsetIndex + i]
                        partialG += gi
                        partialGX += gi * (x[offsetIndex + i] - mean)
                    }
                    sumG += Double(partialG)
                    sumGXhat += Double(partialGX)
                }
                let sumDy = Float(sumG), sumDyXhat = Float(sumGXhat) * inverse
                gradScale?.value[channel] += sumDyXhat
                gradOffset?.value[channel] += sumDy
                guard let gradX else { continue }
                if mode.usesBatchStatistics {
                    let factor = gamma[channel] * inverse / Float(reduced)
                    let meanDy = sumDy, meanTerm = sumDyXhat * inverse
                    for sample in 0..<batch {
                        let offsetIndex = (sample * channels + channel) * area
                        for i in 0..<area {
                            let index = offsetIndex + i
                            let centred = x[index] - mean
                            gradX.value[index] += factor
                                * (Float(reduced) * g[index] - meanDy - centred * meanTerm)
                        }
                    }
                } else {
                    let factor = gamma[channel] * inverse
                    for sample in 0..<batch {
                        let offsetIndex = (sample * channels + channel) * area
                        for i in 0..<area { gradX.value[offsetIndex + i] += factor * g[offsetIndex + i] }
                    }
                }
            }
        }
    }
    return result
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
