import ArgumentParser
import Datasets
import Foundation
import Pipeline

/// `nrcc cluster`: UMAP + GridShift (or the chosen method) on a feature matrix or raw pixels.
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Cluster a feature matrix (.npy float32 N x D) or raw pixels, without k.",
        discussion: """
            Writes coordinates.npy, labels.csv, metrics.json and report.html into --output, and \
            prints the scores when labels exist (from --labels, or the dataset's own).
            """)

    @Argument(help: "A .npy float32 N x D matrix, an IDX images file, a dataset name, or an image folder.")
    var input: String

    @Option(help: DatasetSplit.help)
    var split: DatasetSplit = .all

    @Option(help: "Labels for scoring: IDX, .npy integers, or CSV (one per line or last column).")
    var labels: String?

    @Option(help: "Folder for the outputs.")
    var output: String = "runs/cluster"

    @OptionGroup var clustering: ClusterOptions
    @OptionGroup var display: DisplayOptions

    func run() throws {
        try Ranks.requireOneProcess("cluster")
        let settings = try clustering.settings()
        let printer = display.progressPrinter()
        let job = ClusterJob(input: try ClusterInput(input, split: split, labelsPath: labels), settings: settings)
        let directory = try RunDirectory(path: output)
        let (_, report) = try job.run(writingTo: directory, progress: printer.handler)
        display.show(report, settings: settings, output: directory)
    }
}
