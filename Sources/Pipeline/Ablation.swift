import ClusteringMetrics
import ContrastiveLearning
import Datasets
import Foundation

/// The paper's Table 2 (and, with SimSiam and Barlow Twins among the paradigms, its Table 9)
/// for any dataset: paradigms x {no regularizer, NRCC with an ordinary augmentation as x^c,
/// NRCC with SGHMC views} x {k-means on the embedding, t-SNE + GridShift, UMAP + GridShift},
/// scored by NMI, ACC and ARI.
///
/// Each training runs once, in a run folder of its own under the ablation folder
/// (`byol-sghmc/`, ...), and its embedding feeds all three clusterings; every stage is cached
/// by the run folders' ledgers, so an interrupted ablation continues where it stopped.
public struct Ablation {
    /// How the regularizer's x^c is made, or no regularizer at all.
    public enum Negatives: String, CaseIterable, Codable, Sendable {
        case none
        /// NRCC with x^c a third ordinary augmentation of the sample.
        case augmentation
        /// NRCC with x^c from SGHMC (the paper's method).
        case sghmc
    }

    /// How the embedding is clustered.
    public enum Clusterer: String, CaseIterable, Codable, Sendable {
        case kmeans, tsneGridShift = "tsne+gridshift", umapGridShift = "umap+gridshift"
    }

    /// One row of the table.
    public struct Row: Codable, Sendable, Equatable {
        public var paradigm: Paradigm
        public var negatives: Negatives
        public var clusterer: Clusterer
        public var scores: ClusteringScoreSet
    }

    public let dataset: ImageDataset
    public let datasetName: String
    /// The paradigms compared, in the table's order (InfoNCE and BYOL by default: Table 2).
    public let paradigms: [Paradigm]
    /// What the user asked for; each run resolves it for its own paradigm (so each paradigm
    /// gets their CPU default learning rate unless one was given) at `epochs`.
    public let training: TrainingOverrides
    /// The epochs every run trains: `training.epochs`, or what fits the budget for InfoNCE +
    /// NRCC, so that the rows compare at equal epochs as the paper's Table 2 does.
    public let epochs: Int
    /// The UMAP / t-SNE / GridShift settings shared by all clusterings.
    public let clustering: ClusterSettings
    public let directory: RunDirectory

