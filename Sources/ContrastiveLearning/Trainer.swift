// The training loop of SPEC §5: schedules, reshuffling, checkpoints, resume, monitors.
import ClusteringMetrics
import Datasets
import Dispatch
import Foundation
import NeuralNetworks
import Basics
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
///
/// Data-parallel (`configuration.dataParallelism`, ranks of `collective`): rank 0 calls
/// `run`, and decides where training starts (reading any checkpoint), measures the monitors
/// and writes every file; the other ranks call `follow`, write nothing, and train with the
/// state rank 0 sends them; every rank trains on its rows of each global batch and the
/// gradients are averaged before each step (`ContrastiveStep`).
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
    /// The ranks of a data-parallel run, or a single process.
    public let collective: any Collective

    private let loader: TwoViewLoader
    /// Makes x^c as a third augmented view (view index 2) for the `.augmentation` variant.
    private let thirdViews: Augmenter?
    private let monitorIndices: [Int]
    static let sghmcStream: UInt64 = 0x5347_484D  // "SGHM"
    static let monitorStream: UInt64 = 0x4D4F_4E49  // "MONI"

    /// Validates the configuration against the dataset; a missing normalisation is computed
    /// from the dataset (and recorded in `configuration`). `collective` must have the ranks
    /// of `configuration.dataParallelism` (one process without it).
    public init(configuration: TrainingConfiguration, dataset: ImageDataset, outputDirectory: URL,
                collective: any Collective = SingleProcess()) throws {
        var configuration = configuration
        if configuration.normalization == nil { configuration.normalization = Normalization(of: dataset) }
        try configuration.validate()
        let processCount = configuration.dataParallelism?.processCount ?? 1
        guard processCount == collective.size else {
            throw TrainingError.invalidSetting(
                name: "processCount", value: "\(collective.size) (the processes started)",
                expected: "the \(processCount) of the settings; start them with mpirun -np \(processCount)")
        }
        self.collective = collective
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
                                   seed: configuration.seed,
                                   shard: BatchShard(index: collective.rank, count: collective.size))
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
    /// exactly as if the run had not stopped). With `extending`, a resumed run may ask for
    /// more epochs than the checkpoint's: training goes on from the epoch reached with the
    /// schedules stretched to the new length (not the same as that many epochs from scratch).
    ///
    /// Throws `TrainingError.nonFiniteLoss` with the step number when the loss stops being
    /// finite (the last checkpoint stays as it was), `configurationMismatch` when resuming a
    /// run with other settings, and `checkpoint` for unreadable files.
    @discardableResult
    public func run(resume: Bool = false, extending: Bool = false, untilEpoch: Int? = nil,
                    progress: (TrainingProgress) -> Void = { _ in }) throws -> [EpochMonitors] {
        checkArgument(collective.isWriter, "run: rank \(collective.rank) follows rank 0 with follow(), it does not run")
        // Convolutions split each batch over the cores themselves, which costs less CPU than
        // BLAS threads inside every small product (the engine benchmark's finding) and gives
        // the same bits on any number of cores. Left so: it is nrcc's rule (`BLASThreads`).
        BLASThreads.set(1)
        let model = ContrastiveStep(configuration: configuration, collective: collective)
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        var startEpoch = 0
        if resume, FileManager.default.fileExists(atPath: checkpointURL.path) {
            startEpoch = try restore(model, extending: extending)
            try trimLog(toEpochs: startEpoch)
        } else {
            for stale in [checkpointURL, logURL] where FileManager.default.fileExists(atPath: stale.path) {
                try FileManager.default.removeItem(at: stale)
            }
        }
        // The settings of the run the checkpoint will hold (an extended run records its new length).
        try configuration.jsonData().write(to: settingsURL, options: .atomic)
        let endEpoch = min(configuration.epochs, untilEpoch ?? configuration.epochs)
        guard startEpoch < endEpoch else { return [] }
        if collective.size > 1 {
            _ = shareFromWriter([Self.trainCommand, startEpoch, endEpoch, try settingsFingerprint()], collective: collective)
            shareState(of: model)
        }
        return try train(model, epochs: startEpoch..<endEpoch, progress: progress)
    }

    /// A rank other than 0 of a data-parallel run: trains beside rank 0 each time its `run`
    /// trains (with the state rank 0 sends, from the epoch it starts at), writing nothing,
    /// until rank 0 calls `releaseFollowers`. Throws what training throws (a non-finite loss
    /// stops every rank at the same step).
    public func follow() throws {
        checkArgument(!collective.isWriter, "follow: rank 0 runs the training, it does not follow")
        BLASThreads.set(1)
        let fingerprint = try settingsFingerprint()
        while true {
            let plan = shareFromWriter([0, 0, 0, 0], collective: collective)
            guard plan[0] == Self.trainCommand else { return }
            // Ranks started with other options would train apart and wait on each other.
            guard plan[3] == fingerprint else {
                throw TrainingError.invalidSetting(
                    name: "settings of rank \(collective.rank)", value: "other than rank 0's",
                    expected: "the same settings on every rank; start every rank with the same options")
            }
            let model = ContrastiveStep(configuration: configuration, collective: collective)
            shareState(of: model)
            _ = try train(model, epochs: plan[1]..<plan[2], progress: { _ in })
        }
    }

    /// Rank 0, when its work with the other ranks is done (after every `run`): lets their
    /// `follow` return.
    public static func releaseFollowers(_ collective: any Collective) {
        guard collective.size > 1, collective.isWriter else { return }
        _ = shareFromWriter([releaseCommand, 0, 0, 0], collective: collective)
    }

    /// 52 bits of a hash of the settings (exact in the Double that carries them to the ranks).
    private func settingsFingerprint() throws -> Int {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
        for byte in try configuration.jsonData() {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
        }
        return Int(hash >> 12)
    }

    /// A rank other than 0 with nothing to train: waits until rank 0 calls `releaseFollowers`.
    public static func awaitRelease(_ collective: any Collective) {
        guard collective.size > 1, !collective.isWriter else { return }
        let plan = shareFromWriter([0, 0, 0, 0], collective: collective)
        checkArgument(plan[0] == releaseCommand, "awaitRelease: rank 0 sent command \(plan[0]) to a rank with nothing to train")
    }

    static let trainCommand = 1
    static let releaseCommand = 2

    /// Rank 0's networks and optimiser state on every rank: the same start after a resume,
    /// and the ranks' weights identical whatever their builds drew.
    private func shareState(of model: ContrastiveStep) {
        broadcastFromWriter((model.networks.namedState + model.optimizer.namedState).map(\.tensor),
                            collective: collective)
        model.optimizer.restoreStepCount(shareFromWriter([model.optimizer.stepCount], collective: collective)[0])
    }

    /// Trains `model` over `epochs`; rank 0 measures the monitors and writes the log and the
    /// checkpoint after each epoch.
    private func train(_ model: ContrastiveStep, epochs: Range<Int>,
                       progress: (TrainingProgress) -> Void) throws -> [EpochMonitors] {
        var history: [EpochMonitors] = []
        let batches = loader.batches(from: epochs.lowerBound, step: 0, endEpoch: epochs.upperBound)
        let rows = configuration.batchSize / collective.size
        let shape = [rows, configuration.inputChannels, configuration.inputHeight, configuration.inputWidth]
        for epoch in epochs {
            var sums = (total: 0.0, contrastive: 0.0, regularizer: 0.0, cluster: 0.0)
            var terms: [RegularizerTerms] = []
            var averaging = (bytes: 0, seconds: 0.0)
            let start = DispatchTime.now().uptimeNanoseconds
            var rate: Float = 0, momentum: Float = 0
            for step in 0..<stepsPerEpoch {
                guard let batch = batches.next() else { fatalError("run: the loader ended early") }
                checkArgument(batch.epoch == epoch && batch.step == step, "run: loader at \(batch.epoch).\(batch.step), loop at \(epoch).\(step)")
                let globalStep = epoch * stepsPerEpoch + step
                rate = learningRate(atStep: globalStep)
                momentum = targetMomentum(atStep: globalStep)
                // Each rank its own SGHMC noise (one process keeps the stream it always had).
                let stream = collective.size > 1 ? [Self.sghmcStream, UInt64(globalStep), UInt64(collective.rank)]
                    : [Self.sghmcStream, UInt64(globalStep)]
                var generator = SeededGenerator(seed: configuration.seed, stream: stream)
                let viewC = thirdViews.map { augmenter in
                    Tensor(shape: shape, scalars: augmenter.batch(batch.first.indices, epoch: epoch, view: 2).pixels)
                }
                let losses = model.step(viewA: Tensor(shape: shape, scalars: batch.first.pixels),
                                        viewB: Tensor(shape: shape, scalars: batch.second.pixels), viewC: viewC,
                                        images: batch.first.indices, learningRate: rate, targetMomentum: momentum, sghmcGenerator: &generator,
                                        injectsNonFiniteLoss: globalStep == nonFiniteLossInjectionStep)
                guard losses.total.isFinite else {
                    throw TrainingError.nonFiniteLoss(epoch: epoch, step: step, globalStep: globalStep, loss: losses.total)
                }
                sums.total += Double(losses.total)
                sums.contrastive += Double(losses.contrastive)
                sums.regularizer += Double(losses.regularizer)
                sums.cluster += Double(losses.cluster)
                if let stepTerms = losses.regularizerTerms { terms.append(stepTerms) }
                averaging.bytes = model.lastGradientAverage.bytes
                averaging.seconds += model.lastGradientAverage.seconds
                progress(.step(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch, loss: losses.total))
            }
            let trainingSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            guard collective.isWriter else { continue }
            let monitorStart = DispatchTime.now().uptimeNanoseconds
            var monitors = EpochMonitors(
                epoch: epoch, globalStep: (epoch + 1) * stepsPerEpoch,
                loss: sums.total / Double(stepsPerEpoch), contrastiveLoss: sums.contrastive / Double(stepsPerEpoch),
                regularizerLoss: sums.regularizer / Double(stepsPerEpoch),
                clusterLoss: configuration.clusterHead == nil ? nil : sums.cluster / Double(stepsPerEpoch),
                regularizerTerms: RegularizerTerms.mean(terms),
                learningRate: Double(rate),
                targetMomentum: configuration.paradigm == .byol ? Double(momentum) : nil,
                knnAccuracy: nil, featureStandardDeviation: nil,
                imagesPerSecond: Double(stepsPerEpoch * configuration.batchSize) / trainingSeconds,
                trainingSeconds: trainingSeconds, monitorSeconds: 0)
            if collective.size > 1 {
                monitors.processCount = collective.size
                monitors.allreduceBytesPerStep = averaging.bytes
                monitors.allreduceSecondsPerStep = averaging.seconds / Double(stepsPerEpoch)
            }
            measureMonitors(model.networks, into: &monitors)
            monitors.monitorSeconds = Double(DispatchTime.now().uptimeNanoseconds - monitorStart) / 1e9
            // The log line first: a kill between the two leaves one line too many, which
            // `trimLog` drops on resume, never a checkpoint whose epoch the log lacks.
            try appendLog(monitors)
            try saveCheckpoint(model, completedEpochs: epoch + 1)
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
        if let supportSet = model.supportSet { checkpoint.store(supportSet.namedState, prefix: "support") }
        checkpoint.metadata["format"] = "nrcc-training-1"
        checkpoint.metadata["configuration"] = String(decoding: try configuration.jsonData(), as: UTF8.self)
        checkpoint.metadata["completed_epochs"] = "\(completedEpochs)"
        checkpoint.metadata["global_step"] = "\(completedEpochs * stepsPerEpoch)"
        checkpoint.metadata["seed"] = "\(configuration.seed)"
        checkpoint.metadata["process_count"] = "\(collective.size)"
        checkpoint.metadata["random_state"] = "stateless: every draw comes from a stream keyed by (seed, epoch, step)"
        do { try checkpoint.write(to: checkpointURL) } catch {
            throw TrainingError.checkpoint(file: checkpointURL.path, reason: "\(error)")
        }
    }

    /// Loads the checkpoint into `model` and returns the number of completed epochs.
    private func restore(_ model: ContrastiveStep, extending: Bool) throws -> Int {
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
        let trainedProcesses = stored.dataParallelism?.processCount ?? 1
        guard trainedProcesses == collective.size else {
            throw TrainingError.processCountMismatch(file: file, trained: trainedProcesses, running: collective.size)
        }
        // Only the epoch count may change on resume, and only to train further (the warm-up,
        // a share of the epochs, follows it).
        var comparable = stored
        comparable.epochs = configuration.epochs
        if extending { comparable.warmupEpochs = configuration.warmupEpochs }
        if let differing = try firstDifference(configuration, comparable) {
            throw TrainingError.configurationMismatch(file: file, setting: differing)
        }
        if stored.epochs != configuration.epochs {
            // The schedules depend on the run length: a longer run is a different run, which
            // only `extending` asks for.
            guard extending else {
                throw TrainingError.configurationMismatch(
                    file: file, setting: "epochs (\(stored.epochs) there, \(configuration.epochs) here)")
            }
            guard configuration.epochs > completed else {
                throw TrainingError.configurationMismatch(
                    file: file, setting: "epochs (\(completed) already trained, \(configuration.epochs) asked; ask for more than \(completed) to train further)")
            }
        }
        do {
            try checkpoint.restore(model.networks.namedState)
            try checkpoint.restore(model.optimizer)
            if let supportSet = model.supportSet { try checkpoint.restore(supportSet.namedState, prefix: "support") }
        } catch {
            throw TrainingError.checkpoint(file: file, reason: "\(error)")
        }
        if let problem = model.supportSet?.stateProblem {
            throw TrainingError.checkpoint(file: file, reason: "\(problem); the file is damaged, use an earlier checkpoint")
        }
        return completed
    }

    /// Keeps the log's lines of the first `epochs` epochs (a kill after a line was written
    /// but before its checkpoint leaves one more).
    private func trimLog(toEpochs epochs: Int) throws {
        guard let text = try? String(contentsOf: logURL, encoding: .utf8) else { return }
        let decoder = JSONDecoder()
        let kept = text.split(separator: "\n").filter { line in
            (try? decoder.decode(EpochMonitors.self, from: Data(line.utf8))).map { $0.epoch < epochs } ?? false
        }
        let trimmed = kept.map { $0 + "\n" }.joined()
        if trimmed != text { try Data(trimmed.utf8).write(to: logURL, options: .atomic) }
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
/// backbone output alone. With `views` > 0 each image's row is averaged over that many
/// augmented views of it, drawn with the training's augmentation settings (crops of at
/// least `EmbeddingViews.cropFloor`) and seed; nil takes the paradigm's default
/// (`EmbeddingViews.defaultCount(for:)`).
///
/// - Returns: row-major [dataset.count, D], D = 256 (projection) or 8 width (backbone).
/// - Throws: `TrainingError.invalidSetting` for a view count out of range,
///   `TrainingError.nonFiniteEmbedding` when any feature is NaN or infinite.
public func embed(checkpoint: URL, dataset: ImageDataset, features: EmbeddingFeatures = .projection,
                  views: Int? = nil, batchSize: Int = 256, progress: EmbeddingProgress? = nil) throws -> [Float] {
    if let views { try EmbeddingViews.validate(count: views) }
    let (networks, configuration) = try ContrastiveNetworks.load(checkpoint: checkpoint)
    let views = views ?? EmbeddingViews.defaultCount(for: configuration.paradigm)
    guard let normalization = configuration.normalization else {
        throw TrainingError.checkpoint(file: checkpoint.path, reason: "records no input normalisation")
    }
    guard dataset.channels == configuration.inputChannels else {
        throw TrainingError.incompatibleDataset(expected: "\(configuration.inputChannels)-channel images (as trained)",
                                                found: "\(dataset.channels) channels in \(dataset.name)")
    }
    let averaged = views == 0 ? nil : EmbeddingViews(
        augmenter: try Augmenter(dataset: dataset, settings: EmbeddingViews.viewSettings(from: configuration.augmentation),
                                 normalization: normalization,
                                 seed: configuration.seed),
        count: views)
    let values = networks.embed(dataset, normalization: normalization, features: features, views: averaged,
                                batchSize: batchSize, progress: progress)
    let columns = values.count / max(1, dataset.count)
    let broken = (0..<dataset.count).count { row in
        values[(row * columns)..<((row + 1) * columns)].contains { !$0.isFinite }
    }
    guard broken == 0 else { throw TrainingError.nonFiniteEmbedding(file: checkpoint.path, images: broken) }
    return values
}

/// The checkpoint at `url`; the reader's errors stay typed inside
/// `TrainingError.unreadableCheckpoint`.
func readCheckpoint(_ url: URL) throws -> Checkpoint {
    do { return try Checkpoint(contentsOf: url) } catch let error as CheckpointError {
        throw TrainingError.unreadableCheckpoint(error)
    } catch {
        throw TrainingError.checkpoint(file: url.path, reason: "\(error)")
    }
}

/// The settings (up to three, as dotted paths with both values) in which two configurations
/// differ; nil when they are equal.
func firstDifference(_ mine: TrainingConfiguration, _ theirs: TrainingConfiguration) throws -> String? {
    guard mine != theirs else { return nil }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let a = try JSONSerialization.jsonObject(with: try encoder.encode(mine), options: [.fragmentsAllowed])
    let b = try JSONSerialization.jsonObject(with: try encoder.encode(theirs), options: [.fragmentsAllowed])
    var found: [String] = []
    collectDifferences(a, b, path: "", into: &found)
    return found.isEmpty ? "(a setting that does not show in JSON)" : found.prefix(3).joined(separator: ", ")
}

/// The leaves where two decoded JSON values differ, each as "path (their value there, this
/// one here)", in key order.
private func collectDifferences(_ here: Any?, _ there: Any?, path: String, into found: inout [String]) {
    if let here = here as? [String: Any], let there = there as? [String: Any] {
        for key in Set(here.keys).union(there.keys).sorted() {
            collectDifferences(here[key], there[key], path: path.isEmpty ? key : path + "." + key, into: &found)
        }
        return
    }
    if let here = here as? [Any], let there = there as? [Any], here.count == there.count {
        for index in here.indices {
            collectDifferences(here[index], there[index], path: "\(path)[\(index)]", into: &found)
        }
        return
    }
    let mine = jsonText(here), theirs = jsonText(there)
    if mine != theirs { found.append("\(path) (\(theirs) there, \(mine) here)") }
}

private func jsonText(_ value: Any?) -> String {
    guard let value, !(value is NSNull) else { return "none" }
    if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) {
        return String(decoding: data, as: UTF8.self)
    }
    return "\(value)"
}
