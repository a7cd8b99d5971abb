import ArgumentParser
import ContrastiveLearning
import Datasets
import Foundation
import Pipeline

/// `nrcc train`: contrastive training with or without the NRCC regularizer.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an encoder (BYOL or InfoNCE, with or without NRCC) on a dataset.",
        discussion: """
            Writes checkpoint.safetensors (every epoch, atomically), training.jsonl (per-epoch \
            monitors) and settings.json into --output. --resume continues from the checkpoint \
            bit for bit.
            """)

    @Option(help: "A dataset name (digits, fashion-mnist, usps, coil20, cifar10) or path.")
    var dataset: String = "digits"

    @Option(help: "Folder for the checkpoint, the monitor log and the settings.")
    var output: String = "runs/train"

    @Flag(help: "Continue from the checkpoint in --output.")
    var resume = false

    @OptionGroup var training: TrainingOptions
    @OptionGroup var display: DisplayOptions

    func run() throws {
        let images = try loadImageDataset(dataset)
        let configuration = try training.configuration(for: images)
        let printer = display.progressPrinter()
        let trainer = try Trainer(
            configuration: configuration, dataset: images, outputDirectory: URL(fileURLWithPath: output))
        let steps = configuration.epochs * trainer.stepsPerEpoch
        printer.message("training \(configuration.paradigm.rawValue)\(configuration.usesRegularizer ? " + NRCC" : "") on \(images.name): \(images.count) images, \(configuration.epochs) epochs of \(trainer.stepsPerEpoch) steps")
        let monitors = try trainer.run(resume: resume) { event in
            switch event {
            case let .step(epoch, step, stepsPerEpoch, _):
                printer.update(stage: "train", completed: epoch * stepsPerEpoch + step + 1, total: steps, unit: "step")
            case let .epoch(monitors):
                printer.message(epochSummary(monitors, epochs: configuration.epochs))
            }
        }
        if display.json, let last = monitors.last {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(last), as: UTF8.self))
        } else {
            print("checkpoint: \(trainer.checkpointURL.path)")
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

    @Option(help: "The .npy file to write (float32 N x D).")
    var output: String = "embeddings.npy"

    @Option(help: "projection (f+g, 256-d) or backbone (f only).")
    var features: EmbeddingFeatures = .projection

    func run() throws {
        let images = try loadImageDataset(dataset)
        let values = try ContrastiveLearning.embed(
            checkpoint: URL(fileURLWithPath: checkpoint), dataset: images, features: features)
        let columns = values.count / max(1, images.count)
        try writeNPY(values, shape: [images.count, columns], to: output)
        print("wrote \(output): \(images.count) x \(columns)")
    }
}
