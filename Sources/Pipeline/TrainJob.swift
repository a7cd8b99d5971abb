import Basics
import ContrastiveLearning
import Datasets
import Foundation
import Reporting
import TensorCore

/// `nrcc train`: contrastive training into a folder of its own, which ends up holding
/// `checkpoint.safetensors`, `training.jsonl` and `settings.json`.
///
/// Like every job it works in the folder's staging area and commits when done: a failed or
/// interrupted training leaves the previous checkpoint and log as they were, and `resume`
/// goes on from the interrupted one.
///
/// Data-parallel, this is rank 0's job (the others run `FollowerJob`): it trains with
/// `collective`'s ranks and lets them go when done.
public struct TrainJob {
    public let configuration: TrainingConfiguration
    public let dataset: ImageDataset
    public let directory: RunDirectory
    /// The ranks of a data-parallel run (this is rank 0), or a single process.
    public let collective: any Collective

    public init(configuration: TrainingConfiguration, dataset: ImageDataset, directory: RunDirectory,
                collective: any Collective = SingleProcess()) {
        self.configuration = configuration
        self.dataset = dataset
        self.directory = directory
        self.collective = collective
    }

    /// Trains from scratch, or with `resume` from the folder's checkpoint (interrupted or
    /// finished; to more epochs when `configuration.epochs` asks for more), and commits.
    /// Returns the monitors of the epochs run and the committed checkpoint.
    public func run(
        resume: Bool, progress: ProgressHandler? = nil, message: @escaping (String) -> Void = { _ in }
    ) throws -> (monitors: [EpochMonitors], checkpoint: URL) {
        let monitors = try trainStaged(
            configuration, on: dataset, in: directory, folder: "", resume: resume ? .required : .never,
            collective: collective, progress: progress, message: message)
        Trainer.releaseFollowers(collective)
        try directory.commit()
        return (monitors, directory.file(RunLayout.checkpoint))
    }
}

/// `nrcc embed`: a trained encoder on every image of a dataset, into an .npy file.
public struct EmbedJob {
    public let checkpoint: URL
    public let dataset: ImageDataset
    public let features: EmbeddingFeatures
    /// Augmented views each image is averaged over (`EmbeddingViews`); nil: the default of
    /// the checkpoint's paradigm.
    public let views: Int?

    public init(checkpoint: URL, dataset: ImageDataset, features: EmbeddingFeatures, views: Int? = nil) {
        self.checkpoint = checkpoint
        self.dataset = dataset
        self.features = features
        self.views = views
    }

    /// Embeds and writes the float32 [N, D] matrix to `path` atomically (nothing is written
    /// when the features are not finite). Returns N and D.
    public func run(writingTo path: String) throws -> (rows: Int, columns: Int) {
        let values = try embed(checkpoint: checkpoint, dataset: dataset, features: features, views: views)
        let columns = values.count / max(1, dataset.count)
        let array = NPYArray(shape: [dataset.count, columns], elements: .float32(values))
        try writeOutput(Data(npyBytes(array)), to: URL(fileURLWithPath: path))
        return (dataset.count, columns)
    }
}

/// The ranks other than 0 of a data-parallel `nrcc train` or `nrcc run`: each trains beside
/// rank 0 whenever rank 0 trains (rank 0 decides whether and from where), and writes nothing;
/// it returns when rank 0's job is done. Without images to train on (a feature matrix given
/// to `nrcc run`) it only waits for that.
public struct FollowerJob {
    public let configuration: TrainingConfiguration?
    public let dataset: ImageDataset?
    public let collective: any Collective

    public init(configuration: TrainingConfiguration?, dataset: ImageDataset?, collective: any Collective) {
        self.configuration = configuration
        self.dataset = dataset
        self.collective = collective
    }

    public func run() throws {
        guard let configuration, let dataset else {
            // Rank 0 trains nothing; its release is all there is to wait for.
            Trainer.awaitRelease(collective)
            return
        }
        // The folder is never written: only rank 0 writes.
        let trainer = try Trainer(configuration: configuration, dataset: dataset,
                                  outputDirectory: FileManager.default.temporaryDirectory, collective: collective)
        try trainer.follow()
    }
}

/// How a training stage treats a checkpoint already in its folder.
enum TrainingResume {
    /// `nrcc run`: go on from it when its settings match, else train from scratch.
    case whenSettingsMatch
    /// `nrcc train --resume`: go on from it, to more epochs if asked; no checkpoint or other
    /// settings are errors.
    case required
    /// `nrcc train`: train from scratch.
    case never
}

