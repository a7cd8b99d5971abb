import ArgumentParser
import ContrastiveLearning
import Datasets
import Foundation
import Pipeline

/// `nrcc run`: the whole pipeline, from images to clusters, scores and a report.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Train, embed, reduce with UMAP, cluster with GridShift, score and report.",
        discussion: """
            Every stage writes its artefact into --output (settings.json, training/, \
            embeddings.npy, coordinates.npy, pixel_coordinates.npy, labels.csv, \
            pixel_labels.csv, metrics.json, report.html). A re-run \
            with the same settings skips finished stages; --from redoes a stage and all after \
            it; an interrupted training resumes from its last checkpoint. A .npy float32 \
            feature matrix skips training and goes straight to UMAP.
            """)

    @Option(help: "A dataset name (digits, fashion-mnist, usps, coil20, cifar10) or path.")
    var dataset: String = "digits"

    @Option(help: DatasetSplit.help)
    var split: DatasetSplit = .all

    @Option(help: "The run folder.")
    var output: String?

    @Option(help: "Redo this stage and every later one: train, embed, reduce, baseline, cluster, report.")
    var from: Stage?

    @Flag(inversion: .prefixedNo,
          help: "Also reduce and cluster the raw pixels the same way, and compare (images only).")
    var pixelBaseline = true

    @Option(help: ArgumentHelp(
        "Whose clusters are the run's answer: auto, embedding or pixels.",
        discussion: """
            auto (the default): the learned embedding's layout or the raw pixels', whichever \
            divides more cleanly (the modularity of its clusters on its own nearest-neighbour \
            graph); the other partition is kept beside it (pixel_labels.csv or \
            embedding_labels.csv). embedding: always the learned embedding's, as the paper does.
            """))
    var clustersFrom: ClusterSource = .auto

    @Option(help: "Features to cluster: projection (f+g, 256-d) or backbone.")
    var features: EmbeddingFeatures = .projection

    @Option(help: EmbeddingViews.help)
    var embeddingViews: Int?

    @OptionGroup var training: TrainingOptions
    @OptionGroup var clustering: ClusterOptions
    @OptionGroup var display: DisplayOptions

    func run() throws {
        if let embeddingViews { try EmbeddingViews.validate(count: embeddingViews) }
        let source = try loadDataset(dataset, split: split)
        let world = Ranks.world
        var trainingConfiguration: TrainingConfiguration?
        var images: ImageDataset?
        if case let .images(dataset) = source {
            trainingConfiguration = try training.configuration(for: dataset, processCount: world.size)
            images = dataset
        }
        guard world.isWriter else {
            // The later stages are rank 0's alone.
            try FollowerJob(configuration: trainingConfiguration, dataset: images, collective: world).run()
            return
        }
        let settings = RunSettings(
            dataset: dataset, split: split, training: trainingConfiguration, features: features,
            embeddingViews: embeddingViews, clustering: try clustering.settings(), pixelBaseline: pixelBaseline, clustersFrom: clustersFrom)
        let directory = try RunDirectory(path: output ?? "runs/\(URL(fileURLWithPath: dataset).lastPathComponent)")
        let printer = display.progressPrinter()
        if let note = training.precisionMessage { printer.message(note) }
        let job = RunJob(settings: settings, source: source, directory: directory, collective: world)
        let summary = try job.run(from: from, progress: printer.handler, message: { printer.message($0) })
        display.show(summary.report, settings: settings.clustering, output: directory)
    }
}

extension Stage: ExpressibleByArgument {}
extension ClusterSource: ExpressibleByArgument {}
