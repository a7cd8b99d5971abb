import Testing
import NeuralNetworks
import Basics
import TensorCore

/// The three modes of batch normalisation (SPEC §1, §3).
@Suite struct BatchNormTests {
    let input = random([8, 3, 4, 4], seed: 31, scale: 2) + 1.5

    func channelStatistics(_ x: Tensor) -> (mean: [Float], biasedVariance: [Float]) {
        let mean = x.mean(alongAxes: [0, 2, 3], keepingDimensions: true)
        let variance = (x - mean).squared().mean(alongAxes: [0, 2, 3])
        return (mean.scalars, variance.scalars)
    }

    @Test func trainingNormalisesWithBatchStatisticsAndUpdatesRunningOnes() {
        let layer = BatchNorm(channels: 3)
        let output = layer(input, mode: .training)
        let after = channelStatistics(output)
        #expect(after.mean.allSatisfy { abs($0) < 1e-5 })
        #expect(after.biasedVariance.allSatisfy { abs($0 - 1) < 1e-3 })
        let before = channelStatistics(input)
        let n = Float(8 * 4 * 4)
        for channel in 0..<3 {
            #expect(abs(layer.runningMean.scalars[channel] - 0.1 * before.mean[channel]) < 1e-5)
            let unbiased = before.biasedVariance[channel] * n / (n - 1)
            #expect(abs(layer.runningVariance.scalars[channel] - (0.9 + 0.1 * unbiased)) < 1e-4)
        }
        #expect(layer.batchesTracked.scalar == 1)
    }

    @Test func trainingWithoutUpdateLeavesRunningStatisticsAlone() {
        let layer = BatchNorm(channels: 3)
        let reference = layer(input, mode: .training).scalars
        let mean = layer.runningMean.scalars, variance = layer.runningVariance.scalars
        let output = layer(input, mode: .trainingWithoutStatisticsUpdate)
        #expect(maximumDifference(output.scalars, reference) < 1e-6)
        #expect(layer.runningMean.scalars == mean && layer.runningVariance.scalars == variance)
        #expect(layer.batchesTracked.scalar == 1)
    }

    @Test func evaluationUsesRunningStatistics() {
        let layer = BatchNorm(channels: 3)
        layer.runningMean.assign(Tensor(shape: [3], scalars: [1, -2, 0.5]))
        layer.runningVariance.assign(Tensor(shape: [3], scalars: [4, 0.25, 1]))
        layer.scale.assign(Tensor(shape: [3], scalars: [2, 1, -1]))
        layer.offset.assign(Tensor(shape: [3], scalars: [0, 3, 1]))
        let x = Tensor(shape: [1, 3, 1, 1], scalars: [3, -1, 0.5])
        let y = layer(x, mode: .evaluation).scalars
        let expected: [Float] = [2 * (3 - 1) / (4 + 1e-5).squareRoot(),
                                 (-1 + 2) / (0.25 + 1e-5).squareRoot() + 3,
                                 1]
        #expect(maximumDifference(y, expected) < 1e-5)
        #expect(layer.runningMean.scalars == [1, -2, 0.5])
    }

    @Test func noGradientModeRecordsNothingButStillUpdatesStatistics() {
        let layer = BatchNorm(channels: 3)
        let output = withoutGradient { layer(input, mode: .training) }
        #expect(!output.requiresGradient)
        #expect(layer.runningMean.scalars.contains { $0 != 0 })
    }
}
