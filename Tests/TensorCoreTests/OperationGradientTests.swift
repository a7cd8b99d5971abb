import Testing
import Basics
import TensorCore

/// Every op's gradient against central differences, for all of its tensor arguments.
@Suite struct OperationGradientTests {
    @Test func elementwiseArithmeticWithBroadcasting() {
        checkGradients([random([3, 4], seed: 1), random([3, 4], seed: 2)]) { $0[0] + $0[1] }
        checkGradients([random([3, 4], seed: 1), random([4], seed: 2)]) { $0[0] - $0[1] }
        checkGradients([random([3, 4], seed: 1), random([3, 1], seed: 2)]) { $0[0] * $0[1] }
        checkGradients([random([2, 3, 2, 2], seed: 1), random([1, 3, 1, 1], seed: 2)]) { $0[0] * $0[1] }
        checkGradients([random([3, 4], seed: 1), positive([1, 4], seed: 2)]) { $0[0] / $0[1] }
        checkGradients([random([3, 4], seed: 1)]) { 2 - $0[0] * 3 + 1 }
    }

    @Test func unaryMaps() {
        checkGradients([random([3, 5], seed: 3)]) { $0[0].exp() }
        checkGradients([positive([3, 5], seed: 4)]) { $0[0].log() }
        checkGradients([positive([3, 5], seed: 5)]) { $0[0].sqrt() }
        checkGradients([random([3, 5], seed: 6)]) { $0[0].squared() }
        checkGradients([random([4, 5], seed: 7)]) { $0[0].relu() }
        // Inputs kept away from the kinks, where central differences straddle them.
        let spread = Tensor(shape: [4, 5], scalars: (0..<20).map { Float($0) * 0.13 - 1.27 })
        checkGradients([spread]) { $0[0].clamped(lower: -0.5, upper: 0.7) }
    }

    @Test func reductions() {
        checkGradients([random([2, 3, 4], seed: 9)]) { $0[0].sum() }
        checkGradients([random([2, 3, 4], seed: 10)]) { $0[0].sum(alongAxis: 1) }
        checkGradients([random([2, 3, 4], seed: 11)]) { $0[0].mean(alongAxes: [0, 2], keepingDimensions: true) }
        checkGradients([random([2, 3, 4], seed: 12)]) { $0[0].mean(alongAxis: -1) }
        checkGradients([random([2, 3, 3, 2], seed: 13)]) { $0[0].globalAveragePooled() }
        checkGradients([random([3, 6], seed: 14, scale: 2)]) { $0[0].logSumExp() }
        checkGradients([random([3, 6], seed: 52, scale: 2)]) { $0[0].softmaxRows() }
    }

    @Test func softmaxRowsArePositiveAndSumToOne() {
        let probabilities = Tensor(shape: [2, 3], scalars: [1000, 0, -1000, 1, 2, 3]).softmaxRows().scalars
        #expect(probabilities.allSatisfy { $0 >= 0 && $0.isFinite })
        #expect(abs(probabilities[0] - 1) < 1e-6 && abs(probabilities[3...].reduce(0, +) - 1) < 1e-6)
        // softmax(1, 2, 3) = (0.0900, 0.2447, 0.6652).
        #expect(abs(probabilities[5] - 0.665241) < 1e-5)
    }