    public init(dataset: ImageDataset, datasetName: String, paradigms: [Paradigm] = [.infonce, .byol],
                training: TrainingOverrides, clustering: ClusterSettings, directory: RunDirectory) throws {
        guard let labels = dataset.labels, Set(labels).count > 1 else {
            throw PipelineError.invalidSetting(
                name: "--dataset", value: datasetName, expected: "a labelled dataset: the ablation scores against labels")
        }
        guard !paradigms.isEmpty, Set(paradigms).count == paradigms.count else {
            throw PipelineError.invalidSetting(
                name: "--paradigms", value: paradigms.map(\.rawValue).joined(separator: " "),
                expected: "one or more distinct paradigms (\(Paradigm.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self.dataset = dataset
        self.datasetName = datasetName
        self.paradigms = paradigms
        self.training = training
        var reference = training
        reference.paradigm = .infonce
        reference.usesRegularizer = true
        epochs = try reference.configuration(for: dataset).epochs
        self.clustering = clustering
        self.directory = directory
    }

    /// Trains what is not trained yet, clusters every embedding three ways, and writes
    /// `ablation.md` and `ablation.csv`.
    public func run(progress: ProgressHandler? = nil, message: @escaping (String) -> Void = { _ in }) throws -> [Row] {
        let truth = dataset.labels!
        var rows: [Row] = []
        for paradigm in paradigms {
            for negatives in Negatives.allCases {
                let name = "\(paradigm.rawValue)-\(negatives.rawValue)"
                message("ablation: \(name)")
                let runDirectory = try RunDirectory(path: directory.file(name).path)
                var umapSettings = clustering
                umapSettings.reducer = .umap
                umapSettings.method = .gridshift
                let job = RunJob(
                    settings: RunSettings(dataset: datasetName, training: try configuration(paradigm, negatives),
                                          clustering: umapSettings),
                    source: .images(dataset), directory: runDirectory)
                let summary = try job.run(progress: progress, message: message)
                let embeddings = try job.readMatrix(RunLayout.embeddings, stage: .embed)

                var kmeansSettings = clustering
                kmeansSettings.reducer = .none
                kmeansSettings.method = .kmeans
                kmeansSettings.clusterCount = clustering.clusterCount ?? Set(truth).count
                let kmeans = try cluster(embeddings.values, dimension: embeddings.columns, settings: kmeansSettings)

                var tsneSettings = clustering
                tsneSettings.reducer = .tsne
                tsneSettings.method = .gridshift
                // t-SNE is the slow one: its layout is kept like a stage of the run folder.
                let tsnePrint = try fingerprint(tsneSettings, after: try fingerprint(job.settings))
                var tsneLayout: (values: [Float], columns: Int)
                if runDirectory.isFinished("tsne", fingerprint: tsnePrint) {
                    tsneLayout = try job.readMatrix("tsne-coordinates.npy", stage: .reduce)
                } else {
                    let reduced = try reduce(embeddings.values, dimension: embeddings.columns,
                                             settings: tsneSettings, progress: progress)
                    tsneLayout = (reduced.coordinates, reduced.dimension)
                    try job.writeMatrix(tsneLayout.values, rows: dataset.count, to: "tsne-coordinates.npy")
                    try runDirectory.markFinished("tsne", fingerprint: tsnePrint)
                    try runDirectory.commit()
                }
                let tsne = try cluster(tsneLayout.values, dimension: tsneLayout.columns, settings: tsneSettings)

                for (clusterer, labels) in [(Clusterer.kmeans, kmeans.labels), (.tsneGridShift, tsne.labels),
                                            (.umapGridShift, summary.outcome.labels)] {
                    rows.append(Row(paradigm: paradigm, negatives: negatives, clusterer: clusterer,
                                    scores: ClusteringScoreSet(truth: truth, predicted: labels)))
                }
                try write(rows)
            }
        }
        return rows
    }

    /// The training configuration of one run.
    public func configuration(_ paradigm: Paradigm, _ negatives: Negatives) throws -> TrainingConfiguration {
        var overrides = training
        overrides.paradigm = paradigm
        overrides.usesRegularizer = negatives != .none
        overrides.epochs = epochs
        var configuration = try overrides.configuration(for: dataset)
        if negatives == .augmentation { configuration.sghmc.variant = .augmentation }
        return configuration
    }

    /// Writes the rows so far as `ablation.md` and `ablation.csv`.
    func write(_ rows: [Row]) throws {
        try directory.write(Data(ablationMarkdown(rows, dataset: datasetName).utf8), to: "ablation.md")
        var csv = "paradigm,negatives,clusterer,clusters,nmi,acc,ari,ami\n"
        for row in rows {
            let s = row.scores
            csv += "\(row.paradigm.rawValue),\(row.negatives.rawValue),\(row.clusterer.rawValue),\(s.clusters),"
            csv += "\(s.nmi),\(s.acc),\(s.ari),\(s.ami)\n"
        }
        try directory.write(Data(csv.utf8), to: "ablation.csv")
        try directory.commit()
    }
}

/// The rows in the layout of the paper's Table 2 (scores in percent).
public func ablationMarkdown(_ rows: [Ablation.Row], dataset: String) -> String {
    func percent(_ value: Double) -> String { String(format: "%.1f", 100 * value) }
    var text = "# Ablation on \(dataset)\n\n"
    text += "| CL | NRCC | Aug | SGHMC | DR | CA | clusters | NMI | ACC | ARI |\n"
    text += "|---|---|---|---|---|---|---|---|---|---|\n"
    for row in rows {
        let nrcc = row.negatives == .none ? "✗" : "✓"
        let augmentation = row.negatives == .augmentation ? "✓" : "✗"
        let sghmc = row.negatives == .sghmc ? "✓" : "✗"
        let (reduction, algorithm) = switch row.clusterer {
        case .kmeans: ("-", "k-means")
        case .tsneGridShift: ("t-SNE", "GridShift")
        case .umapGridShift: ("UMAP", "GridShift")
        }
        text += "| \(row.paradigm.displayName) | \(nrcc) | \(augmentation) | \(sghmc) | \(reduction) | \(algorithm) | "
        text += "\(row.scores.clusters) | \(percent(row.scores.nmi)) | \(percent(row.scores.acc)) | \(percent(row.scores.ari)) |\n"
    }
    return text
}
