import Basics

/// Everything a report shows, as plain data filled in by the pipeline.
///
/// Every part may be missing: an empty array or `nil` leaves its section out. A run on
/// feature vectors (`nrcc cluster`) has no training curves, no images and no SGHMC views;
/// a dataset without labels has no scores and no confusion matrix.
public struct ReportContent: Sendable {
    /// The page title, e.g. "nrcc run: digits".
    public var title: String
    /// The dataset's name or path, shown under the title.
    public var datasetName: String
    /// Every resolved setting of the run, in the order they should be listed.
    public var settings: [ReportSetting]
    /// Cluster counts and scores; `nil` when clustering did not run.
    public var metrics: ReportMetrics?
    /// Wall-clock time per stage, in the order the stages ran.
    public var timings: [StageTiming]
    /// The 3-D coordinates of every point (UMAP output), row-major, shape n x 3; empty when absent.
    public var coordinates: [Float]
    /// The cluster of every point, shape n; a negative value marks a point left unassigned.
    public var clusterLabels: [Int]
    /// The true class of every point, shape n, when the dataset has labels.
    public var trueLabels: [Int]?
    /// The name of each class, indexed by true label (`classNames[label]`); a missing name
    /// prints as the label's number.
    public var classNames: [String]
    /// The Hungarian match of ACC, cluster -> class. When `nil` and labels exist, clusters are
    /// matched greedily by largest overlap, one cluster per class.
    public var clusterToClass: [Int: Int]?
    /// Per-epoch training curves; `nil` when no encoder was trained.
    public var training: TrainingHistory?
    /// A few sample images of each cluster, in the order to show them.
    public var clusterSamples: [ClusterSamples]
    /// SGHMC views beside the images they were made from (the paper's Figure 2).
    public var viewPairs: [ViewPair]
    /// Distances from images to their transformed views (Tables 1 and 13), empty when not measured.
    public var viewDistances: [ViewDistance] = []
    /// How the number of clusters was chosen: the bandwidths swept and the one kept.
    public var bandwidthSweep: BandwidthSweepPlot?
    /// `nrcc run`'s other layout (3-D, row-major, one row per point of `coordinates`), drawn
    /// below the clusters' own: the raw pixels laid out the same way, or, when the clusters are
    /// the pixels' (`otherLayoutIsEmbedding`), the learned embedding's; empty when there is none.
    public var otherLayout: [Float] = []
    public var otherLayoutIsEmbedding = false
    /// What to read before trusting the clusters (e.g. a training too short to beat the raw
    /// pixels), shown first.
    public var notices: [String] = []
    /// Sections that could not be made, each with why (e.g. "training curves: the log is
    /// damaged"), listed in the report instead of silently missing.
    public var omissions: [String] = []

    /// Creates a report; every part not given is empty and its section is left out.
    public init(
        title: String,
        datasetName: String,
        settings: [ReportSetting] = [],
        metrics: ReportMetrics? = nil,
        timings: [StageTiming] = [],
        coordinates: [Float] = [],
        clusterLabels: [Int] = [],
        trueLabels: [Int]? = nil,
        classNames: [String] = [],
        clusterToClass: [Int: Int]? = nil,
        training: TrainingHistory? = nil,
        clusterSamples: [ClusterSamples] = [],
        viewPairs: [ViewPair] = [],
        bandwidthSweep: BandwidthSweepPlot? = nil
    ) {
        self.title = title
        self.datasetName = datasetName
        self.settings = settings
        self.metrics = metrics
        self.timings = timings
        self.coordinates = coordinates
        self.clusterLabels = clusterLabels
        self.trueLabels = trueLabels
        self.classNames = classNames
        self.clusterToClass = clusterToClass
        self.training = training
        self.clusterSamples = clusterSamples
        self.viewPairs = viewPairs
        self.bandwidthSweep = bandwidthSweep
    }
}

/// One resolved setting of a run, e.g. `ReportSetting("umap.neighbors", "15")`.
public struct ReportSetting: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// The four label-based scores of one clustering, each in [0, 1] (ARI may fall below 0).
public struct ClusteringScores: Sendable, Equatable {
    /// ACC with the rectangular Hungarian match.
    public var accuracy: Double
    /// NMI, arithmetic-mean normalisation.
    public var normalizedMutualInformation: Double
    /// ARI.
    public var adjustedRandIndex: Double
    /// AMI.
    public var adjustedMutualInformation: Double

    public init(
        accuracy: Double, normalizedMutualInformation: Double,
        adjustedRandIndex: Double, adjustedMutualInformation: Double
    ) {
        self.accuracy = accuracy
        self.normalizedMutualInformation = normalizedMutualInformation
        self.adjustedRandIndex = adjustedRandIndex
        self.adjustedMutualInformation = adjustedMutualInformation
    }
}

