import ContrastiveLearning
import Datasets
import Foundation
import NeuralNetworks
import Testing
import Basics
import TensorCore

/// A ViT as the backbone of every paradigm, with NRCC: the loss falls, a resumed run is bit
/// for bit the straight one, and the options resolve to AdamW's recipe.
@Suite(.serialized) struct VisionTransformerTrainingTests {
    /// InfoNCE + NRCC with ViT-Tiny (2-pixel patches, 17 tokens) on digits: the contrastive loss of
    /// the last 5 of 20 steps is below that of the first 5, and the regularizer, whose SGHMC
    /// views need image gradients through the ViT, is finite and non-zero throughout.
    @Test func lossFallsOnDigitsWithNRCC() throws {
        let digits = try embeddedDigits()
        var configuration = TrainingConfiguration(paradigm: .infonce, inputChannels: 1, inputHeight: 8, inputWidth: 8,
                                                  batchSize: 32, epochs: 1, seed: 3)
        configuration.backbone = .vitTiny
        #expect(configuration.visionTransformer == VisionTransformerSettings(variant: .tiny, patchSize: 4))
        // 2-pixel patches rather than the default 4: 16 patches give the attention more to mix.
        configuration.visionTransformer?.patchSize = 2
        configuration.hiddenSize = 64
        configuration.weightDecay = TrainingConfiguration.visionTransformerWeightDecay
        configuration.augmentation.cropScale = 0.3...1
        let loader = try TwoViewLoader(dataset: digits, batchSize: 32, settings: configuration.augmentation,
                                       normalization: Normalization(of: digits), seed: 3)
        let model = ContrastiveStep(configuration: configuration)
        #expect(model.optimizer is AdamW)
        #expect(model.networks.backbone.featureSize == 192)
        var losses: [Float] = []
        let batches = loader.batches()
        for step in 0..<20 {
            let batch = batches.next()!
            let shape = [32, 1, 8, 8]
            var generator = SeededGenerator(seed: 3, stream: [UInt64(step)])
            let result = model.step(viewA: Tensor(shape: shape, scalars: batch.first.pixels),
                                    viewB: Tensor(shape: shape, scalars: batch.second.pixels),
                                    learningRate: 1e-3, targetMomentum: 0.99, sghmcGenerator: &generator)
            #expect(result.total.isFinite && result.regularizer != 0, "step \(step): \(result)")
            losses.append(result.contrastive)
        }
        let first = losses.prefix(5).reduce(0, +) / 5, last = losses.suffix(5).reduce(0, +) / 5
        #expect(last < first, "loss \(first) -> \(last)")
    }

    /// BYOL + NRCC with ViT-Tiny: two epochs straight and one epoch, a resume and one more
    /// give identical checkpoint files (AdamW's moments and step count included).
    @Test func resumeIsBitForBit() throws {
        let digits = try embeddedDigits().subset(Array(0..<64))
        var configuration = tinyConfiguration(digits, paradigm: .byol)
        configuration.backbone = .vitTiny
        configuration.monitorSampleCount = 32
        let straight = temporaryDirectory("vit-straight"), split = temporaryDirectory("vit-split")
        defer {
            try? FileManager.default.removeItem(at: straight)
            try? FileManager.default.removeItem(at: split)
        }
        let whole = try Trainer(configuration: configuration, dataset: digits, outputDirectory: straight)
        let history = try whole.run()
        let first = try Trainer(configuration: configuration, dataset: digits, outputDirectory: split)
        #expect(try first.run(untilEpoch: 1).count == 1)
        let second = try Trainer(configuration: configuration, dataset: digits, outputDirectory: split)
        let rest = try second.run(resume: true)
        #expect(rest.map(\.epoch) == [1])
        let a = try Data(contentsOf: whole.checkpointURL), b = try Data(contentsOf: second.checkpointURL)
        #expect(a == b, "checkpoints differ after resume")
        #expect(rest[0].loss == history[1].loss)
        let (loaded, loadedConfiguration) = try ContrastiveNetworks.load(checkpoint: second.checkpointURL)
        #expect(loadedConfiguration.backbone == .vitTiny)
        #expect(loaded.namedState.contains { $0.name == "online.backbone.blocks.11.attn.qkv.weight" })
        #expect(loaded.namedState.contains { $0.name == "target.backbone.cls_token" })
        let stored = try Checkpoint(contentsOf: second.checkpointURL)
        #expect(stored.entries["optimizer.exp_avg_sq.0.0"] != nil && stored.metadata["optimizer.step_count"] == "4")
    }

