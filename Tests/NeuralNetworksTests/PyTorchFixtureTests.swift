import Foundation
import Testing
import NeuralNetworks
import Basics
import TensorCore

/// Forward and backward against values PyTorch computed (Fixtures/make_fixtures.py, seed 1234).
@Suite struct PyTorchFixtureTests {
    /// conv (stride 2, padding 1) -> BatchNorm2d in training -> ReLU; tolerance 1e-4.
    @Test func convolutionBatchNormReLUBlock() throws {
        let data = try fixture("conv_bn_relu.json")
        let input = Tensor(shape: integers(data["input_shape"]), scalars: floats(data["input"]), requiresGradient: true)
        let weight = Tensor(shape: integers(data["weight_shape"]), scalars: floats(data["weight"]), requiresGradient: true)
        let channels = weight.shape[0]
        let scale = Tensor(shape: [channels], scalars: floats(data["scale"]), requiresGradient: true)
        let offset = Tensor(shape: [channels], scalars: floats(data["offset"]), requiresGradient: true)
        let runningMean = Tensor.zeros([channels])
        let runningVariance = Tensor(shape: [channels], repeating: 1)
        let convolved = conv2d(input, weight: weight, stride: data["stride"] as! Int, padding: data["padding"] as! Int)
        let output = batchNormalized(convolved, scale: scale, offset: offset, runningMean: runningMean,
                                     runningVariance: runningVariance, mode: .training).relu()
        #expect(output.shape == integers(data["output_shape"]))
        #expect(maximumDifference(output.scalars, floats(data["output"])) < 1e-4)
        let probe = Tensor(shape: output.shape, scalars: floats(data["probe"]))
        (output * probe).sum().backward()
        #expect(maximumDifference(input.gradient!.scalars, floats(data["input_gradient"])) < 1e-4)
        #expect(maximumDifference(weight.gradient!.scalars, floats(data["weight_gradient"])) < 1e-4)
        #expect(maximumDifference(scale.gradient!.scalars, floats(data["scale_gradient"])) < 1e-4)
        #expect(maximumDifference(offset.gradient!.scalars, floats(data["offset_gradient"])) < 1e-4)
        #expect(maximumDifference(runningMean.scalars, floats(data["running_mean"])) < 1e-5)
        #expect(maximumDifference(runningVariance.scalars, floats(data["running_var"])) < 1e-5)
    }

    /// A predictor head (Linear-BN1d-ReLU-Linear, training) and the BYOL loss
    /// mean(2 - 2 cos(q(h), z)); tolerance 1e-5 on the loss, 1e-4 on gradients.
    @Test func byolLossThroughPredictorHead() throws {
        let data = try fixture("byol_loss.json")
        let shape = integers(data["features_shape"])
        let features = Tensor(shape: shape, scalars: floats(data["features"]), requiresGradient: true)
        let target = Tensor(shape: integers(data["target_shape"]), scalars: floats(data["target"]))
        var generator = SeededGenerator(seed: 0)
        let head = ProjectionHead(inputSize: shape[1], hiddenSize: 7, outputSize: target.shape[1], generator: &generator)
        let parameters = try #require(data["parameters"] as? [String: [String: Any]])
        #expect(Set(parameters.keys) == Set(head.namedParameters.map(\.name)))
        for named in head.namedParameters {
            let values = floats(parameters[named.name]?["values"])
            #expect(integers(parameters[named.name]?["shape"]) == named.tensor.shape, "\(named.name)")
            named.tensor.withUnsafeMutableBufferPointer { buffer in
                for index in 0..<buffer.count { buffer[index] = values[index] }
            }
        }
        let prediction = head(features, mode: .training)
        #expect(maximumDifference(prediction.scalars, floats(data["prediction"])) < 1e-4)
        let loss = (2 - 2 * cosineSimilarity(prediction, target)).mean()
        #expect(abs(loss.scalar - (data["loss"] as! NSNumber).floatValue) < 1e-5)
        loss.backward()
        #expect(maximumDifference(features.gradient!.scalars, floats(data["features_gradient"])) < 1e-4)
        for named in head.namedParameters {
            let expected = floats(parameters[named.name]?["gradient"])
            #expect(maximumDifference(named.tensor.gradient!.scalars, expected) < 1e-4, "\(named.name)")
        }
    }
}

/// A whole ResNet-18 (width 2, CIFAR stem, 1 channel) loaded from a file PyTorch wrote, run
/// in training mode: output, input gradient, every parameter gradient and the updated
/// running statistics against PyTorch's; tolerance 1e-3 relative to each array's scale.
@Suite struct WholeNetworkFixtureTests {
    @Test func tinyResNetForwardBackwardAndStatistics() throws {
        let data = try fixture("tiny_resnet.json")
        var generator = SeededGenerator(seed: 0)
        let network = ResNet(depth: .resnet18, width: 2, inputChannels: 1, generator: &generator)
        try Checkpoint(contentsOf: fixtures.appendingPathComponent("tiny_resnet.safetensors")).restore(network)
        let input = Tensor(shape: integers(data["input_shape"]), scalars: floats(data["input"]), requiresGradient: true)
        let output = network(input, mode: .training)
        #expect(output.shape == integers(data["output_shape"]))
        func close(_ ours: [Float], _ theirs: [Float], _ label: String) {
            let scale = max(1e-3, theirs.reduce(Float(0)) { max($0, abs($1)) })
            let difference = maximumDifference(ours, theirs)
            #expect(difference <= 1e-3 * scale, "\(label): max difference \(difference), scale \(scale)")
        }
        close(output.scalars, floats(data["output"]), "output")
        (output * Tensor(shape: output.shape, scalars: floats(data["probe"]))).sum().backward()
        close(input.gradient!.scalars, floats(data["input_gradient"]), "input gradient")
        let expectedGradients = try #require(data["gradients"] as? [String: Any])
        #expect(expectedGradients.count == network.namedParameters.count)
        for named in network.namedParameters {
            close(named.tensor.gradient?.scalars ?? [], floats(expectedGradients[named.name]), named.name)
        }
        let stateAfter = try #require(data["state_after"] as? [String: Any])
        for named in network.namedBuffers {
            close(named.tensor.scalars, floats(stateAfter[named.name]), named.name)
        }
    }
}