/// One line of the metrics table: a clustering (e.g. "GridShift", or the same after merging
/// small clusters), how many clusters it found and, when labels exist, its scores.
public struct MetricsRow: Sendable, Equatable {
    public var name: String
    public var clusters: Int
    public var scores: ClusteringScores?

    public init(name: String, clusters: Int, scores: ClusteringScores? = nil) {
        self.name = name
        self.clusters = clusters
        self.scores = scores
    }
}

/// The metrics of a run: one row per clustering variant, the first being the main result.
public struct ReportMetrics: Sendable, Equatable {
    public var rows: [MetricsRow]
    /// The number of true classes, when labels exist.
    public var classes: Int?

    public init(rows: [MetricsRow], classes: Int? = nil) {
        self.rows = rows
        self.classes = classes
    }
}

/// The wall-clock time one stage took.
public struct StageTiming: Sendable, Equatable {
    public var stage: String
    public var seconds: Double

    public init(stage: String, seconds: Double) {
        self.stage = stage
        self.seconds = seconds
    }
}

/// A named per-epoch series. `epochs` and `values` have the same length; epochs need not be
/// consecutive (kNN accuracy may be measured every few epochs). Non-finite values are skipped.
public struct CurveSeries: Sendable, Equatable {
    public var name: String
    public var epochs: [Double]
    public var values: [Double]

    public init(name: String, epochs: [Double], values: [Double]) {
        checkArgument(
            epochs.count == values.count,
            "CurveSeries \(name): \(epochs.count) epochs but \(values.count) values")
        self.name = name
        self.epochs = epochs
        self.values = values
    }

    /// A series measured once per epoch, epochs numbered 1, 2, ...
    public init(name: String, values: [Double]) {
        self.init(name: name, epochs: values.indices.map { Double($0 + 1) }, values: values)
    }
}

/// The training curves of the encoder.
/// Several curves drawn in one chart.
public struct CurveChart: Sendable, Equatable {
    public var title: String
    public var series: [CurveSeries]

    public init(title: String, series: [CurveSeries]) {
        self.title = title
        self.series = series
    }
}

public struct TrainingHistory: Sendable, Equatable {
    /// The parts of the loss (e.g. "BYOL", "NRCC", "total"), drawn in one chart.
    public var lossParts: [CurveSeries]
    /// kNN accuracy on the embedding (SPEC section 5), when labels exist.
    public var knnAccuracy: CurveSeries?
    /// The global standard deviation of the L2-normalised features: collapse shows as a fall
    /// towards 0; a healthy embedding stays near 1/sqrt(featureDimension).
    public var featureStandardDeviation: CurveSeries?
    /// The NRCC regularizer's diagnostics, each a chart of several lines: its two
    /// log-sum-exp terms, the size of the gradient each sends to the anchors, and the mean
    /// distance of SGHMC's negatives against the other view's (empty without the regularizer).
    public var regularizerCharts: [CurveChart] = []
    /// The embedding's dimension d, for the ideal line 1/sqrt(d).
    public var featureDimension: Int

    public init(
        lossParts: [CurveSeries],
        knnAccuracy: CurveSeries? = nil,
        featureStandardDeviation: CurveSeries? = nil,
        featureDimension: Int = 256
    ) {
        checkArgument(
            featureDimension > 0, "TrainingHistory: featureDimension is \(featureDimension), must be > 0")
        self.lossParts = lossParts
        self.knnAccuracy = knnAccuracy
        self.featureStandardDeviation = featureStandardDeviation
        self.featureDimension = featureDimension
    }
}

/// A few images of one cluster, each already encoded as PNG bytes.
public struct ClusterSamples: Sendable, Equatable {
    public var cluster: Int
    public var images: [[UInt8]]

    public init(cluster: Int, images: [[UInt8]]) {
        self.cluster = cluster
        self.images = images
    }
}

/// An image and the SGHMC view made from it, both encoded as PNG bytes.
public struct ViewPair: Sendable, Equatable {
    public var original: [UInt8]
    public var view: [UInt8]

    public init(original: [UInt8], view: [UInt8]) {
        self.original = original
        self.view = view
    }
}

/// How far, in a run's embedding, images lie from views of them made by one transformation:
/// the mean and standard deviation over the images of the Euclidean distance between the two
/// L2-normalised features (the paper's Tables 1 and 13).
public struct ViewDistance: Sendable, Equatable, Codable {
    /// What made the views, e.g. "colour jitter" or "SGHMC, 3 steps".
    public var transformation: String
    /// SGHMC's steps zeta for an SGHMC row; nil for an augmentation.
    public var sghmcSteps: Int?
    public var mean: Double
    public var standardDeviation: Double
    /// The images measured.
    public var images: Int

