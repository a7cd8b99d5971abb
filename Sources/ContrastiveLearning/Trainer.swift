// The training loop of SPEC §5: schedules, reshuffling, checkpoints, resume, monitors.
import ClusteringMetrics
import Datasets
import Dispatch
import Foundation
import NeuralNetworks
import TensorCore

/// Trains the networks of a `TrainingConfiguration` on a dataset and writes, in
/// `outputDirectory`: `settings.json` (every resolved setting), `checkpoint.safetensors`
/// (after every epoch, atomically) and `training.jsonl` (one `EpochMonitors` per epoch).
///
/// Everything random is drawn from streams keyed by (seed, epoch, step): the shuffle and the
/// views (the loader), and the SGHMC noise (stream "SGHM", global step). The checkpoint
/// therefore holds the whole state of a run — networks, target, optimiser momenta, epoch and
/// step — and `run(resume: true)` continues bit for bit.
///
/// Labels, when the dataset has them, feed the kNN monitor only; the result is always the
/// last epoch's networks.
public final class Trainer {
    /// The resolved settings (normalisation filled in).
    public let configuration: TrainingConfiguration
    /// The images trained on (labels, if any, feed the kNN monitor only).
    public let dataset: ImageDataset
    /// Where settings, checkpoint and log go.
    public let outputDirectory: URL
    /// For tests of the non-finite guard: the loss of this global step is replaced by NaN.
    public var nonFiniteLossInjectionStep: Int?

    /// The checkpoint file: `<output>/checkpoint.safetensors`.
    public var checkpointURL: URL { outputDirectory.appendingPathComponent("checkpoint.safetensors") }
    /// The monitor log: `<output>/training.jsonl`.
    public var logURL: URL { outputDirectory.appendingPathComponent("training.jsonl") }
    /// The settings file: `<output>/settings.json`.
    public var settingsURL: URL { outputDirectory.appendingPathComponent("settings.json") }

    private let loader: TwoViewLoader
    /// Makes x^c as a third augmented view (view index 2) for the `.augmentation` variant.
    private let thirdViews: Augmenter?
    private let monitorIndices: [Int]
    static let sghmcStream: UInt64 = 0x5347_484D  // "SGHM"
    static let monitorStream: UInt64 = 0x4D4F_4E49  // "MONI"

