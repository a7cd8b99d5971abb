import ClusteringMetrics
import ContrastiveLearning
import Datasets
import Foundation
import Reporting

/// The lower half of the paper's Table 10 for any labelled dataset: the same paradigm and
/// regularizer trained with each backbone (ResNet-18/34, ViT-Tiny/Small/Base) at equal
/// training time, each embedding clustered by k-means with the true k and by UMAP + GridShift
/// without k.
///
/// Equal time is the training budget (`minutes`) turned into epochs by each backbone's cost
/// model, so a ViT trains fewer epochs than a narrow ResNet; with `--epochs` given, every
/// backbone trains those epochs instead. Each training has a run folder of its own under the
/// sweep's folder (`vit-tiny/`, or `vit-tiny-seed1/`, ... with several seeds), cached by its
/// ledger like the ablation's: an interrupted sweep continues where it stopped.
public struct BackboneSweep {
    /// One backbone, one seed, one clustering.
    public struct Row: Codable, Sendable, Equatable {
        public var backbone: BackboneArchitecture
        public var seed: UInt64
        public var epochs: Int
        /// Seconds of training steps, monitors excluded, as the run's training log records them.
        public var trainingSeconds: Double
        /// The last epoch's weighted kNN accuracy of the embedding (nil without monitors).
        public var knnAccuracy: Double?
        /// `.kmeans` (true k) or `.umapGridShift` (no k).
        public var clusterer: Ablation.Clusterer
        public var scores: ClusteringScoreSet
    }

    public let dataset: ImageDataset
    public let datasetName: String
    /// The split of a named dataset the images come from, recorded in each run's settings.
    public let split: DatasetSplit
    public let backbones: [BackboneArchitecture]
    /// The paradigm, regularizer and budget every backbone trains with.
    public let training: TrainingOverrides
    public let seeds: [UInt64]
    public let clustering: ClusterSettings
    public let directory: RunDirectory

    public init(dataset: ImageDataset, datasetName: String, split: DatasetSplit = .all, backbones: [BackboneArchitecture],
                training: TrainingOverrides, seedCount: Int = 1, clustering: ClusterSettings,
                directory: RunDirectory) throws {
        try ComparisonChecks.requireLabels(dataset, name: datasetName, scoredBy: "the sweep")
        try ComparisonChecks.requireDistinct(backbones, option: "--backbones", kind: "backbones")
        guard training.depth == nil else {
            throw PipelineError.invalidSetting(
                name: "--depth", value: "\(training.depth!)", expected: "no --depth with --backbones: name resnet18 or resnet34 among them")
        }
        seeds = try ComparisonChecks.seeds(seedCount, from: training.seed, eachTrains: "every backbone")
        self.dataset = dataset
        self.datasetName = datasetName
        self.split = split
        self.backbones = backbones
        self.training = training
        self.clustering = clustering
        self.directory = directory
        // Every configuration resolves (e.g. a patch size that divides the images) before any trains.
        for backbone in backbones { _ = try configuration(backbone) }
    }

    /// The training configuration of one backbone (of the first seed unless `seed` is given).
    public func configuration(_ backbone: BackboneArchitecture, seed: UInt64? = nil) throws -> TrainingConfiguration {
        var overrides = training
        overrides.backbone = backbone
        overrides.seed = seed ?? training.seed
        // A patch size is a ViT's: the ResNets of the sweep ignore it.
        if backbone.visionTransformerVariant == nil { overrides.patchSize = nil }
        return try overrides.configuration(for: dataset)
    }

