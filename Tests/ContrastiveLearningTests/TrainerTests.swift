import ContrastiveLearning
import Datasets
import Foundation
import Testing
import TestSupport
import Basics
import TensorCore

/// A tiny run on the embedded digits: small width, small batch, few epochs.
func tinyConfiguration(_ dataset: ImageDataset, paradigm: Paradigm = .byol, epochs: Int = 2) -> TrainingConfiguration {
    var configuration = TrainingConfiguration(paradigm: paradigm, usesRegularizer: true, preset: .paper,
                                              inputChannels: 1, inputHeight: dataset.height, inputWidth: dataset.width,
                                              width: 2, batchSize: 32, epochs: epochs, seed: 5)
    configuration.hiddenSize = 16
    configuration.projectionSize = 16
    configuration.warmupEpochs = 0.5
    configuration.monitorSampleCount = 64
    configuration.augmentation.cropScale = 0.3...1
    return configuration
}

func temporaryDirectory(_ name: String) -> URL {
    ScratchFolders.folder("contrastive-\(name)")
}

@Suite(.serialized) struct TrainerTests {
    /// The contrastive loss falls over 50 steps on digits (mean of the last 10 below the
    /// mean of the first 10), for every paradigm with the regularizer on.
    @Test(arguments: Paradigm.allCases)
    func lossFallsOnDigits(paradigm: Paradigm) throws {
        let digits = try embeddedDigits()
        var configuration = TrainingConfiguration(paradigm: paradigm, inputChannels: 1, inputHeight: 8, inputWidth: 8,
                                                  width: 4, batchSize: 64, epochs: 1, seed: 3)
        configuration.hiddenSize = 64
        configuration.augmentation.cropScale = 0.3...1
        let loader = try TwoViewLoader(dataset: digits, batchSize: 64, settings: configuration.augmentation,
                                       normalization: Normalization(of: digits), seed: 3)
        let model = ContrastiveStep(configuration: configuration)
        var losses: [Float] = []
        var regularizers: [Float] = []
        let batches = loader.batches()
        for step in 0..<50 {
            let batch = batches.next()!
            let shape = [64, 1, 8, 8]
            var generator = SeededGenerator(seed: 3, stream: [UInt64(step)])
            let result = model.step(viewA: Tensor(shape: shape, scalars: batch.first.pixels),
                                    viewB: Tensor(shape: shape, scalars: batch.second.pixels),
                                    learningRate: 0.05, targetMomentum: 0.99, sghmcGenerator: &generator)
            #expect(result.total.isFinite)
            losses.append(result.contrastive)
            regularizers.append(result.regularizer)
        }
        let first = losses.prefix(10).reduce(0, +) / 10, last = losses.suffix(10).reduce(0, +) / 10
        #expect(last < first, "\(paradigm): loss \(first) -> \(last)")
        #expect(regularizers.allSatisfy { $0 != 0 && $0.isFinite })
    }

    /// Two epochs straight equal one epoch, a resume in a new trainer, and one more epoch:
    /// the checkpoint files are identical byte for byte (with and without a cluster head).
    @Test(arguments: [(Paradigm.byol, false), (.infonce, false), (.simsiam, false), (.barlowtwins, false),
                      (.byol, true), (.infonce, true)])
    func resumeIsBitForBit(paradigm: Paradigm, clusterHead: Bool) throws {
        let digits = try embeddedDigits().subset(Array(0..<96))
        var configuration = tinyConfiguration(digits, paradigm: paradigm)
        if clusterHead { configuration.clusterHead = ClusterHeadSettings(size: 5) }
        let name = "\(paradigm)-\(clusterHead)"
        let straight = temporaryDirectory("straight-\(name)"), split = temporaryDirectory("split-\(name)")
        defer {
            try? FileManager.default.removeItem(at: straight)
            try? FileManager.default.removeItem(at: split)
        }
        let whole = try Trainer(configuration: configuration, dataset: digits, outputDirectory: straight)
        let history = try whole.run()
        #expect(history.count == 2)
        let first = try Trainer(configuration: configuration, dataset: digits, outputDirectory: split)
        #expect(try first.run(untilEpoch: 1).count == 1)
        let second = try Trainer(configuration: configuration, dataset: digits, outputDirectory: split)
        let rest = try second.run(resume: true)
        #expect(rest.map(\.epoch) == [1])
        let a = try Data(contentsOf: whole.checkpointURL), b = try Data(contentsOf: second.checkpointURL)
        #expect(a == b, "checkpoints differ after resume")
        #expect(rest[0].loss == history[1].loss && rest[0].knnAccuracy == history[1].knnAccuracy)
        let log = try String(contentsOf: second.logURL, encoding: .utf8).split(separator: "\n")
        #expect(log.count == 2)
        #expect((history[1].clusterLoss != nil) == clusterHead)
        if clusterHead {
            // The head is saved with the run and comes back with the checkpoint.
            let (loaded, _) = try ContrastiveNetworks.load(checkpoint: second.checkpointURL)
            let head = try #require(loaded.clusterHead)
            #expect(head.second.weight.shape == [5, loaded.backbone.featureSize])
            #expect(loaded.namedState.contains { $0.name == "online.clusterHead.3.weight" })
        }
    }