    @Test func matrixProductsInEveryTransposition() {
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let a = random(transposeA ? [4, 3] : [3, 4], seed: 15)
                let b = random(transposeB ? [5, 4] : [4, 5], seed: 16)
                checkGradients([a, b]) { matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
            }
        }
        checkGradients([random([3, 4], seed: 17), random([2, 4], seed: 18), random([2], seed: 19)]) {
            linear($0[0], weight: $0[1], bias: $0[2])
        }
    }

    @Test func convolutionWithStrideAndPadding() {
        for (stride, padding, kernel) in [(1, 1, 3), (2, 1, 3), (2, 0, 1), (1, 0, 2)] {
            checkGradients([random([2, 3, 5, 5], seed: 20), random([4, 3, kernel, kernel], seed: 21, scale: 0.5)],
                           step: 1e-2, absolute: 4e-3) {
                conv2d($0[0], weight: $0[1], stride: stride, padding: padding)
            }
        }
    }

    /// `.training` differentiates exactly as `.trainingWithoutStatisticsUpdate` (it only also
    /// updates running statistics, which repeated evaluation here must not do).
    @Test func batchNormalizationInBothStatisticsModes() {
        for mode in [ForwardMode.trainingWithoutStatisticsUpdate, .evaluation] {
            let runningMean = random([3], seed: 22, scale: 0.3)
            let runningVariance = positive([3], seed: 23)
            checkGradients([random([4, 3, 2, 2], seed: 24), positive([3], seed: 25), random([3], seed: 26)],
                           step: 5e-3, absolute: 5e-3) {
                batchNormalized($0[0], scale: $0[1], offset: $0[2], runningMean: runningMean,
                                runningVariance: runningVariance, mode: mode)
            }
            let runningMean1D = random([4], seed: 27, scale: 0.3)
            let runningVariance1D = positive([4], seed: 28)
            checkGradients([random([6, 4], seed: 29), positive([4], seed: 30), random([4], seed: 31)],
                           step: 5e-3, absolute: 5e-3) {
                batchNormalized($0[0], scale: $0[1], offset: $0[2], runningMean: runningMean1D,
                                runningVariance: runningVariance1D, mode: mode)
            }
        }
    }

    /// The residual addition folded into batch normalisation, both statistics modes, on
    /// planes wider than the eight-float lanes of the kernel (a vector body and a tail).
    @Test func batchNormalizationWithResidual() {
        for mode in [ForwardMode.trainingWithoutStatisticsUpdate, .evaluation] {
            let runningMean = random([2], seed: 60, scale: 0.3)
            let runningVariance = positive([2], seed: 61)
            checkGradients([random([3, 2, 3, 5], seed: 62), positive([2], seed: 63), random([2], seed: 64),
                            random([3, 2, 3, 5], seed: 65)], step: 5e-3, absolute: 5e-3) {
                batchNormalized($0[0], scale: $0[1], offset: $0[2], runningMean: runningMean,
                                runningVariance: runningVariance, mode: mode, adding: $0[3])
            }
        }
    }

    /// `batchNormalized(x, adding: r, relu: true)` gives the values, gradients and running
    /// statistics of batch normalisation, then `+ r`, then `relu()` (1-D and 2-D, every mode),
    /// and the fused ReLU alone those of BN then `relu()`.
    @Test(arguments: [[5, 3, 4, 5], [6, 4]])
    func fusedResidualAndReLUMatchTheComposition(shape: [Int]) {
        let channels = shape[1]
        for mode in [ForwardMode.training, .trainingWithoutStatisticsUpdate, .evaluation] {
            for withResidual in [true, false] {
                func run(fused: Bool) -> (output: [Float], gradients: [[Float]], running: [Float]) {
                    let x = random(shape, seed: 70), r = random(shape, seed: 71)
                    let scale = positive([channels], seed: 72), offset = random([channels], seed: 73)
                    let runningMean = random([channels], seed: 74, scale: 0.3)
                    let runningVariance = positive([channels], seed: 75)
                    let inputs = [x, scale, offset] + (withResidual ? [r] : [])
                    for tensor in inputs { tensor.requiresGradient = true }
                    let y: Tensor
                    if fused {
                        y = batchNormalized(x, scale: scale, offset: offset, runningMean: runningMean,
                                            runningVariance: runningVariance, mode: mode,
                                            adding: withResidual ? r : nil, relu: true)
                    } else {
                        let normalized = batchNormalized(x, scale: scale, offset: offset, runningMean: runningMean,
                                                         runningVariance: runningVariance, mode: mode)
                        y = (withResidual ? normalized + r : normalized).relu()
                    }
                    let weights = random(shape, seed: 76)
                    let grads = gradients(of: (y * weights).sum(), withRespectTo: inputs)
                    return (y.scalars, grads.map(\.scalars), runningMean.scalars + runningVariance.scalars)
                }
                let fused = run(fused: true), composed = run(fused: false)
                func largestDifference(_ a: [Float], _ b: [Float]) -> Float {
                    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
                }
                #expect(largestDifference(fused.output, composed.output) < 1e-5, "\(mode) residual \(withResidual)")
                #expect(largestDifference(fused.running, composed.running) == 0, "\(mode) residual \(withResidual)")
                #expect(fused.gradients.count == composed.gradients.count)
                for (index, (a, b)) in zip(fused.gradients, composed.gradients).enumerated() {
                    #expect(largestDifference(a, b) < 1e-4, "\(mode) residual \(withResidual) input \(index): \(a) vs \(b)")
                }
            }
        }
    }

    /// Batch statistics of values far from zero (mean 1000, spread 1) normalise as the
    /// exact statistics do: a one-sweep variance must not lose it to cancellation.
    @Test func batchStatisticsStayAccurateFarFromZero() {
        let shape = [8, 3, 5, 5], channels = 3, area = 25
        let x = random(shape, seed: 80) + 1000
        let y = batchNormalized(x, scale: Tensor(shape: [channels], repeating: 1), offset: Tensor.zeros([channels]),
                                runningMean: Tensor.zeros([channels]), runningVariance: Tensor(shape: [channels], repeating: 1),
                                mode: .trainingWithoutStatisticsUpdate, epsilon: 0)
        let values = x.scalars.map(Double.init), outputs = y.scalars
        var largest: Double = 0
        for channel in 0..<channels {
            var indices: [Int] = []
            for sample in 0..<shape[0] {
                let start: Int = (sample * channels + channel) * area
                indices += Array(start..<(start + area))
            }
            let channelValues: [Double] = indices.map { values[$0] }
            let mean: Double = channelValues.reduce(0, +) / Double(indices.count)
            let squares: [Double] = channelValues.map { ($0 - mean) * ($0 - mean) }
            let deviation: Double = (squares.reduce(0, +) / Double(indices.count)).squareRoot()
            for index in indices {
                let expected: Double = (values[index] - mean) / deviation
                largest = max(largest, abs(Double(outputs[index]) - expected))
            }
        }
        #expect(largest < 2e-3, "largest difference \(largest)")
    }

    @Test func normalisationAndSimilarity() {
        checkGradients([random([4, 5], seed: 30)]) { $0[0].l2NormalizedRows() }
        checkGradients([random([4, 5], seed: 31), random([4, 5], seed: 32)]) { cosineSimilarity($0[0], $0[1]) }
    }

    @Test func softmaxCrossEntropyLoss() {
        checkGradients([random([4, 5], seed: 33, scale: 2)]) { softmaxCrossEntropy(logits: $0[0], labels: [0, 4, 2, 2]) }
    }

    @Test func resizingPoolingAndBatchOps() {
        checkGradients([random([2, 2, 5, 4], seed: 34)]) { $0[0].resizedBilinear(height: 7, width: 3) }
        checkGradients([random([2, 2, 5, 5], seed: 35)]) { $0[0].maxPooled(kernelSize: 3, stride: 2, padding: 1) }
        checkGradients([random([3, 4], seed: 36), random([2, 4], seed: 37)]) { concatenate(batch: [$0[0], $0[1]]) }
        checkGradients([random([5, 2, 2], seed: 38)]) { $0[0].slice(batch: 1..<4) }
        checkGradients([random([3, 4], seed: 40)]) { $0[0].transposed() }
        checkGradients([random([2, 6], seed: 39)]) { $0[0].reshaped([3, -1]) * $0[0].reshaped([3, 4]) }
    }
}