    public init(transformation: String, sghmcSteps: Int? = nil, mean: Double, standardDeviation: Double, images: Int) {
        self.transformation = transformation
        self.sghmcSteps = sghmcSteps
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.images = images
    }

    /// The row of `distances`, one per image (population standard deviation).
    public init(transformation: String, sghmcSteps: Int? = nil, distances: [Double]) {
        let count = Double(max(1, distances.count))
        let mean = distances.reduce(0, +) / count
        let variance = distances.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / count
        self.init(transformation: transformation, sghmcSteps: sghmcSteps, mean: mean,
                  standardDeviation: variance.squareRoot(), images: distances.count)
    }
}

/// The modularity rule's contest between the silhouette's and the persistence rule's
/// partitions: each one's clusters and modularity on the layout's neighbour graph.
public struct ModularityContest: Sendable, Equatable {
    /// The index of the silhouette's bandwidth among the sweep's.
    public var silhouetteChoice: Int
    public var silhouetteClusters: Int
    public var persistenceClusters: Int
    public var silhouetteModularity: Double
    public var persistenceModularity: Double
    /// Whether the persistence rule's partition was kept (else the silhouette's).
    public var keptPersistence: Bool
    /// The margin within which the partition of fewer clusters is kept (0: the higher score).
    public var tolerance: Double
    /// Whether the two lay within `tolerance` with different counts, so that the one of fewer
    /// clusters was kept whatever its score.
    public var isWithinTolerance: Bool
    /// The neighbours of the graph they were scored on (nil: not recorded, 15).
    public var graphNeighbors: Int?

    public init(
        silhouetteChoice: Int, silhouetteClusters: Int, persistenceClusters: Int,
        silhouetteModularity: Double, persistenceModularity: Double, keptPersistence: Bool,
        tolerance: Double = 0, isWithinTolerance: Bool = false, graphNeighbors: Int? = nil
    ) {
        self.silhouetteChoice = silhouetteChoice
        self.silhouetteClusters = silhouetteClusters
        self.persistenceClusters = persistenceClusters
        self.silhouetteModularity = silhouetteModularity
        self.persistenceModularity = persistenceModularity
        self.keptPersistence = keptPersistence
        self.tolerance = tolerance
        self.isWithinTolerance = isWithinTolerance
        self.graphNeighbors = graphNeighbors
    }
}

/// The bandwidths GridShift tried, what each found, and the one kept (`chosen`).
public struct BandwidthSweepPlot: Sendable, Equatable {
    /// The rule that chose, e.g. "silhouette".
    public var rule: String
    /// The cell sides tried, largest first.
    public var bandwidths: [Double]
    /// The clusters found at each bandwidth.
    public var clusterCounts: [Int]
    /// The mean silhouette of each partition; nil where undefined (one cluster) or not scored.
    public var silhouettes: [Double?]
    /// The index of the bandwidth used (for the persistence rule, of the partition merged).
    public var chosen: Int
    /// The persistence rule's fragments: each one's peak density and the height at which it
    /// merged (nil for those heading a cluster); empty for the other rules.
    public var persistence: [(peak: Double, death: Double?)]
    /// The merge threshold, relative to the lower peak (persistence rule only).
    public var mergeRatio: Double?
    /// The modularity rule's two contenders (that rule only).
    public var contest: ModularityContest?

    public init(
        rule: String, bandwidths: [Double], clusterCounts: [Int], silhouettes: [Double?], chosen: Int,
        persistence: [(peak: Double, death: Double?)] = [], mergeRatio: Double? = nil,
        contest: ModularityContest? = nil
    ) {
        checkArgument(bandwidths.count == clusterCounts.count && bandwidths.count == silhouettes.count,
                     "BandwidthSweepPlot: \(bandwidths.count) bandwidths, \(clusterCounts.count) counts, \(silhouettes.count) silhouettes")
        checkArgument(bandwidths.indices.contains(chosen), "BandwidthSweepPlot: chosen \(chosen) outside 0..<\(bandwidths.count)")
        self.rule = rule
        self.bandwidths = bandwidths
        self.clusterCounts = clusterCounts
        self.silhouettes = silhouettes
        self.chosen = chosen
        self.persistence = persistence
        self.mergeRatio = mergeRatio
        self.contest = contest
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.rule == b.rule && a.bandwidths == b.bandwidths && a.clusterCounts == b.clusterCounts
            && a.silhouettes == b.silhouettes && a.chosen == b.chosen && a.mergeRatio == b.mergeRatio
            && a.contest == b.contest
            && a.persistence.map(\.peak) == b.persistence.map(\.peak)
            && a.persistence.map(\.death) == b.persistence.map(\.death)
    }
}