/// Trains `configuration` on `dataset` into the staged `folder` of `directory` (the committed
/// checkpoint and log are copied in first when resuming and nothing is staged yet), with
/// progress by step and a message per epoch. The caller commits.
func trainStaged(
    _ configuration: TrainingConfiguration, on dataset: ImageDataset, in directory: RunDirectory,
    folder: String, resume: TrainingResume, collective: any Collective, progress: ProgressHandler?,
    message: @escaping (String) -> Void
) throws -> [EpochMonitors] {
    let staged = try directory.stagedFolder(folder)
    let checkpoint = staged.appendingPathComponent(RunLayout.checkpoint)
    let committed = directory.file(folder)
    if resume != .never && !FileManager.default.fileExists(atPath: checkpoint.path) {
        for name in [RunLayout.checkpoint, RunLayout.trainingLog] {
            let source = committed.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: source.path) else { continue }
            do {
                try FileManager.default.copyItem(at: source, to: staged.appendingPathComponent(name))
            } catch {
                throw PipelineError.unwritableOutput(path: staged.appendingPathComponent(name).path, reason: describe(error))
            }
        }
    }
    let trainer = try Trainer(configuration: configuration, dataset: dataset, outputDirectory: staged,
                              collective: collective)
    let total = configuration.epochs * trainer.stepsPerEpoch
    let report: (TrainingProgress) -> Void = { event in
        switch event {
        case let .step(epoch, step, stepsPerEpoch, _):
            progress?(ProgressEvent(stage: "train", completed: epoch * stepsPerEpoch + step + 1, total: total, unit: "step"))
        case let .epoch(monitors):
            message(epochSummary(monitors, epochs: configuration.epochs))
        }
    }
    let resumable = FileManager.default.fileExists(atPath: checkpoint.path)
    message("training \(configuration.paradigm.rawValue)\(configuration.usesRegularizer ? " + NRCC" : "") on \(dataset.name) (\(configuration.backboneDescription)\(configuration.arithmeticPrecision == .bf16 ? ", bf16 \(BFloat16Kernel.fastest == .hardwarePairs ? "on AVX512_BF16" : "emulated")" : "")): \(dataset.count) images, \(configuration.epochs) epochs of \(trainer.stepsPerEpoch) steps\(resumable && resume != .never ? ", resuming" : "")")
    switch resume {
    case .never:
        return try trainer.run(resume: false, progress: report)
    case .required:
        guard resumable else {
            throw PipelineError.missingArtefact(stage: "train --resume", file: committed.appendingPathComponent(RunLayout.checkpoint).path)
        }
        do {
            return try trainer.run(resume: true, extending: true, progress: report)
        } catch let TrainingError.configurationMismatch(_, setting) {
            throw TrainingError.configurationMismatch(file: "the checkpoint in \(committed.path)", setting: setting)
        } catch let TrainingError.processCountMismatch(_, trained, running) {
            throw TrainingError.processCountMismatch(file: "the checkpoint in \(committed.path)", trained: trained, running: running)
        }
    case .whenSettingsMatch:
        do {
            return try trainer.run(resume: resumable, progress: report)
        } catch let TrainingError.configurationMismatch(_, setting) {
            message("the checkpoint in \(committed.path) has other settings (\(setting)): training from scratch")
            return try trainer.run(resume: false, progress: report)
        } catch let TrainingError.processCountMismatch(_, trained, running) {
            message("the checkpoint in \(committed.path) was trained by \(trained) processes, this run has \(running): training from scratch")
            return try trainer.run(resume: false, progress: report)
        }
    }
}

/// One line per finished epoch, for logs.
public func epochSummary(_ monitors: EpochMonitors, epochs: Int) -> String {
    var line = "epoch \(monitors.epoch + 1)/\(epochs): loss \(formatFixed(monitors.loss, digits: 4))"
    line += " (contrastive \(formatFixed(monitors.contrastiveLoss, digits: 4)), regularizer \(formatFixed(monitors.regularizerLoss, digits: 4))"
    if let cluster = monitors.clusterLoss { line += ", cluster head \(formatFixed(cluster, digits: 4))" }
    line += ")"
    if let knn = monitors.knnAccuracy { line += ", kNN accuracy \(formatFixed(knn, digits: 3))" }
    if let std = monitors.featureStandardDeviation { line += ", feature std \(formatFixed(std, digits: 4))" }
    line += ", \(Int(monitors.imagesPerSecond)) images/s"
    return line
}
