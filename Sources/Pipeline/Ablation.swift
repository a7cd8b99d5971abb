import ClusteringMetrics
import ContrastiveLearning
import Datasets
import Foundation

/// The paper's Table 2 (and, with SimSiam and Barlow Twins among the paradigms, its Table 9)
/// for any dataset: paradigms x {no regularizer, NRCC with an ordinary augmentation as x^c,
/// NRCC with SGHMC views} x {k-means on the embedding, t-SNE + GridShift, UMAP + GridShift},
/// scored by NMI, ACC and ARI.
///
/// Each training runs once per training seed, in a run folder of its own under the ablation
/// folder (`byol-sghmc/`, or `byol-sghmc-seed1/`, ... with several seeds), and its embedding
/// feeds all three clusterings; every stage is cached by the run folders' ledgers, so an
/// interrupted ablation continues where it stopped. With several seeds the table gives each
/// row's mean and standard deviation over them, and the paired differences NRCC minus none:
/// the runs of one seed share their initialisation, data order and views.
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
        /// The training seed.
        public var seed: UInt64
        public var scores: ClusteringScoreSet

        public init(paradigm: Paradigm, negatives: Negatives, clusterer: Clusterer, seed: UInt64,
                    scores: ClusteringScoreSet) {
            self.paradigm = paradigm
            self.negatives = negatives
            self.clusterer = clusterer
            self.seed = seed
            self.scores = scores
        }
    }

    /// The most training seeds one ablation takes.
    public static let maximumSeedCount = 100

    public let dataset: ImageDataset
    public let datasetName: String
    /// The split of a named dataset the images come from, recorded in each run's settings.
    public let split: DatasetSplit
    /// The paradigms compared, in the table's order (InfoNCE and BYOL by default: Table 2).
    public let paradigms: [Paradigm]
    /// What the user asked for; each run resolves it for its own paradigm (so each paradigm
    /// gets their CPU default learning rate unless one was given) at `epochs`.
    public let training: TrainingOverrides
    /// The epochs every run trains: `training.epochs`, or what fits the budget for InfoNCE +
    /// NRCC, so that the rows compare at equal epochs as the paper's Table 2 does.
    public let epochs: Int
    /// The training seeds, from `training.seed` on.
    public let seeds: [UInt64]
    /// The UMAP / t-SNE / GridShift settings shared by all clusterings.
    public let clustering: ClusterSettings
    public let directory: RunDirectory

    public init(dataset: ImageDataset, datasetName: String, split: DatasetSplit = .all, paradigms: [Paradigm] = [.infonce, .byol],
                training: TrainingOverrides, seedCount: Int = 1, clustering: ClusterSettings,
                directory: RunDirectory) throws {
        try ComparisonChecks.requireLabels(dataset, name: datasetName, scoredBy: "the ablation")
        try ComparisonChecks.requireDistinct(paradigms, option: "--paradigms", kind: "paradigms")
        seeds = try ComparisonChecks.seeds(seedCount, from: training.seed, eachTrains: "every row")
        self.dataset = dataset
        self.datasetName = datasetName
        self.split = split
        self.paradigms = paradigms
        self.training = training
        var reference = training
        reference.paradigm = .infonce
        reference.usesRegularizer = true
        epochs = try reference.configuration(for: dataset).epochs
        self.clustering = clustering
        self.directory = directory
        // Every row's settings checked before the first one trains: a setting that one
        // paradigm refuses (--support-set for BYOL) stops the ablation here, not hours in.
        for paradigm in paradigms {
            for negatives in Negatives.allCases { _ = try configuration(paradigm, negatives) }
        }
    }

    /// Trains what is not trained yet, clusters every embedding three ways, and writes
    /// `ablation.md` and `ablation.csv`.
    public func run(progress: ProgressHandler? = nil, message: @escaping (String) -> Void = { _ in }) throws -> [Row] {
        let truth = dataset.labels!
        var rows: [Row] = []
        let plan = paradigms.flatMap { paradigm in
            seeds.flatMap { seed in Negatives.allCases.map { (paradigm, seed, $0) } }
        }
        for (paradigm, seed, negatives) in plan {
            let name = "\(paradigm.rawValue)-\(negatives.rawValue)" + (seeds.count > 1 ? "-seed\(seed)" : "")
            message("ablation: \(name)")
            let runDirectory = try RunDirectory(path: directory.file(name).path)
            let job = RunJob(
                settings: try runSettings(paradigm, negatives, seed: seed),
                source: .images(dataset), directory: runDirectory)
            let summary = try job.run(progress: progress, message: message)
            let embeddings = try job.readMatrix(RunLayout.embeddings, stage: .embed)

            let kmeans = try cluster(embeddings.values, dimension: embeddings.columns,
                                     settings: clustering.kmeans(clusters: clustering.clusterCount ?? Set(truth).count))

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
                rows.append(Row(paradigm: paradigm, negatives: negatives, clusterer: clusterer, seed: seed,
                                scores: ClusteringScoreSet(truth: truth, predicted: labels)))
            }
            try write(rows)
        }
        return rows
    }

    /// The training configuration of one run (of the first seed unless `seed` is given).
    public func configuration(_ paradigm: Paradigm, _ negatives: Negatives, seed: UInt64? = nil) throws -> TrainingConfiguration {
        var overrides = training
        overrides.seed = seed ?? training.seed
        overrides.paradigm = paradigm
        overrides.usesRegularizer = negatives != .none
        overrides.epochs = epochs
        var configuration = try overrides.configuration(for: dataset)
        if negatives == .augmentation { configuration.sghmc.variant = .augmentation }
        return configuration
    }

    /// The settings of one run's folder: its training, and UMAP + GridShift for its report.
    public func runSettings(_ paradigm: Paradigm, _ negatives: Negatives, seed: UInt64? = nil) throws -> RunSettings {
        RunSettings(dataset: datasetName, split: split, training: try configuration(paradigm, negatives, seed: seed),
                    clustering: clustering.umapGridShift, pixelBaseline: false)
    }

    /// Writes the rows so far as `ablation.md` and `ablation.csv`.
    func write(_ rows: [Row]) throws {
        try directory.write(Data(ablationMarkdown(rows, dataset: datasetName).utf8), to: "ablation.md")
        var csv = "paradigm,negatives,clusterer,seed,clusters,nmi,acc,ari,ami\n"
        for row in rows {
            let s = row.scores
            csv += "\(row.paradigm.rawValue),\(row.negatives.rawValue),\(row.clusterer.rawValue),\(row.seed),\(s.clusters),"
            csv += "\(s.nmi),\(s.acc),\(s.ari),\(s.ami)\n"
        }
        try directory.write(Data(csv.utf8), to: "ablation.csv")
        try directory.commit()
    }
}