    /// Validates the configuration against the dataset; a missing normalisation is computed
    /// from the dataset (and recorded in `configuration`).
    public init(configuration: TrainingConfiguration, dataset: ImageDataset, outputDirectory: URL) throws {
        var configuration = configuration
        if configuration.normalization == nil { configuration.normalization = Normalization(of: dataset) }
        try configuration.validate()
        guard dataset.channels == configuration.inputChannels else {
            throw TrainingError.incompatibleDataset(expected: "\(configuration.inputChannels) channels",
                                                    found: "\(dataset.channels) in \(dataset.name)")
        }
        guard dataset.height == configuration.inputHeight, dataset.width == configuration.inputWidth else {
            throw TrainingError.incompatibleDataset(
                expected: "\(configuration.inputHeight)x\(configuration.inputWidth) images",
                found: "\(dataset.height)x\(dataset.width) in \(dataset.name); resize the dataset first")
        }
        guard dataset.count >= configuration.batchSize else {
            throw TrainingError.incompatibleDataset(expected: "at least one batch of \(configuration.batchSize) images",
                                                    found: "\(dataset.count); lower the batch size")
        }
        self.configuration = configuration
        self.dataset = dataset
        self.outputDirectory = outputDirectory
        loader = try TwoViewLoader(dataset: dataset, batchSize: configuration.batchSize,
                                   settings: configuration.augmentation, normalization: configuration.normalization!,
                                   seed: configuration.seed)
        thirdViews = configuration.usesRegularizer && configuration.sghmc.variant == .augmentation
            ? try Augmenter(dataset: dataset, settings: configuration.augmentation,
                            normalization: configuration.normalization!, seed: configuration.seed)
            : nil
        var random = SeededGenerator(seed: configuration.seed, stream: [Self.monitorStream])
        var order = Array(0..<dataset.count)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, random.nextInt(below: i + 1)) }
        monitorIndices = Array(order.prefix(configuration.monitorSampleCount)).sorted()
    }

    /// Steps in one epoch (the last incomplete batch is dropped).
    public var stepsPerEpoch: Int { loader.stepsPerEpoch }

    /// The learning rate of global step `step`: linear warm-up, then cosine to 0.
    public func learningRate(atStep step: Int) -> Float {
        let total = configuration.epochs * stepsPerEpoch
        let warmup = min(total, Int((configuration.warmupEpochs * Double(stepsPerEpoch)).rounded()))
        return WarmupCosineSchedule(baseLearningRate: configuration.learningRate, warmupSteps: warmup,
                                    totalSteps: total).learningRate(atStep: step)
    }

    /// The BYOL target momentum at global step `step`.
    public func targetMomentum(atStep step: Int) -> Float {
        let base = configuration.targetMomentum
        switch configuration.targetMomentumSchedule {
        case .constant:
            return base
        case .cosine:
            let progress = Double(step) / Double(max(1, configuration.epochs * stepsPerEpoch))
            return 1 - (1 - base) * Float((cos(Double.pi * progress) + 1) / 2)
        }
    }

    /// Trains to `configuration.epochs`, from scratch or (with `resume`) from the checkpoint
    /// in the output directory, and returns the monitors of the epochs run. `untilEpoch`
    /// stops earlier, after that many completed epochs (a later `run(resume: true)` goes on
    /// exactly as if the run had not stopped).
    ///
    /// Throws `TrainingError.nonFiniteLoss` with the step number when the loss stops being
    /// finite (the last checkpoint stays as it was), `configurationMismatch` when resuming a
    /// run with other settings, and `checkpoint` for unreadable files.
    @discardableResult
    public func run(resume: Bool = false, untilEpoch: Int? = nil, progress: (TrainingProgress) -> Void = { _ in }) throws -> [EpochMonitors] {
        // Convolutions split each batch over the cores themselves, which costs less CPU than
        // BLAS threads inside every small product (the engine benchmark's finding) and gives
        // the same bits on any number of cores. Left so: it is nrcc's rule (`BLASThreads`).
        BLASThreads.set(1)
        let model = ContrastiveStep(configuration: configuration)
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        var startEpoch = 0
        if resume, FileManager.default.fileExists(atPath: checkpointURL.path) {
            startEpoch = try restore(model)
        } else {
            try configuration.jsonData().write(to: settingsURL, options: .atomic)
            if FileManager.default.fileExists(atPath: logURL.path) { try FileManager.default.removeItem(at: logURL) }
        }
        var history: [EpochMonitors] = []
        let endEpoch = min(configuration.epochs, untilEpoch ?? configuration.epochs)
        guard startEpoch < endEpoch else { return history }
        let batches = loader.batches(from: startEpoch, step: 0, endEpoch: endEpoch)
        let shape = [configuration.batchSize, configuration.inputChannels, configuration.inputHeight, configuration.inputWidth]
        for epoch in startEpoch..<endEpoch {
            var sums = (total: 0.0, contrastive: 0.0, regularizer: 0.0, cluster: 0.0)
            let start = DispatchTime.now().uptimeNanoseconds
            var rate: Float = 0, momentum: Float = 0
            for step in 0..<stepsPerEpoch {
                guard let batch = batches.next() else { preconditionFailure("run: the loader ended early") }
                precondition(batch.epoch == epoch && batch.step == step, "run: loader at \(batch.epoch).\(batch.step), loop at \(epoch).\(step)")
                let globalStep = epoch * stepsPerEpoch + step
                rate = learningRate(atStep: globalStep)
                momentum = targetMomentum(atStep: globalStep)
                var generator = SeededGenerator(seed: configuration.seed, stream: [Self.sghmcStream, UInt64(globalStep)])
                let viewC = thirdViews.map { augmenter in
                    Tensor(shape: shape, scalars: augmenter.batch(batch.first.indices, epoch: epoch, view: 2).pixels)
                }
                let losses = model.step(viewA: Tensor(shape: shape, scalars: batch.first.pixels),
                                        viewB: Tensor(shape: shape, scalars: batch.second.pixels), viewC: viewC,
                                        learningRate: rate, targetMomentum: momentum, sghmcGenerator: &generator,
                                        injectsNonFiniteLoss: globalStep == nonFiniteLossInjectionStep)
                guard losses.total.isFinite else {
                    throw TrainingError.nonFiniteLoss(epoch: epoch, step: step, globalStep: globalStep, loss: losses.total)
                }
                sums.total += Double(losses.total)
                sums.contrastive += Double(losses.contrastive)
                sums.regularizer += Double(losses.regularizer)
                sums.cluster += Double(losses.cluster)
                progress(.step(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch, loss: losses.total))
            }
            let trainingSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let monitorStart = DispatchTime.now().uptimeNanoseconds
            var monitors = EpochMonitors(
                epoch: epoch, globalStep: (epoch + 1) * stepsPerEpoch,
                loss: sums.total / Double(stepsPerEpoch), contrastiveLoss: sums.contrastive / Double(stepsPerEpoch),
                regularizerLoss: sums.regularizer / Double(stepsPerEpoch),
                clusterLoss: configuration.clusterHead == nil ? nil : sums.cluster / Double(stepsPerEpoch),
                learningRate: Double(rate),
                targetMomentum: configuration.paradigm == .byol ? Double(momentum) : nil,
                knnAccuracy: nil, featureStandardDeviation: nil,
                imagesPerSecond: Double(stepsPerEpoch * configuration.batchSize) / trainingSeconds,
                trainingSeconds: trainingSeconds, monitorSeconds: 0)
            measureMonitors(model.networks, into: &monitors)
            monitors.monitorSeconds = Double(DispatchTime.now().uptimeNanoseconds - monitorStart) / 1e9
            try saveCheckpoint(model, completedEpochs: epoch + 1)
            try appendLog(monitors)
            history.append(monitors)
            progress(.epoch(monitors))
        }
        return history
    }

    /// kNN accuracy and feature std on the fixed monitor subset (evaluation mode: no state changes).
    private func measureMonitors(_ networks: ContrastiveNetworks, into monitors: inout EpochMonitors) {
        guard monitorIndices.count >= 2 else { return }
        let features = networks.embed(dataset, indices: monitorIndices, normalization: configuration.normalization!)
        let dimension = configuration.projectionSize
        monitors.featureStandardDeviation = featureStandardDeviation(features, dimension: dimension)
        if let labels = dataset.labels {
            monitors.knnAccuracy = weightedKNNAccuracy(features: features, labels: monitorIndices.map { labels[$0] },
                                                       dimension: dimension, neighborCount: 20, temperature: 0.07)
        }
    }

    private func saveCheckpoint(_ model: ContrastiveStep, completedEpochs: Int) throws {
        var checkpoint = Checkpoint()
        checkpoint.store(model.networks.namedState)
        checkpoint.store(model.optimizer)
        checkpoint.metadata["format"] = "nrcc-training-1"
        checkpoint.metadata["configuration"] = String(decoding: try configuration.jsonData(), as: UTF8.self)
        checkpoint.metadata["completed_epochs"] = "\(completedEpochs)"
        checkpoint.metadata["global_step"] = "\(completedEpochs * stepsPerEpoch)"
        checkpoint.metadata["seed"] = "\(configuration.seed)"
        checkpoint.metadata["random_state"] = "stateless: every draw comes from a stream keyed by (seed, epoch, step)"
        do { try checkpoint.write(to: checkpointURL) } catch {
            throw TrainingError.checkpoint(file: checkpointURL.path, reason: "\(error)")
        }
    }

    /// Loads the checkpoint into `model` and returns the number of completed epochs.
    private func restore(_ model: ContrastiveStep) throws -> Int {
        let file = checkpointURL.path
        let checkpoint = try readCheckpoint(checkpointURL)
        guard let settings = checkpoint.metadata["configuration"],
              let stored = try? JSONDecoder().decode(TrainingConfiguration.self, from: Data(settings.utf8)),
              let completed = checkpoint.metadata["completed_epochs"].flatMap(Int.init)
        else { throw TrainingError.checkpoint(file: file, reason: "is not an nrcc training checkpoint (metadata missing)") }
        guard (0...stored.epochs).contains(completed) else {
            throw TrainingError.checkpoint(
                file: file, reason: "records completed_epochs \(completed), expected 0...\(stored.epochs) (its epochs); the file is damaged, use an earlier checkpoint")
        }
        // Only the epoch count may change on resume (to train further).
        var comparable = stored
        comparable.epochs = configuration.epochs
        if comparable != configuration {
            let mine = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(configuration)) as? [String: Any] ?? [:]
            let theirs = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(comparable)) as? [String: Any] ?? [:]
            let differing = mine.keys.sorted().first { key in
                !(mine[key].map { "\($0)" } == theirs[key].map { "\($0)" })
            } ?? "?"
            throw TrainingError.configurationMismatch(file: file, setting: differing)
        }
        if stored.epochs != configuration.epochs {
            // The schedules depend on the run length: a longer run is a different run.
            throw TrainingError.configurationMismatch(file: file, setting: "epochs (\(stored.epochs) vs \(configuration.epochs))")
        }
        do {
            try checkpoint.restore(model.networks.namedState)
            try checkpoint.restore(model.optimizer)
        } catch {
            throw TrainingError.checkpoint(file: file, reason: "\(error)")
        }
        return completed
    }

    private func appendLog(_ monitors: EpochMonitors) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var line = try encoder.encode(monitors)
        line.append(0x0A)
        if let handle = try? FileHandle(forWritingTo: logURL) {
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: line)
        } else {
            try line.write(to: logURL)
        }
    }
}