    /// `--backbone` picks the network, AdamW's rate and decay, and a patch size for the image;
    /// `--depth` is the older way to say resnet18/34 and may not contradict it.
    @Test func optionsResolveTheBackbone() throws {
        let digits = try embeddedDigits()
        var overrides = TrainingOverrides()
        overrides.epochs = 3
        overrides.backbone = .vitSmall
        let configuration = try overrides.configuration(for: digits)
        #expect(configuration.visionTransformer == VisionTransformerSettings(variant: .small, patchSize: 4))
        #expect(configuration.weightDecay == TrainingConfiguration.visionTransformerWeightDecay)
        #expect(configuration.learningRate == TrainingConfiguration.visionTransformerBaseLearningRate
                * Float(configuration.batchSize) / 256)
        overrides.patchSize = 2
        #expect(try overrides.configuration(for: digits).visionTransformer?.patchSize == 2)
        overrides.patchSize = 3
        #expect(throws: TrainingError.self) { try overrides.configuration(for: digits) }
        var resNet = TrainingOverrides()
        resNet.backbone = .resnet34
        #expect(try resNet.configuration(for: digits).depth == 34)
        resNet.depth = 18
        #expect(throws: TrainingError.self) { try resNet.configuration(for: digits) }
        resNet.depth = nil
        resNet.patchSize = 2
        #expect(throws: TrainingError.self) { try resNet.configuration(for: digits) }
        #expect(VisionTransformerSettings.defaultPatchSize(height: 32, width: 32) == 4)
        #expect(VisionTransformerSettings.defaultPatchSize(height: 28, width: 28) == 4)
        #expect(VisionTransformerSettings.defaultPatchSize(height: 16, width: 16) == 2)
        #expect(VisionTransformerSettings.defaultPatchSize(height: 8, width: 8) == 4)
        #expect(VisionTransformerSettings.defaultPatchSize(height: 4, width: 4) == 2)
        #expect(VisionTransformerSettings.defaultPatchSize(height: 10, width: 10) == 2)
        #expect(VisionTransformerSettings.defaultPatchSize(height: 7, width: 7) == 1)
        #expect(VisionTransformerSettings.defaultPatchSize(height: 64, width: 64) == 8)
    }

    /// Settings written before ViTs existed (no `visionTransformer` key) still decode, as ResNets.
    @Test func olderSettingsDecodeAsResNets() throws {
        let digits = try embeddedDigits()
        var configuration = TrainingConfiguration(inputChannels: 1, inputHeight: 8, inputWidth: 8, depth: 34)
        configuration.normalization = Normalization(of: digits)
        var json = try JSONSerialization.jsonObject(with: configuration.jsonData()) as! [String: Any]
        #expect(json["visionTransformer"] == nil)
        json.removeValue(forKey: "visionTransformer")
        let decoded = try JSONDecoder().decode(TrainingConfiguration.self,
                                               from: JSONSerialization.data(withJSONObject: json))
        #expect(decoded == configuration && decoded.backbone == .resnet34)
        // A ViT makes the cost model follow its multiply-adds: ViT-Small costs more than ViT-Tiny.
        var tiny = configuration, small = configuration
        tiny.backbone = .vitTiny
        small.backbone = .vitSmall
        #expect(small.secondsPerImage > 2 * tiny.secondsPerImage)
    }
}