extension ClusterSettings {
    /// These settings with UMAP + GridShift: how the ablation's and the sweep's runs cluster.
    var umapGridShift: ClusterSettings {
        var settings = self
        settings.reducer = .umap
        settings.method = .gridshift
        return settings
    }

    /// k-means with `clusters` clusters on the embedding itself.
    func kmeans(clusters: Int) -> ClusterSettings {
        var settings = self
        settings.reducer = .none
        settings.method = .kmeans
        settings.clusterCount = clusters
        return settings
    }
}

/// The checks that the ablation and the backbone sweep share.
enum ComparisonChecks {
    /// Throws unless `dataset` has labels of at least two classes.
    static func requireLabels(_ dataset: ImageDataset, name: String, scoredBy comparison: String) throws {
        guard let labels = dataset.labels, Set(labels).count > 1 else {
            throw PipelineError.invalidSetting(
                name: "--dataset", value: name, expected: "a labelled dataset: \(comparison) scores against labels")
        }
    }

    /// Throws unless `values` (of `option`) are one or more, none twice.
    static func requireDistinct<Value: RawRepresentable & CaseIterable & Hashable>(
        _ values: [Value], option: String, kind: String
    ) throws where Value.RawValue == String {
        guard !values.isEmpty, Set(values).count == values.count else {
            throw PipelineError.invalidSetting(
                name: option, value: values.map(\.rawValue).joined(separator: " "),
                expected: "one or more distinct \(kind) (\(Value.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
    }

    /// The `count` training seeds from `first` on, or a throw when `count` is out of range.
    static func seeds(_ count: Int, from first: UInt64, eachTrains what: String) throws -> [UInt64] {
        guard (1...Ablation.maximumSeedCount).contains(count), first <= UInt64.max - UInt64(count) else {
            throw PipelineError.invalidSetting(
                name: "--seeds", value: "\(count)",
                expected: "1 to \(Ablation.maximumSeedCount) training seeds (each trains \(what) once more)")
        }
        return (0..<UInt64(count)).map { first + $0 }
    }
}

/// The rows in the layout of the paper's Table 2 (scores in percent). With several training
/// seeds: each row's mean +- standard deviation over the seeds, then each NRCC variant minus
/// no regularizer, paired by seed (the same initialisation, data order and views), then every
/// run.
public func ablationMarkdown(_ rows: [Ablation.Row], dataset: String) -> String {
    var text = "# Ablation on \(dataset)\n\n"
    let seeds = Array(Set(rows.map(\.seed))).sorted()
    guard seeds.count > 1 else { return text + tableTwo(rows, showingSeed: false) }

    let seedList = seeds.map(String.init).joined(separator: ", ")
    text += "Mean +- standard deviation over \(seeds.count) training seeds (\(seedList)); scores in percent.\n\n"
    text += tableTwoHeader(showingSeed: false)
    var groups: [AblationCell] = []
    for row in rows where !groups.contains(AblationCell(row)) { groups.append(AblationCell(row)) }
    for group in groups {
        let scores = rows.filter { AblationCell($0) == group }.map(\.scores)
        let clusters = spread(scores.map { Double($0.clusters) })
        text += tableTwoCells(group)
        text += String(format: "%.1f | ", clusters.mean)
        text += [scores.map(\.nmi), scores.map(\.acc), scores.map(\.ari)].map { percentSpread($0) }.joined(separator: " | ")
        text += " |\n"
    }

    text += "\n## NRCC minus no regularizer, paired by training seed\n\n"
    text += "Differences in points; \"ahead\": the seeds on which NRCC's ACC is higher.\n\n"
    text += "| CL | x^c | DR | CA | seeds | ACC | NMI | ARI | ahead |\n"
    text += "|---|---|---|---|---|---|---|---|---|\n"
    for group in groups where group.negatives != .none {
        var baseline = group
        baseline.negatives = .none
        let pairs: [(with: ClusteringScoreSet, without: ClusteringScoreSet)] = rows.compactMap { row in
            guard AblationCell(row) == group,
                  let none = rows.first(where: { AblationCell($0) == baseline && $0.seed == row.seed }) else { return nil }
            return (row.scores, none.scores)
        }
        guard !pairs.isEmpty else { continue }
        let labels = tableTwoLabels(group)
        text += "| \(group.paradigm.displayName) | \(group.negatives == .sghmc ? "SGHMC" : "augmentation") | "
        text += "\(labels.reduction) | \(labels.algorithm) | \(pairs.count) | "
        text += [\ClusteringScoreSet.acc, \.nmi, \.ari].map { metric in
            percentSpread(pairs.map { $0.with[keyPath: metric] - $0.without[keyPath: metric] }, signed: true)
        }.joined(separator: " | ")
        text += " | \(pairs.filter { $0.with.acc > $0.without.acc }.count) of \(pairs.count) |\n"
    }

    text += "\n## Every run\n\n"
    return text + tableTwo(rows, showingSeed: true)
}

/// One row of Table 2 without its seed.
private struct AblationCell: Equatable {
    var paradigm: Paradigm
    var negatives: Ablation.Negatives
    var clusterer: Ablation.Clusterer

    init(_ row: Ablation.Row) {
        (paradigm, negatives, clusterer) = (row.paradigm, row.negatives, row.clusterer)
    }
}

/// Table 2's rows, one per run.
private func tableTwo(_ rows: [Ablation.Row], showingSeed: Bool) -> String {
    func percent(_ value: Double) -> String { String(format: "%.1f", 100 * value) }
    var text = tableTwoHeader(showingSeed: showingSeed)
    for row in rows {
        text += tableTwoCells(AblationCell(row)) + (showingSeed ? "\(row.seed) | " : "")
        text += "\(row.scores.clusters) | \(percent(row.scores.nmi)) | \(percent(row.scores.acc)) | \(percent(row.scores.ari)) |\n"
    }
    return text
}

/// Table 2's header, with a seed column when `showingSeed`.
private func tableTwoHeader(showingSeed: Bool) -> String {
    "| CL | NRCC | Aug | SGHMC | DR | CA | " + (showingSeed ? "seed | " : "") + "clusters | NMI | ACC | ARI |\n"
        + "|---|---|---|---|---|---|" + (showingSeed ? "---|" : "") + "---|---|---|---|\n"
}

/// A row's first six cells and the separator after them: "| InfoNCE | ✓ | ✗ | ✓ | UMAP | GridShift | ".
private func tableTwoCells(_ cell: AblationCell) -> String {
    let labels = tableTwoLabels(cell)
    return "| \(cell.paradigm.displayName) | \(labels.nrcc) | \(labels.augmentation) | \(labels.sghmc) | "
        + "\(labels.reduction) | \(labels.algorithm) | "
}

/// Table 2's marks for the regularizer and its names for the reduction and the clustering.
private func tableTwoLabels(
    _ cell: AblationCell
) -> (nrcc: String, augmentation: String, sghmc: String, reduction: String, algorithm: String) {
    let mark = { (on: Bool) in on ? "✓" : "✗" }
    let negatives = cell.negatives
    let (reduction, algorithm) = switch cell.clusterer {
    case .kmeans: ("-", "k-means")
    case .tsneGridShift: ("t-SNE", "GridShift")
    case .umapGridShift: ("UMAP", "GridShift")
    }
    return (mark(negatives != .none), mark(negatives == .augmentation), mark(negatives == .sghmc), reduction, algorithm)
}

/// "mean +- standard deviation" of fractions, in percent (with a sign when `signed`).
private func percentSpread(_ values: [Double], signed: Bool = false) -> String {
    let (mean, deviation) = spread(values)
    return String(format: signed ? "%+.1f +- %.1f" : "%.1f +- %.1f", 100 * mean, 100 * deviation)
}

/// The mean and the sample standard deviation (0 for one value).
func spread(_ values: [Double]) -> (mean: Double, deviation: Double) {
    let mean = values.reduce(0, +) / Double(values.count)
    guard values.count > 1 else { return (mean, 0) }
    let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
    return (mean, (squares / Double(values.count - 1)).squareRoot())
}
