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
    /// nearest-neighbour graph (`layoutModularity`: the modularity rule's graph, 15 neighbours
    /// on 1,450 points or more); nil for sets too small for the graph.
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

    /// Compares `pixels`, the clustering of the pixels' layout, with `embedding`, the run's,
    /// each scored on its own layout's graph of `graphReach`.
    public init(pixels: ClusterOutcome, embedding: ClusterOutcome, truth: [Int]?,
                graphReach: GraphReach = .hundredthOfPoints) {
        checkArgument(pixels.labels.count == embedding.labels.count,
                      "pixel baseline: \(pixels.labels.count) and \(embedding.labels.count) points")
        clusters = pixels.clusterCount
        scores = truth.map { ClusteringScoreSet(truth: $0, predicted: pixels.labels) }
        modularity = layoutModularity(pixels.coordinates, dimension: pixels.dimensions,
                                      labels: pixels.labels, clusterCount: pixels.clusterCount, graphReach: graphReach)
        embeddingModularity = layoutModularity(embedding.coordinates, dimension: embedding.dimensions,
                                               labels: embedding.labels, clusterCount: embedding.clusterCount,
                                               graphReach: graphReach)
        agreementNMI = normalizedMutualInformation(pixels.labels, embedding.labels)
        agreementARI = adjustedRandIndex(pixels.labels, embedding.labels)
    }
}

/// Which of `nrcc run`'s two partitions is its answer, written to `labels.csv` and scored first:
/// the learned embedding's layout, the raw pixels' (`PixelBaseline`), or, by default, the one
/// whose layout divides more cleanly.
///
/// That is the test the modularity rule already applies between its two candidate partitions,
/// taken one step up: each partition's modularity on its own layout's nearest-neighbour
/// graph. On 75 labelled layouts of 25 trained embeddings beside their pixels' (docs/defaults.md,
/// "Whose clusters a run reports"), the one of higher modularity scored ACC 0.732 on average,
/// the learned layouts alone 0.650 and the pixels alone 0.727.
public enum ClusterSource: String, Codable, Sendable, CaseIterable {
    /// The partition of higher modularity; the embedding's wherever the pixels were not laid out.
    case auto
    /// Always the learned embedding's.
    case embedding
    /// The raw pixels', wherever they were laid out.
    case pixels

    /// Whether the raw pixels' partition is the answer, given the comparison `baseline` (nil
    /// where the pixels were not clustered).
    public func choosesPixels(_ baseline: PixelBaseline?) -> Bool {
        guard let baseline else { return false }
        switch self {
        case .embedding: return false
        case .pixels: return true
        case .auto:
            guard let pixels = baseline.modularity, let embedding = baseline.embeddingModularity else { return false }
            return pixels > embedding
        }
    }
}

/// The learned embedding's own partition, kept in `metrics.json` (`learned_embedding`) when the
/// run's answer is the raw pixels'.
public struct LearnedPartition: Codable, Sendable, Equatable {
    public var clusters: Int
    /// Against the labels, when there are labels.
    public var scores: ClusteringScoreSet?
}