/// The L2-normalised embedding of `dataset` by the networks in `checkpoint` (SPEC §1): the
/// target f̄+ḡ for BYOL, f+g for InfoNCE, in evaluation mode; `features: .backbone` for the
/// backbone output alone.
///
/// - Returns: row-major [dataset.count, D], D = 256 (projection) or 8 width (backbone).
public func embed(checkpoint: URL, dataset: ImageDataset, features: EmbeddingFeatures = .projection,
                  batchSize: Int = 256) throws -> [Float] {
    let (networks, configuration) = try ContrastiveNetworks.load(checkpoint: checkpoint)
    guard let normalization = configuration.normalization else {
        throw TrainingError.checkpoint(file: checkpoint.path, reason: "records no input normalisation")
    }
    guard dataset.channels == configuration.inputChannels else {
        throw TrainingError.incompatibleDataset(expected: "\(configuration.inputChannels)-channel images (as trained)",
                                                found: "\(dataset.channels) channels in \(dataset.name)")
    }
    return networks.embed(dataset, normalization: normalization, features: features, batchSize: batchSize)
}

/// The checkpoint at `url`, its read errors reported as `TrainingError.checkpoint`.
func readCheckpoint(_ url: URL) throws -> Checkpoint {
    do { return try Checkpoint(contentsOf: url) } catch {
        throw TrainingError.checkpoint(file: url.path, reason: "\(error)")
    }
}
