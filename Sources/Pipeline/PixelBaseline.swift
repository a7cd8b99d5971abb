import Basics
import Clustering
import ClusteringMetrics

/// `nrcc run`'s yardstick: the same reduction and clustering on the raw pixels, beside the
/// learned embedding's. Training is worth its minutes only where it clusters better than this
/// (on USPS a default run did not: docs/defaults.md).
public struct PixelBaseline: Codable, Sendable, Equatable {
    /// Clusters found in the pixels' layout.
    public var clusters: Int
    /// The pixels' clusters against the labels, when there are labels.
    public var scores: ClusteringScoreSet?
    /// How cleanly each layout divides: the modularity of each partition on its own layout's
    /// 15-nearest-neighbour graph (`layoutModularity`); nil for sets too small for the graph.
    public var modularity: Double?
    public var embeddingModularity: Double?
    /// How far the two partitions agree with each other (no labels needed).
    public var agreementNMI: Double
    public var agreementARI: Double

    enum CodingKeys: String, CodingKey {
        case clusters, scores, modularity
        case embeddingModularity = "embedding_modularity"
        case agreementNMI = "agreement_nmi"
        case agreementARI = "agreement_ari"
    }

    /// Compares `pixels`, the clustering of the pixels' layout, with `embedding`, the run's.
    public init(pixels: ClusterOutcome, embedding: ClusterOutcome, truth: [Int]?) {
        checkArgument(pixels.labels.count == embedding.labels.count,
                      "pixel baseline: \(pixels.labels.count) and \(embedding.labels.count) points")
        clusters = pixels.clusterCount
        scores = truth.map { ClusteringScoreSet(truth: $0, predicted: pixels.labels) }
        modularity = layoutModularity(pixels.coordinates, dimension: pixels.dimensions,
                                      labels: pixels.labels, clusterCount: pixels.clusterCount)
        embeddingModularity = layoutModularity(embedding.coordinates, dimension: embedding.dimensions,
                                               labels: embedding.labels, clusterCount: embedding.clusterCount)
        agreementNMI = normalizedMutualInformation(pixels.labels, embedding.labels)
        agreementARI = adjustedRandIndex(pixels.labels, embedding.labels)
    }
}