    /// A NaN injected at step 1 of epoch 1 stops training with that step number; the
    /// checkpoint of epoch 0 stays intact.
    @Test func nonFiniteLossStopsWithStepAndKeepsCheckpoint() throws {
        let digits = try embeddedDigits().subset(Array(0..<96))
        let directory = temporaryDirectory("nan")
        defer { try? FileManager.default.removeItem(at: directory) }
        let trainer = try Trainer(configuration: tinyConfiguration(digits), dataset: digits, outputDirectory: directory)
        trainer.nonFiniteLossInjectionStep = trainer.stepsPerEpoch + 1
        var saved: Data?
        do {
            try trainer.run { event in
                if case .epoch = event { saved = try? Data(contentsOf: trainer.checkpointURL) }
            }
            Issue.record("training did not stop")
        } catch let TrainingError.nonFiniteLoss(epoch, step, globalStep, loss) {
            #expect(epoch == 1 && step == 1 && globalStep == trainer.stepsPerEpoch + 1)
            #expect(loss.isNaN)
        }
        let kept = try Data(contentsOf: trainer.checkpointURL)
        #expect(saved != nil && kept == saved)
        // The kept checkpoint is usable: resuming from it finishes the run.
        trainer.nonFiniteLossInjectionStep = nil
        #expect(try trainer.run(resume: true).map(\.epoch) == [1])
    }

    @Test func embedReturnsNormalisedTargetFeatures() throws {
        let digits = try embeddedDigits().subset(Array(0..<96))
        let directory = temporaryDirectory("embed")
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration = tinyConfiguration(digits, epochs: 1)
        let trainer = try Trainer(configuration: configuration, dataset: digits, outputDirectory: directory)
        let history = try trainer.run()
        #expect(history[0].knnAccuracy != nil && history[0].featureStandardDeviation != nil)
        let features = try embed(checkpoint: trainer.checkpointURL, dataset: digits)
        #expect(features.count == 96 * configuration.projectionSize)
        for row in 0..<96 {
            let norm = features[(row * 16)..<((row + 1) * 16)].reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-5)
        }
        // BYOL's embeddings average 8 views unless told otherwise.
        #expect(features == (try embed(checkpoint: trainer.checkpointURL, dataset: digits, views: 8)))
        #expect(features != (try embed(checkpoint: trainer.checkpointURL, dataset: digits, views: 0)))
        let backbone = try embed(checkpoint: trainer.checkpointURL, dataset: digits, features: .backbone)
        #expect(backbone.count == 96 * 8 * configuration.width)
        let settings = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(contentsOf: trainer.settingsURL))
        #expect(settings.normalization != nil && settings.epochs == 1)
    }

    @Test func invalidSettingsThrowWithTheirName() throws {
        let digits = try embeddedDigits()
        var configuration = tinyConfiguration(digits)
        configuration.regularizer.temperature = 0
        #expect {
            try Trainer(configuration: configuration, dataset: digits, outputDirectory: temporaryDirectory("bad"))
        } throws: { error in
            guard case let TrainingError.invalidSetting(name, found, _) = error else { return false }
            return name.contains("tau_r") && found == "0.0"
        }
        configuration = tinyConfiguration(digits)
        configuration.sghmc.steps = 0
        #expect(throws: TrainingError.invalidSetting(name: "sghmc.steps (zeta)", value: "0", expected: ">= 1")) {
            try configuration.validate()
        }
        configuration = tinyConfiguration(digits)
        configuration.clusterHead = ClusterHeadSettings(size: 1)
        #expect(throws: TrainingError.invalidSetting(name: "cluster head size K", value: "1", expected: ">= 2")) {
            try configuration.validate()
        }
    }
}
