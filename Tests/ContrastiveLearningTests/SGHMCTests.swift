import ContrastiveLearning
import NeuralNetworks
import Testing
import Basics
import TensorCore

/// conv3x3 (1 -> 4, padding 1, no bias) -> BN2d -> ReLU -> global average pool: the
/// backbone of Fixtures/sghmc.json.
final class TinyBackbone: Layer {
    let convolution: Conv2D
    let normalization = BatchNorm(channels: 4)

    init(fixture: [String: Any]) {
        var generator = SeededGenerator(seed: 0)
        convolution = Conv2D(inputChannels: 1, outputChannels: 4, kernelSize: 3, padding: 1, generator: &generator)
        convolution.weight.assign(tensor(fixture["convolutionWeight"], [4, 1, 3, 3]))
        normalization.scale.assign(tensor(fixture["batchNormScale"], [4]))
        normalization.offset.assign(tensor(fixture["batchNormOffset"], [4]))
        setRequiresGradient(false)
    }

    func callAsFunction(_ input: Tensor, mode: ForwardMode) -> Tensor {
        normalization(convolution(input, mode: mode), mode: mode).relu().globalAveragePooled()
    }

    var namedParameters: [NamedTensor] { convolution.namedParameters + normalization.namedParameters }
    var namedBuffers: [NamedTensor] { normalization.namedBuffers }
}

@Suite struct SGHMCTests {
    @Test func energyAndItsGradientMatchPyTorch() throws {
        let fixture = try loadFixture("sghmc.json")
        let n = fixture["count"] as! Int, size = fixture["size"] as! Int
        let shape = [n, 1, size, size]
        let backbone = TinyBackbone(fixture: fixture)
        let reference = withoutGradient { backbone(tensor(fixture["viewB"], shape), mode: .trainingWithoutStatisticsUpdate) }
        let images = tensor(fixture["seeds"], shape, requiresGradient: true)
        let energy = sghmcEnergy(images: images, referenceFeatures: reference, backbone: backbone)
        let expected = floats([fixture["energy"]!])[0]
        #expect(closeness([energy.scalar], [expected]) <= 1, "energy \(energy.scalar) vs \(expected)")
        let gradient = gradients(of: energy, withRespectTo: [images])[0]
        #expect(closeness(gradient.scalars, floats(fixture["energyGradient"]), absolute: 1e-4, relative: 1e-3) <= 1)
    }

    /// One (and several) SGHMC steps with fixed noise, and the `hmc` and `mc` ablations.
    @Test(arguments: ["sghmc1", "sghmc3", "hmc2", "mc2"])
    func viewsMatchPyTorch(name: String) throws {
        let fixture = try loadFixture("sghmc.json")
        let n = fixture["count"] as! Int, size = fixture["size"] as! Int
        let shape = [n, 1, size, size]
        let backbone = TinyBackbone(fixture: fixture)
        let reference = withoutGradient { backbone(tensor(fixture["viewB"], shape), mode: .trainingWithoutStatisticsUpdate) }
        let entry = (fixture["cases"] as! [String: Any])[name] as! [String: Any]
        let settings = SGHMCSettings(variant: SGHMCSettings.Variant(rawValue: entry["variant"] as! String)!,
                                     steps: entry["steps"] as! Int)
        let noise = SGHMCNoise(initialMomentum: tensor(fixture["initialMomentum"], shape),
                               stepNoise: (fixture["stepNoise"] as! [Any]).map { tensor($0, shape) })
        let views = sghmcViews(seeds: tensor(fixture["seeds"], shape), referenceFeatures: reference,
                               backbone: backbone, settings: settings, noise: noise)
        #expect(views.shape == shape)
        #expect(!views.requiresGradient)
        let distance = closeness(views.scalars, floats(entry["views"]), absolute: 1e-5, relative: 1e-4)
        #expect(distance <= 1, "\(name): closeness \(distance)")

        // The first step's gradient taken from a forward pass over the seeds made elsewhere
        // (as a training step shares its own) gives the same views, bit for bit.
        let seeds = tensor(fixture["seeds"], shape, requiresGradient: true)
        let seedGradient = gradients(of: sghmcEnergy(features: backbone(seeds, mode: .training), referenceFeatures: reference),
                                     withRespectTo: [seeds])[0]
        let shared = sghmcViews(seeds: seeds.detached(), referenceFeatures: reference, backbone: backbone,
                                settings: settings, noise: noise, seedGradient: seedGradient)
        #expect(shared.scalars == views.scalars, "\(name): a shared seed gradient changes the views")
    }