    /// Trains what is not trained yet, clusters every embedding both ways, and writes
    /// `backbones.md` and `backbones.csv`.
    public func run(progress: ProgressHandler? = nil, message: @escaping (String) -> Void = { _ in }) throws -> [Row] {
        let truth = dataset.labels!
        var rows: [Row] = []
        for backbone in backbones {
            for seed in seeds {
                let name = backbone.rawValue + (seeds.count > 1 ? "-seed\(seed)" : "")
                let configuration = try configuration(backbone, seed: seed)
                message("backbones: \(name), \(configuration.epochs) epochs")
                let job = RunJob(
                    settings: RunSettings(dataset: datasetName, split: split, training: configuration, clustering: clustering.umapGridShift,
                                          pixelBaseline: false),
                    source: .images(dataset), directory: try RunDirectory(path: directory.file(name).path))
                let summary = try job.run(progress: progress, message: message)
                let embeddings = try job.readMatrix(RunLayout.embeddings, stage: .embed)
                let kmeans = try cluster(embeddings.values, dimension: embeddings.columns,
                                         settings: clustering.kmeans(clusters: Set(truth).count))
                let epochs = try epochMonitors(logURL: job.directory.latest(RunLayout.training + "/" + RunLayout.trainingLog))
                let seconds = epochs.reduce(0) { $0 + $1.trainingSeconds }
                for (clusterer, labels) in [(Ablation.Clusterer.kmeans, kmeans.labels), (.umapGridShift, summary.outcome.labels)] {
                    rows.append(Row(backbone: backbone, seed: seed, epochs: configuration.epochs, trainingSeconds: seconds,
                                    knnAccuracy: epochs.last?.knnAccuracy, clusterer: clusterer,
                                    scores: ClusteringScoreSet(truth: truth, predicted: labels)))
                }
                try write(rows)
            }
        }
        return rows
    }

    /// Writes the rows so far as `backbones.md` and `backbones.csv`.
    func write(_ rows: [Row]) throws {
        try directory.write(Data(backboneSweepMarkdown(rows, dataset: datasetName, training: training).utf8), to: "backbones.md")
        var csv = "backbone,seed,epochs,training_seconds,knn_accuracy,clusterer,clusters,nmi,acc,ari,ami\n"
        for row in rows {
            let s = row.scores
            csv += "\(row.backbone.rawValue),\(row.seed),\(row.epochs),\(row.trainingSeconds),\(row.knnAccuracy.map { "\($0)" } ?? ""),"
            csv += "\(row.clusterer.rawValue),\(s.clusters),\(s.nmi),\(s.acc),\(s.ari),\(s.ami)\n"
        }
        try directory.write(Data(csv.utf8), to: "backbones.csv")
        try directory.commit()
    }
}

/// The sweep in the layout of the paper's Table 10 (scores in percent): one line per backbone,
/// k-means with the true k beside UMAP + GridShift without k; means +- standard deviations
/// over the training seeds when there are several.
public func backboneSweepMarkdown(_ rows: [BackboneSweep.Row], dataset: String, training: TrainingOverrides) -> String {
    let seeds = Set(rows.map(\.seed)).count
    var text = "# Backbones on \(dataset)\n\n"
    text += "\(training.paradigm.displayName)\(training.trainsWithRegularizer ? " + NRCC" : ""), "
    text += training.epochs.map { "\($0) epoch\($0 == 1 ? "" : "s") each" } ?? "a budget of \(formatFixed(training.minutes, digits: 1)) modelled minutes each"
    text += seeds > 1 ? "; mean +- standard deviation over \(seeds) training seeds" : ""
    text += ". Training seconds as measured on this machine; scores in percent.\n\n"
    text += "| backbone | epochs | training s | kNN acc | k-means NMI | k-means ACC | clusters (no k) | NMI | ACC | ARI |\n"
    text += "|---|---|---|---|---|---|---|---|---|---|\n"
    var backbones: [BackboneArchitecture] = []
    for row in rows where !backbones.contains(row.backbone) { backbones.append(row.backbone) }
    for backbone in backbones {
        let kmeans = rows.filter { $0.backbone == backbone && $0.clusterer == .kmeans }
        let umap = rows.filter { $0.backbone == backbone && $0.clusterer == .umapGridShift }
        guard let first = umap.first else { continue }
        func cell(_ values: [Double], scale: Double = 100, digits: Int = 1) -> String {
            guard !values.isEmpty else { return "-" }
            let (mean, deviation) = spread(values.map { $0 * scale })
            return values.count > 1 ? "\(formatFixed(mean, digits: digits)) +- \(formatFixed(deviation, digits: digits))"
                : formatFixed(mean, digits: digits)
        }
        text += "| \(backbone.displayName) | \(first.epochs) | \(cell(umap.map(\.trainingSeconds), scale: 1, digits: 0)) | "
        text += "\(cell(umap.compactMap(\.knnAccuracy))) | \(cell(kmeans.map(\.scores.nmi))) | \(cell(kmeans.map(\.scores.acc))) | "
        text += "\(cell(umap.map { Double($0.scores.clusters) }, scale: 1)) | \(cell(umap.map(\.scores.nmi))) | "
        text += "\(cell(umap.map(\.scores.acc))) | \(cell(umap.map(\.scores.ari))) |\n"
    }
    return text
}
