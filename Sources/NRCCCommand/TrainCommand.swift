import ArgumentParser
import ContrastiveLearning
import Datasets
import Foundation
import Pipeline

/// `nrcc train`: contrastive training with or without the NRCC regularizer.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an encoder (InfoNCE, BYOL, SimSiam or Barlow Twins, with or without NRCC) on a dataset.",
        discussion: """
            Writes checkpoint.safetensors, training.jsonl (per-epoch monitors) and settings.json \
            into --output when training succeeds; until then they are kept in --output/.staging \
            and the previous ones stay as they were. --resume continues from the newest \
            checkpoint bit for bit, or trains further when --epochs asks for more.
            """)

    @Option(help: "A dataset name (digits, fashion-mnist, usps, coil20, cifar10) or path.")
    var dataset: String = "digits"

    @Option(help: DatasetSplit.help)
    var split: DatasetSplit = .all

    @Option(help: "Folder for the checkpoint, the monitor log and the settings.")
    var output: String = "runs/train"

    @Flag(help: "Continue from the checkpoint in --output.")
    var resume = false

    @OptionGroup var training: TrainingOptions
    @OptionGroup var display: DisplayOptions

    func run() throws {
        let images = try loadImageDataset(dataset, split: split)
        let world = Ranks.world
        let configuration = try training.configuration(for: images, processCount: world.size)
        guard world.isWriter else {
            try FollowerJob(configuration: configuration, dataset: images, collective: world).run()
            return
        }
        let printer = display.progressPrinter()
        if let note = training.precisionMessage { printer.message(note) }
        let job = TrainJob(configuration: configuration, dataset: images,
                           directory: try RunDirectory(path: output), collective: world)
        let result = try job.run(resume: resume, progress: printer.handler, message: { printer.message($0) })
        if display.json, let last = result.monitors.last {
            try printJSON(last)
        } else {
            print("checkpoint: \(result.checkpoint.path)")
        }
    }
}

/// `nrcc embed`: the trained encoder on every image of a dataset.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed a dataset with a trained checkpoint (L2-normalised, eval mode) into an .npy.")

    @Option(help: "A checkpoint written by nrcc train or nrcc run.")
    var checkpoint: String

    @Option(help: "A dataset name or path.")
    var dataset: String = "digits"

    @Option(help: DatasetSplit.help)
    var split: DatasetSplit = .all

    @Option(help: "The .npy file to write (float32 N x D).")
    var output: String = "embeddings.npy"

    @Option(help: "projection (f+g, 256-d) or backbone (f only).")
    var features: EmbeddingFeatures = .projection

    @Option(help: EmbeddingViews.help)
    var embeddingViews: Int?

    func run() throws {
        try Ranks.requireOneProcess("embed")
        let job = EmbedJob(checkpoint: URL(fileURLWithPath: checkpoint), dataset: try loadImageDataset(dataset, split: split),
                           features: features, views: embeddingViews)
        let (rows, columns) = try job.run(writingTo: output)
        print("wrote \(output): \(rows) x \(columns)")
    }
}

extension EmbeddingViews {
    /// The help of `--embedding-views` (`nrcc run` and `nrcc embed`).
    static let help = ArgumentHelp(
        "Augmented views each image's features are averaged over (0: each image alone).",
        discussion: """
            Each image's row is the normalised sum of its own features and those of N views \
            drawn with the training's augmentations (crops of at least 60%) and seed. \
            Default: 8 for BYOL, and for any paradigm clustered by k-means with --k; 0 \
            otherwise (nrcc embed: the checkpoint's paradigm's).
            """)
}
