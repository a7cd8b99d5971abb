import Clustering
import ManifoldLearning

/// Every setting of the second half of the pipeline: reduce the embedding (UMAP by default,
/// SPEC §6), then cluster it (GridShift without k by default, SPEC §7).
public struct ClusterSettings: Codable, Sendable, Equatable {
    /// How the embedding is reduced before clustering.
    public enum Reducer: String, Codable, Sendable, CaseIterable {
        /// UMAP (the paper's choice).
        case umap
        /// t-SNE (the paper's ablation).
        case tsne
        /// No reduction: cluster the features themselves (k-means on the embedding).
        case none
    }

    /// How the reduced points are clustered.
    public enum Method: String, Codable, Sendable, CaseIterable {
        /// GridShift: mode seeking on a grid, finds k itself.
        case gridshift
        /// MeanShift++: the same clusters as GridShift, slower; for checks.
        case meanshiftpp
        /// k-means with k-means++ seeding and restarts; needs `clusterCount`.
        case kmeans
    }

    /// Input metric of the neighbour graph.
    public enum Metric: String, Codable, Sendable, CaseIterable {
        case cosine, euclidean
    }

    /// How GridShift's bandwidth is chosen when none is given (the Clustering module's rules).
    public typealias BandwidthRule = Clustering.BandwidthRule

    public var reducer: Reducer = .umap
    /// Output dimension of the reduction [`n_components`].
    public var dimensions: Int = 3
    /// UMAP neighbours per point [`n_neighbors`].
    public var neighborCount: Int = 10
    /// UMAP [`min_dist`].
    public var minimumDistance: Float = 0
    public var metric: Metric = .cosine
    /// UMAP epochs; nil: 500 up to 10,000 points, 200 beyond.
    public var reductionEpochs: Int?
    /// Parts of the UMAP layout swept at once, shared out among the cores
    /// (`UMAP.layoutParts`); nil, as in the settings of runs made before parts existed, is one
    /// part: the sequential sweep.
    public var layoutParts: Int? = ClusterSettings.defaultLayoutParts

    /// `UMAP.defaultLayoutParts`, for the command's options.
    public static let defaultLayoutParts = UMAP.defaultLayoutParts
    /// `BandwidthSweep`'s default margin, for the command's options.
    public static let defaultModularityTolerance = BandwidthSweep().modularityTolerance
    /// `UMAP.defaultMinimumPartSize`: the fewest points a part of the layout keeps.
    public static let minimumLayoutPartSize = UMAP.defaultMinimumPartSize
    /// t-SNE perplexity.
    public var perplexity: Double = 30
    public var method: Method = .gridshift
    /// k for k-means; nil for the mode-seeking methods.
    public var clusterCount: Int?
    /// The GridShift / MeanShift++ cell side `h`; nil: chosen by `bandwidthRule` (SPEC §7).
    public var bandwidth: Float?
    /// How `h` is chosen when `bandwidth` is nil: by default the silhouette's or the
    /// persistence rule's partition of one sweep, whichever is the more modular.
    public var bandwidthRule: BandwidthRule = .modularity
    /// The modularity rule's margin (`BandwidthSweep.modularityTolerance`); nil, as in the
    /// settings of runs made before the margin existed, is 0: the higher score wins.
    public var modularityTolerance: Double? = ClusterSettings.defaultModularityTolerance
    /// The neighbours of the persistence and modularity rules' graph (`GraphReach`); nil, as in
    /// the settings of runs made before 2026-12-08, is 15 on every set.
    public var graphReach: GraphReach? = .hundredthOfPoints
    /// The graph these settings cluster with: `graphReach`, or 15 neighbours when it is nil.
    public var graphReachUsed: GraphReach { graphReach ?? .before20261208 }
    /// Seeds the reduction, the bandwidth's subsample and k-means.
    public var seed: UInt64 = 0

    public init() {}

    /// Checks every setting once, before any work starts.
    public func validate() throws(PipelineError) {
        func check(_ ok: Bool, _ name: String, _ value: Any, _ expected: String) throws(PipelineError) {
            if !ok { throw .invalidSetting(name: name, value: "\(value)", expected: expected) }
        }
        try check(dimensions >= 1 && dimensions <= 6, "--dimensions", dimensions,
                  "1 to 6 (GridShift visits 3^d cells per cell); 3 is the default")
        if reducer == .tsne {
            try check(dimensions == 2 || dimensions == 3, "--dimensions", dimensions, "2 or 3 with t-SNE")
        }
        try check(neighborCount >= 2, "--neighbors", neighborCount, "at least 2")
        try check(minimumDistance >= 0 && minimumDistance <= 1, "--min-dist", minimumDistance, "in [0, 1]")
        if let layoutParts {
            try check(layoutParts >= 1 && layoutParts <= UMAP.maximumLayoutParts, "--umap-parts", layoutParts,
                      "1 to \(UMAP.maximumLayoutParts) (1: the sequential sweep)")
        }
        try check(perplexity > 1, "--perplexity", perplexity, "more than 1")
        if let modularityTolerance {
            try check((0...1).contains(modularityTolerance), "--modularity-tolerance", modularityTolerance,
                      "in [0, 1] (0.01 by default; 0 keeps the more modular partition)")
        }
        if case .neighbors(let count)? = graphReach {
            try check(count >= 1 && count <= PersistenceMerge.maximumNeighborCount, "--graph-neighbors", count,
                      "1 to \(PersistenceMerge.maximumNeighborCount), or auto (a hundredth of the points, 5 to 15)")
        }
        if let bandwidth {
            try check(bandwidth.isFinite && bandwidth > 0, "--bandwidth", bandwidth,
                      "a positive number, or auto")
        }
        if method == .kmeans {
            try check(clusterCount != nil, "--k", "missing", "a cluster count with --method kmeans")
        }
        if let clusterCount {
            try check(clusterCount >= 1, "--k", clusterCount, "at least 1")
        }
    }
}
