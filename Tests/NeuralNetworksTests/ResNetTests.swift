import Foundation
import Testing
import NeuralNetworks
import Basics
import TensorCore

@Suite struct ResNetTests {
    /// Features [N, 8 width] for the narrow CPU default and the standard network.
    @Test func outputShapes() {
        var generator = SeededGenerator(seed: 1)
        let narrow = ResNet(depth: .resnet18, width: 16, inputChannels: 1, generator: &generator)
        #expect(narrow(random([2, 1, 28, 28], seed: 2), mode: .training).shape == [2, 128])
        #expect(narrow(random([2, 1, 8, 8], seed: 3), mode: .evaluation).shape == [2, 128])
        let deeper = ResNet(depth: .resnet34, width: 4, inputChannels: 3, generator: &generator)
        #expect(deeper(random([2, 3, 16, 16], seed: 4), mode: .training).shape == [2, 32])
        let imagenet = ResNet(depth: .resnet18, width: 8, inputChannels: 3, stem: .imagenet, generator: &generator)
        #expect(imagenet(random([2, 3, 32, 32], seed: 5), mode: .training).shape == [2, 64])
    }

    /// The forward pass in training, whose convolutions hand their outputs' sums to batch
    /// normalisation, gives what convolving and then normalising apart gives (batch norm then
    /// reads each output for its statistics), on 28x28 images whose every convolution runs the
    /// direct kernels, and on 8x8 ones whose last stages do not; and the same gradients.
    @Test(arguments: [28, 8])
    func handedOverMomentsChangeNothing(size: Int) {
        var generator = SeededGenerator(seed: 11)
        let network = ResNet(depth: .resnet18, width: 16, inputChannels: 1, generator: &generator)
        let images = random([6, 1, size, size], seed: 12, scale: 3)
        func apart(_ input: Tensor, _ convolution: Conv2D, _ normalization: BatchNorm,
                   adding residual: Tensor? = nil, relu: Bool) -> Tensor {
            normalization(convolution(input, mode: .trainingWithoutStatisticsUpdate), mode: .trainingWithoutStatisticsUpdate,
                          adding: residual, relu: relu)
        }
        // One graph at a time: a layer's convolutions keep scratch for their backward pass.
        let weights = random([6, 128], seed: 13)
        let parameters = network.namedParameters.map(\.tensor)
        let features = network(images, mode: .trainingWithoutStatisticsUpdate)
        let ours = gradients(of: (features * weights).sum(), withRespectTo: parameters)
        var x = apart(images, network.conv1, network.bn1, relu: true)
        for block in network.stages.joined() {
            let hidden = apart(x, block.conv1, block.bn1, relu: true)
            let shortcut = block.downsample.map { apart(x, $0.convolution, $0.normalization, relu: false) } ?? x
            x = apart(hidden, block.conv2, block.bn2, adding: shortcut, relu: true)
        }
        let expected = x.globalAveragePooled()
        let theirs = gradients(of: (expected * weights).sum(), withRespectTo: parameters)
        let scale = expected.scalars.reduce(Float(1)) { max($0, abs($1)) }
        #expect(zip(features.scalars, expected.scalars).allSatisfy { abs($0 - $1) <= 1e-4 * scale })
        // A shift far from a near-constant channel's values (the running mean at initialisation)
        // put these 2-5% apart; each plane's own first value keeps them to rounding.
        for (a, b) in zip(ours, theirs) {
            let size = b.scalars.reduce(Float(1e-3)) { max($0, abs($1)) }
            let worst = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-3 * size, "gradient of shape \(a.shape): off by \(worst), largest \(size)")
        }
    }

    /// Parameter and buffer names and shapes equal torchvision's resnet18 state_dict with the
    /// CIFAR stem and no fc (Fixtures/resnet18_cifar_names.json).
    @Test func stateNamesMatchTorchvision() throws {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("resnet18_cifar_names.json"))
        let expected = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        var generator = SeededGenerator(seed: 1)
        let network = ResNet(depth: .resnet18, width: 64, inputChannels: 3, generator: &generator)
        let ours = Dictionary(uniqueKeysWithValues: network.namedState.map { ($0.name, $0.tensor.shape) })
        let theirs = Dictionary(uniqueKeysWithValues: expected.map { ($0["name"] as! String, integers($0["shape"])) })
        #expect(Set(ours.keys) == Set(theirs.keys),
                "only ours: \(Set(ours.keys).subtracting(theirs.keys).sorted()), only torchvision: \(Set(theirs.keys).subtracting(ours.keys).sorted())")
        for (name, shape) in theirs { #expect(ours[name] == shape, "\(name): ours \(ours[name] ?? []), torchvision \(shape)") }
        #expect(network.parameterCount == 11_168_832)  // torchvision resnet18, CIFAR stem, no fc
    }

    /// Initialisation as torchvision: conv weights N(0, 2 / (F k^2)), BN scale 1, offset 0.
    @Test func initialisationStatistics() {
        var generator = SeededGenerator(seed: 7)
        let network = ResNet(depth: .resnet18, width: 64, inputChannels: 3, generator: &generator)
        let weights = network.stages[3][1].conv2.weight.scalars
        let variance = weights.reduce(Float(0)) { $0 + $1 * $1 } / Float(weights.count)
        #expect(abs(variance - 2 / Float(512 * 9)) < 0.05 * 2 / Float(512 * 9))
        #expect(network.bn1.scale.scalars.allSatisfy { $0 == 1 } && network.bn1.offset.scalars.allSatisfy { $0 == 0 })
    }

    /// `gradients(of:withRespectTo:)` through a whole network returns what `backward()`
    /// accumulates, for the input and a parameter, and leaves every `.gradient` untouched.
    /// (Element values are checked against PyTorch in WholeNetworkFixtureTests; central
    /// differences of single ops are in TensorCoreTests: through a whole narrow network they
    /// land on ReLU kinks.)
    @Test func requestedGradientsAgreeWithBackward() {
        var generator = SeededGenerator(seed: 11)
        let network = ResNet(depth: .resnet18, width: 2, inputChannels: 1, generator: &generator)
        let input = random([4, 1, 16, 16], seed: 12)
        input.requiresGradient = true
        let probe = random([4, 16], seed: 13)
        func objective() -> Tensor { (network(input, mode: .trainingWithoutStatisticsUpdate) * probe).sum() }
        let parameter = network.stages[1][0].conv1.weight
        let requested = gradients(of: objective(), withRespectTo: [input, parameter])
        #expect(network.parameters.allSatisfy { $0.gradient == nil } && input.gradient == nil)
        objective().backward()
        #expect(maximumDifference(requested[0].scalars, input.gradient!.scalars) < 1e-6)
        #expect(maximumDifference(requested[1].scalars, parameter.gradient!.scalars) < 1e-6)
        #expect(network.parameters.allSatisfy { $0.gradient != nil })
    }

    /// A retained graph serves two backward passes through one forward pass over a whole
    /// network, as a contrastive step uses it (the images' gradient of one objective, then
    /// the parameters' of another): both equal what separate forward passes give, bit for bit.
    @Test func retainedGraphServesASecondBackwardPass() {
        var generator = SeededGenerator(seed: 31)
        let network = ResNet(depth: .resnet18, width: 2, inputChannels: 1, generator: &generator)
        let input = random([4, 1, 16, 16], seed: 32)
        let first = random([4, 16], seed: 33), second = random([4, 16], seed: 34)
        func fresh(_ probe: Tensor) -> (input: Tensor, features: Tensor) {
            let images = input.copy()
            images.requiresGradient = true
            return (images, network(images, mode: .trainingWithoutStatisticsUpdate) * probe)
        }
        let separate = fresh(first)
        let expectedImageGradient = gradients(of: separate.features.sum(), withRespectTo: [separate.input])[0]
        fresh(second).features.sum().backward()
        let expectedParameterGradients = network.parameters.map { $0.gradient!.scalars }
        network.zeroGradients()

        let images = input.copy()
        images.requiresGradient = true
        let features = network(images, mode: .trainingWithoutStatisticsUpdate)
        let imageGradient = gradients(of: (features * first).sum(), withRespectTo: [images], retainingGraph: true)[0]
        #expect(imageGradient.scalars == expectedImageGradient.scalars)
        #expect(network.parameters.allSatisfy { $0.gradient == nil }, "the first pass touches no parameter")
        images.requiresGradient = false
        (features * second).sum().backward()
        #expect(network.parameters.map { $0.gradient!.scalars } == expectedParameterGradients)
        #expect(images.gradient == nil)
    }

    /// A frozen (target) network still passes gradients to its input and accumulates none.
    @Test func frozenNetworkGivesInputGradientsOnly() {
        var generator = SeededGenerator(seed: 21)
        let network = ResNet(depth: .resnet18, width: 2, inputChannels: 1, generator: &generator)
        network.setRequiresGradient(false)
        let input = random([2, 1, 8, 8], seed: 22)
        input.requiresGradient = true
        let energy = network(input, mode: .trainingWithoutStatisticsUpdate).squared().sum()
        energy.backward()
        #expect(input.gradient?.shape == [2, 1, 8, 8])
        #expect(input.gradient!.scalars.contains { $0 != 0 })
        #expect(network.parameters.allSatisfy { $0.gradient == nil })
    }
}
