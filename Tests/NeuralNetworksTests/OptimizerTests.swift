import Testing
import NeuralNetworks
import Basics
import TensorCore

@Suite struct OptimizerTests {
    /// Two steps computed by hand: d = g + wd p; v = m v + d; p -= lr scale v.
    @Test func stochasticGradientDescentByHand() {
        let p = Tensor(shape: [2], scalars: [1, -2], requiresGradient: true)
        let q = Tensor(shape: [1], scalars: [0.5], requiresGradient: true)
        let optimizer = SGD(groups: [.init(parameters: [p], weightDecay: 0.1),
                                     .init(parameters: [q], learningRateScale: 10)], momentum: 0.9)
        // loss = 3 p0 + p1^2 + q^2: g_p = [3, 2 p1], g_q = 2 q.
        func loss() -> Tensor {
            (p * Tensor(shape: [2], scalars: [3, 0])).sum() + p.squared().slice(batch: 1..<2).sum() + q.squared().sum()
        }
        loss().backward()
        optimizer.step(learningRate: 0.01)
        // p: d = [3 + 0.1, -4 - 0.2] = [3.1, -4.2]; v = d; p = [1 - 0.031, -2 + 0.042]
        // q: d = 1; v = 1; q = 0.5 - 0.1
        #expect(maximumDifference(p.scalars, [0.969, -1.958]) < 1e-6)
        #expect(maximumDifference(q.scalars, [0.4]) < 1e-6)
        optimizer.zeroGradients()
        loss().backward()
        optimizer.step(learningRate: 0.01)
        // p: d = [3 + 0.0969, 2(-1.958) - 0.1958] = [3.0969, -4.1118]; v = 0.9 [3.1, -4.2] + d
        let v: [Float] = [0.9 * 3.1 + 3.0969, 0.9 * -4.2 - 4.1118]
        #expect(maximumDifference(p.scalars, [0.969 - 0.01 * v[0], -1.958 - 0.01 * v[1]]) < 1e-5)
        // q: d = 0.8; v = 0.9 + 0.8; q = 0.4 - 0.1 1.7
        #expect(maximumDifference(q.scalars, [0.4 - 0.17]) < 1e-6)
        #expect(optimizer.stepCount == 2)
    }

    @Test func parametersWithoutGradientAreSkipped() {
        let p = Tensor(shape: [2], scalars: [1, 2], requiresGradient: true)
        let optimizer = SGD(parameters: [p], momentum: 0.9, weightDecay: 0.5)
        optimizer.step(learningRate: 1)
        #expect(p.scalars == [1, 2])
    }

    @Test func warmupThenCosine() {
        let schedule = WarmupCosineSchedule(baseLearningRate: 0.1, warmupSteps: 10, totalSteps: 110)
        #expect(abs(schedule.learningRate(atStep: 0) - 0.01) < 1e-7)
        #expect(abs(schedule.learningRate(atStep: 9) - 0.1) < 1e-7)
        #expect(abs(schedule.learningRate(atStep: 10) - 0.1) < 1e-7)
        #expect(abs(schedule.learningRate(atStep: 60) - 0.05) < 1e-6)
        #expect(abs(schedule.learningRate(atStep: 110)) < 1e-7)
    }

    /// EMA moves parameters only; buffers stay the target's own.
    @Test func exponentialMovingAverageOfParameters() {
        var generator = SeededGenerator(seed: 3)
        let online = ProjectionHead(inputSize: 4, hiddenSize: 6, outputSize: 3, generator: &generator)
        let target = ProjectionHead(inputSize: 4, hiddenSize: 6, outputSize: 3, generator: &generator)
        let before = target.parameters.map(\.scalars)
        online.normalization.runningMean.assign(Tensor(shape: [6], repeating: 5))
        target.updateExponentialMovingAverage(toward: online, momentum: 0.9)
        for (index, parameter) in target.parameters.enumerated() {
            let expected = zip(before[index], online.parameters[index].scalars).map { 0.9 * $0 + 0.1 * $1 }
            #expect(maximumDifference(parameter.scalars, expected) < 1e-6)
        }
        #expect(target.normalization.runningMean.scalars.allSatisfy { $0 == 0 })
        target.copyState(from: online)
        #expect(target.normalization.runningMean.scalars.allSatisfy { $0 == 5 })
        #expect(zip(target.parameters, online.parameters).allSatisfy { $0.scalars == $1.scalars })
    }
}

/// The pieces together: a narrow ResNet with a linear classifier fits a small labelled
/// batch; the training loss falls to under a third of its start within 40 steps.
@Suite struct TrainingTests {
    @Test func lossFallsWhenFittingASmallBatch() {
        var generator = SeededGenerator(seed: 17)
        let backbone = ResNet(depth: .resnet18, width: 4, inputChannels: 1, generator: &generator)
        let classifier = Linear(inputSize: backbone.featureSize, outputSize: 4, generator: &generator)
        let optimizer = SGD(groups: [.init(parameters: backbone.parameters + classifier.parameters, weightDecay: 5e-4)],
                            momentum: 0.9)
        let images = random([16, 1, 8, 8], seed: 18)
        let labels = (0..<16).map { $0 % 4 }
        func loss() -> Tensor {
            softmaxCrossEntropy(logits: classifier(backbone(images, mode: .training), mode: .training), labels: labels)
        }
        let schedule = WarmupCosineSchedule(baseLearningRate: 0.05, warmupSteps: 5, totalSteps: 40)
        var losses: [Float] = []
        for step in 0..<40 {
            let value = loss()
            losses.append(value.scalar)
            optimizer.zeroGradients()
            value.backward()
            optimizer.step(learningRate: schedule.learningRate(atStep: step))
        }
        #expect(losses.allSatisfy { $0.isFinite })
        #expect(losses.last! < losses.first! / 3, "losses \(losses.first!) -> \(losses.last!)")
    }
}