    /// The `normalized` variant: SGHMC's step with grad_x E rescaled, image by image, to a
    /// root mean square of 1, so that the energy moves x as far as the noise does.
    @Test func normalizedVariantStepsByTheUnitGradient() throws {
        let fixture = try loadFixture("sghmc.json")
        let n = fixture["count"] as! Int, size = fixture["size"] as! Int
        let shape = [n, 1, size, size], imageSize = size * size
        let backbone = TinyBackbone(fixture: fixture)
        let reference = withoutGradient { backbone(tensor(fixture["viewB"], shape), mode: .trainingWithoutStatisticsUpdate) }
        let seeds = tensor(fixture["seeds"], shape, requiresGradient: true)
        let gradient = gradients(of: sghmcEnergy(images: seeds, referenceFeatures: reference, backbone: backbone),
                                 withRespectTo: [seeds])[0].scalars
        let settings = SGHMCSettings(variant: .normalized)
        let noise = SGHMCNoise(initialMomentum: tensor(fixture["initialMomentum"], shape),
                               stepNoise: (fixture["stepNoise"] as! [Any]).map { tensor($0, shape) })
        let views = sghmcViews(seeds: seeds.detached(), referenceFeatures: reference, backbone: backbone,
                               settings: settings, noise: noise).scalars
        let x = seeds.scalars, p0 = noise.initialMomentum.scalars, xi = noise.stepNoise[0].scalars
        var expected = [Float](repeating: 0, count: x.count)
        for image in 0..<n {
            let pixels = image * imageSize..<(image + 1) * imageSize
            let rms = (pixels.map { gradient[$0] * gradient[$0] }.reduce(0, +) / Float(imageSize)).squareRoot()
            #expect(rms > 0)
            for i in pixels {
                let momentum = (1 - settings.friction) * p0[i] - gradient[i] / rms + settings.noiseScale * xi[i]
                expected[i] = x[i] + settings.stepSize * momentum
            }
        }
        #expect(closeness(views, expected, absolute: 1e-6, relative: 1e-5) <= 1)

        // Without momentum and noise the move is the unit gradient alone, against the energy.
        let silent = SGHMCNoise(initialMomentum: Tensor.zeros(shape), stepNoise: [Tensor.zeros(shape)])
        let moved = sghmcViews(seeds: seeds.detached(), referenceFeatures: reference, backbone: backbone,
                               settings: settings, noise: silent).scalars
        for image in 0..<n {
            let pixels = image * imageSize..<(image + 1) * imageSize
            let steps = pixels.map { (moved[$0] - x[$0]) / settings.stepSize }
            let rms = (steps.map { $0 * $0 }.reduce(0, +) / Float(imageSize)).squareRoot()
            #expect(abs(rms - 1) < 1e-4, "image \(image): the step's root mean square is \(rms)")
            let alignment = zip(steps, pixels.map { gradient[$0] }).map(*).reduce(0, +)
            #expect(alignment < 0, "image \(image) moved up the energy")
        }
    }

    /// The energy passes use batch statistics and leave every running statistic, batch
    /// counter, parameter and parameter gradient of the frozen backbone untouched.
    @Test func energyPassLeavesBackboneStateUnchanged() {
        var generator = SeededGenerator(seed: 11)
        let backbone = ResNet(depth: .resnet18, width: 2, inputChannels: 1, generator: &generator)
        // Give the running statistics values that a batch would certainly change.
        for buffer in backbone.namedBuffers where !buffer.isCounter {
            buffer.tensor.assign(Tensor.randomUniform(buffer.tensor.shape, lower: 0.5, upper: 2, generator: &generator))
        }
        backbone.setRequiresGradient(false)
        let before = backbone.namedState.map { $0.tensor.scalars }
        let seeds = Tensor.randomNormal([6, 1, 12, 12], generator: &generator)
        let viewB = Tensor.randomNormal([6, 1, 12, 12], generator: &generator)
        let reference = withoutGradient { backbone(viewB, mode: .trainingWithoutStatisticsUpdate) }
        for settings in [SGHMCSettings(steps: 2), SGHMCSettings(resampleSize: 16)] {
            let views = sghmcViews(seeds: seeds, referenceFeatures: reference, backbone: backbone,
                                   settings: settings, generator: &generator)
            #expect(views.shape == seeds.shape)
            #expect(views.scalars != seeds.scalars, "SGHMC moved the images")
        }
        let after = backbone.namedState.map { $0.tensor.scalars }
        for (index, entry) in backbone.namedState.enumerated() {
            #expect(before[index] == after[index], "\(entry.name) changed")
            #expect(entry.tensor.gradient == nil, "\(entry.name) has a gradient")
        }
    }
}
