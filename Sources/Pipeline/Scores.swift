import Basics
import Clustering
import ClusteringMetrics

/// The scores of one clustering against the labels (SPEC §8), as `metrics.json` writes them.
public struct ClusteringScoreSet: Codable, Sendable, Equatable {
    /// Accuracy under the best one-to-one cluster-to-class match (unmatched clusters count as
    /// errors).
    public var acc: Double
    /// Normalised mutual information, arithmetic-mean normalisation.
    public var nmi: Double
    /// Adjusted Rand index.
    public var ari: Double
    /// Adjusted mutual information, arithmetic-mean normalisation.
    public var ami: Double
    /// Clusters found.
    public var clusters: Int
    /// Classes in the labels.
    public var classes: Int

    /// Scores `predicted` against `truth` (same length).
    public init(truth: [Int], predicted: [Int]) {
        checkArgument(truth.count == predicted.count,
                     "scores: \(truth.count) labels, \(predicted.count) cluster assignments")
        acc = clusteringAccuracy(truth, predicted)
        nmi = normalizedMutualInformation(truth, predicted)
        ari = adjustedRandIndex(truth, predicted)
        ami = adjustedMutualInformation(truth, predicted)
        clusters = Set(predicted).count
        classes = Set(truth).count
    }
}

/// Everything `metrics.json` holds: the headline scores (when labels exist), the clusters
/// found, the small-cluster-merge variant reported separately, and timings.
public struct ClusteringReport: Codable, Sendable, Equatable {
    public var acc: Double?
    public var nmi: Double?
    public var ari: Double?
    public var ami: Double?
    /// Clusters found (always reported).
    public var clusters: Int
    public var classes: Int?
    /// The method and, for the mode-seeking ones, the bandwidth used.
    public var method: String
    public var bandwidth: Float?
    /// How the bandwidth was chosen: the rule, every bandwidth a sweep tried with its cluster
    /// count and silhouette, and the index of the one used.
    public var bandwidthSelection: BandwidthChoice?
    /// Clusters holding <= 0.5% of points reassigned to the nearest surviving centre; never the
    /// headline figure (SPEC §7).
    public var smallClustersMerged: ClusteringScoreSet?
    /// Seconds per stage.
    public var seconds: [String: Double]
    /// What to read before trusting the clusters (`RunNotices`); nil when there is nothing.
    public var notices: [String]?
    /// `nrcc run`'s raw pixels, clustered the same way; nil for `nrcc cluster` and for runs
    /// without that comparison.
    public var pixelBaseline: PixelBaseline?
    /// Whose layout the clusters above come from (`ClusterSource`): "embedding" or "pixels";
    /// nil where there was no choice (`nrcc cluster`, or no pixel baseline).
    public var clustersFrom: String?
    /// The learned embedding's own partition, when the clusters above are the pixels'.
    public var learnedEmbedding: LearnedPartition?

    /// Whether the clusters above are the raw pixels' (`clustersFrom`).
    public var clustersAreThePixels: Bool { clustersFrom == ClusterSource.pixels.rawValue }

    enum CodingKeys: String, CodingKey {
        case acc, nmi, ari, ami, clusters, classes, method, bandwidth, seconds, notices
        case bandwidthSelection = "bandwidth_selection"
        case smallClustersMerged = "small_clusters_merged"
        case pixelBaseline = "pixel_baseline"
        case clustersFrom = "clusters_from"
        case learnedEmbedding = "learned_embedding"
    }

    /// The report of `outcome`, scored against `truth` when given.
    public init(outcome: ClusterOutcome, truth: [Int]?, method: ClusterSettings.Method) {
        clusters = outcome.clusterCount
        self.method = method.rawValue
        bandwidth = outcome.bandwidth
        bandwidthSelection = outcome.bandwidthChoice
        seconds = outcome.seconds
        if let truth {
            let scores = ClusteringScoreSet(truth: truth, predicted: outcome.labels)
            acc = scores.acc
            nmi = scores.nmi
            ari = scores.ari
            ami = scores.ami
            classes = scores.classes
            smallClustersMerged = outcome.mergedLabels.map { ClusteringScoreSet(truth: truth, predicted: $0) }
        }
    }
}
