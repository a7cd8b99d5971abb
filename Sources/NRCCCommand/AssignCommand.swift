import ArgumentParser
import Datasets
import Foundation
import Pipeline

/// `nrcc assign`: new images into the clusters a finished `nrcc run` found.
struct AssignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assign",
        abstract: "Put new images (or feature rows) into the clusters of a finished run.",
        discussion: """
            Embeds the input with the run's encoder (a .npy float32 matrix is taken as features), \
            places it into the run's UMAP layout without moving the layout (UMAP's transform), and \
            gives each point the cluster most of its 10 nearest reference points in the layout \
            belong to. Writes labels.csv (index, cluster, confidence, distance, outlier[, label]), \
            coordinates.npy, metrics.json and, for images, embeddings.npy into --output; a point is an outlier when it lies \
            farther from every reference point than 99% of the reference points lie from theirs.
            """)

    @Option(name: .customLong("run"), help: "The folder of a finished `nrcc run`.")
    var runFolder: String

    @Argument(help: "Images (a dataset name, an IDX file or an image folder) or a .npy float32 N x D matrix.")
    var input: String

    @Option(help: DatasetSplit.help)
    var split: DatasetSplit = .all

    @Option(help: "Labels for scoring: IDX, .npy integers, or CSV (one per line or last column).")
    var labels: String?

    @Option(help: "Folder for the outputs.")
    var output: String = "runs/assign"

    @OptionGroup var display: DisplayOptions

    func validate() throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: runFolder, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("--run \(runFolder): no such folder; give the folder of a finished `nrcc run`")
        }
        if URL(fileURLWithPath: output).standardizedFileURL == URL(fileURLWithPath: runFolder).standardizedFileURL {
            throw ValidationError("--output must differ from --run: the run's files are read, not replaced")
        }
    }

    func run() throws {
        try Ranks.requireOneProcess("assign")
        var source = try loadDataset(input, split: split)
        if let labels {
            let values = try readLabels(labels)
            guard values.count == source.count else {
                throw DatasetError.countMismatch(file: labels, expected: source.count, found: values.count)
            }
            source = source.relabelled(values)
        }
        let reference = try RunDirectory(path: runFolder)
        let directory = try RunDirectory(path: output)
        let report = try AssignJob(run: reference.url, input: source)
            .run(writingTo: directory, progress: display.progressPrinter().handler)
        if display.json {
            try printJSON(report)
            return
        }
        print("assigned \(report.points) points to \(report.clustersUsed) of the run's \(report.referenceClusters) clusters; "
              + "\(report.outliers) outliers, mean confidence \(String(format: "%.2f", report.meanConfidence))")
        if let scores = report.scores {
            print(String(format: "ACC %.3f  NMI %.3f  ARI %.3f  (%d classes)", scores.acc, scores.nmi, scores.ari, scores.classes))
        }
        print("outputs: \(directory.url.path)")
    }
}

extension DatasetSplit: ExpressibleByArgument {
    /// The help of every command's `--split`.
    static let help: ArgumentHelp = "Which split of a named dataset: all (train then test), train or test."
}
