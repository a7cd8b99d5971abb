import Foundation
import Testing
import NeuralNetworks
import Basics
import TensorCore

/// The Vision Transformer against timm (Fixtures/make_vit_fixtures.py, seed 1234), its names,
/// its input gradient against central differences, and AdamW against PyTorch.
@Suite struct VisionTransformerTests {
    func tinyViT() -> VisionTransformer {
        var generator = SeededGenerator(seed: 0)
        return VisionTransformer(width: 16, depth: 2, heads: 2, patchSize: 2, inputChannels: 1,
                                 imageHeight: 8, imageWidth: 8, generator: &generator)
    }

    /// timm's tiny ViT loaded from the file PyTorch wrote: output, input gradient and every
    /// parameter gradient within 1e-4.
    @Test func tinyViTFromTimmMatchesItsOutputsAndGradients() throws {
        let data = try fixture("tiny_vit.json")
        let network = tinyViT()
        try Checkpoint(contentsOf: fixtures.appendingPathComponent("tiny_vit.safetensors")).restore(network)
        let input = Tensor(shape: integers(data["input_shape"]), scalars: floats(data["input"]), requiresGradient: true)
        let output = network(input, mode: .training)
        #expect(output.shape == integers(data["output_shape"]))
        let outputDifference = maximumDifference(output.scalars, floats(data["output"]))
        #expect(outputDifference < 1e-4, "output: max difference \(outputDifference)")
        (output * Tensor(shape: output.shape, scalars: floats(data["probe"]))).sum().backward()
        let inputDifference = maximumDifference(input.gradient!.scalars, floats(data["input_gradient"]))
        #expect(inputDifference < 1e-4, "input gradient: max difference \(inputDifference)")
        let expected = try #require(data["gradients"] as? [String: Any])
        #expect(expected.count == network.namedParameters.count)
        for named in network.namedParameters {
            let difference = maximumDifference(named.tensor.gradient?.scalars ?? [], floats(expected[named.name]))
            #expect(difference < 1e-4, "\(named.name): max difference \(difference)")
        }
    }

    /// nrcc writes exactly timm's state_dict (names, shapes, order) for the tiny ViT and for
    /// ViT-Tiny on 32x32x3 with patch 4, so its checkpoints load with `strict=True`.
    @Test func namesAndShapesAreTimms() throws {
        func listed(_ name: String) throws -> [String] {
            let entries = try #require(try fixture(name)["names"] as? [[String: Any]])
            return entries.map { "\($0["name"] as! String) \(integers($0["shape"]))" }
        }
        #expect(tinyViT().namedState.map { "\($0.name) \($0.tensor.shape)" } == (try listed("tiny_vit.json")))
        var generator = SeededGenerator(seed: 0)
        let vitTiny = VisionTransformer(variant: .tiny, patchSize: 4, inputChannels: 3, imageHeight: 32, imageWidth: 32,
                                        generator: &generator)
        #expect(vitTiny.namedState.map { "\($0.name) \($0.tensor.shape)" } == (try listed("vit_tiny_names.json")))
        #expect(vitTiny.featureSize == 192)
        // timm: sum(p.numel() for p in model.parameters()) for this shape.
        #expect(vitTiny.parameterCount == 5_360_832)
    }

    /// A checkpoint written from the tiny ViT has timm's tensors and reads back bit for bit.
    @Test func checkpointRoundTrip() throws {
        let network = tinyViT()
        var checkpoint = Checkpoint()
        checkpoint.store(network)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("nrcc-vit-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: file) }
        try checkpoint.write(to: file)
        var generator = SeededGenerator(seed: 7)
        let other = VisionTransformer(width: 16, depth: 2, heads: 2, patchSize: 2, inputChannels: 1,
                                      imageHeight: 8, imageWidth: 8, generator: &generator)
        try Checkpoint(contentsOf: file).restore(other)
        #expect(zip(network.namedState, other.namedState).allSatisfy { $0.tensor.scalars == $1.tensor.scalars })
        // For the reverse check with timm: NRCC_VIT_CHECKPOINT=path swift test ... then
        // `python3 make_vit_fixtures.py path` loads it strictly.
        if let path = ProcessInfo.processInfo.environment["NRCC_VIT_CHECKPOINT"] {
            var fromTimm = Checkpoint()
            let loaded = tinyViT()
            try Checkpoint(contentsOf: fixtures.appendingPathComponent("tiny_vit.safetensors")).restore(loaded)
            fromTimm.store(loaded)
            try fromTimm.write(to: URL(fileURLWithPath: path))
        }
    }

    /// SGHMC differentiates the energy with respect to the images: the ViT's input gradient
    /// against central differences (tiny ViT, random weights drawn larger than timm's so that
    /// every block matters).
    @Test func inputGradientMatchesCentralDifferences() {
        let network = tinyViT()
        var generator = SeededGenerator(seed: 3)
        for named in network.namedParameters where named.tensor.rank >= 2 {
            named.tensor.assign(Tensor.randomNormal(named.tensor.shape, standardDeviation: 0.3, generator: &generator))
        }
        let images = Tensor.randomNormal([2, 1, 8, 8], generator: &generator)
        let weights = Tensor.randomNormal([2, 16], generator: &generator)
        images.requiresGradient = true
        let analytic = gradients(of: (network(images, mode: .training) * weights).sum(), withRespectTo: [images])[0].scalars
        func objective() -> Float {
            withoutGradient { (network(images, mode: .training) * weights).sum().scalar }
        }
        let step: Float = 1e-2
        var worst: Float = 0
        for index in stride(from: 0, to: images.count, by: 3) {
            let original = images.scalars[index]
            images.withUnsafeMutableBufferPointer { $0[index] = original + step }
            let plus = objective()
            images.withUnsafeMutableBufferPointer { $0[index] = original - step }
            let minus = objective()
            images.withUnsafeMutableBufferPointer { $0[index] = original }
            let numeric = (plus - minus) / (2 * step)
            worst = max(worst, abs(numeric - analytic[index]) / (3e-3 + 2e-2 * abs(numeric)))
        }
        #expect(worst <= 1, "worst error as a share of the tolerance: \(worst)")
    }

    /// torch.optim.AdamW, three steps (Fixtures/adamw.json): within 1e-6.
    @Test func adamWMatchesPyTorch() throws {
        let data = try fixture("adamw.json")
        let parameter = Tensor(shape: integers(data["shape"]), scalars: floats(data["start"]), requiresGradient: true)
        let optimizer = AdamW(groups: [.init(parameters: [parameter], weightDecay: (data["weight_decay"] as! NSNumber).floatValue)])
        let gradientsList = try #require(data["gradients"] as? [[NSNumber]])
        let afterList = try #require(data["after"] as? [[NSNumber]])
        for (gradient, after) in zip(gradientsList, afterList) {
            (parameter * Tensor(shape: parameter.shape, scalars: gradient.map(\.floatValue))).sum().backward()
            optimizer.step(learningRate: (data["learning_rate"] as! NSNumber).floatValue)
            optimizer.zeroGradients()
            let difference = maximumDifference(parameter.scalars, after.map(\.floatValue))
            #expect(difference < 1e-6, "step \(optimizer.stepCount): max difference \(difference)")
        }
        #expect(optimizer.namedState.map(\.name) == ["exp_avg.0.0", "exp_avg_sq.0.0"])
    }
}
