import ArgumentParser
import Pipeline

/// The reduction and clustering options shared by `cluster`, `run` and `ablation`.
struct ClusterOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Output dimension of the reduction.")
    var dimensions: Int = 3

    @Option(help: "Reduce with umap, tsne, or none (cluster the features directly).")
    var reducer: ClusterSettings.Reducer = .umap

    @Option(name: .customLong("neighbors"), parsing: .unconditional, help: "UMAP neighbours per point (n_neighbors).")
    var neighborCount: Int = 10

    @Option(name: .customLong("min-dist"), parsing: .unconditional, help: "UMAP minimum distance in the layout (min_dist).")
    var minimumDistance: Float = 0

    @Option(help: "Metric of the neighbour graph: cosine or euclidean.")
    var metric: ClusterSettings.Metric = .cosine

    @Option(name: .customLong("umap-epochs"), parsing: .unconditional, help: "UMAP epochs (default: 500 up to 10,000 points, 200 beyond).")
    var reductionEpochs: Int?

    @Option(name: .customLong("umap-parts"), parsing: .unconditional, help: ArgumentHelp(
        "The most parts of the UMAP layout swept at once, shared out among the cores (1: umap-learn's sequential sweep).",
        discussion: """
            Each part keeps at least \(ClusterSettings.minimumLayoutPartSize) points, so layouts of \
            fewer than \(2 * ClusterSettings.minimumLayoutPartSize) points are swept sequentially. \
            The layout depends on the seed and this number, never on the cores: the same parts give \
            the same layout on one core or sixteen.
            """))
    var layoutParts: Int = ClusterSettings.defaultLayoutParts

    @Option(help: "Clustering method: gridshift (finds k), meanshiftpp, or kmeans (needs --k).")
    var method: ClusterSettings.Method = .gridshift

    @Option(name: .customLong("k"), parsing: .unconditional, help: "Number of clusters for k-means.")
    var clusterCount: Int?

    @Option(help: "GridShift cell side h, or auto: chosen by --select.")
    var bandwidth: String = "auto"

    @Option(name: .customLong("select"), help: ArgumentHelp(
        "How auto chooses h, and so the number of clusters: modularity, silhouette, persistence, plateau or percentile.",
        discussion: """
            The sweeping rules run GridShift at up to 49 bandwidths, from half the layout's extent down \
            by factors of 2^(1/6). silhouette: the partition of highest mean silhouette (on 2,000 \
            sampled points). persistence: the finest partition of at most 200 clusters, its fragments \
            merged wherever no deep density valley parts them (ToMATo's rule over the \
            15-nearest-neighbour graph; below 1,450 points, a hundredth of the points' \
            neighbours, at least 5). modularity (the default): both of those, each with its \
            clusters under a quarter of its median size joined to a near neighbour, and the \
            one of higher modularity on that graph kept (of fewer clusters when the two lie \
            within 0.01). plateau: the middle of the longest run of \
            bandwidths finding the same count. \
            percentile: the 4th percentile of sampled points' Chebyshev distances to their n/14-th \
            neighbour (sizes clusters for about ten groups).
            """))
    var bandwidthRule: ClusterSettings.BandwidthRule = .modularity

    @Option(name: .customLong("modularity-tolerance"), parsing: .unconditional, help: "The modularity rule's margin: of its two partitions, the one of fewer clusters is kept when their modularities lie within this (0: the higher score, as before 2026-12-07).")
    var modularityTolerance: Double = ClusterSettings.defaultModularityTolerance

    @Option(name: .customLong("graph-neighbors"), parsing: .unconditional, help: ArgumentHelp(
        "Neighbours of the persistence and modularity rules' graph: auto or a count.",
        discussion: """
            auto (the default): a hundredth of the points, at least 5 and at most 15; 15 reproduces \
            the rules before 2026-12-08 on sets under 1,450 points.
            """))
    var graphNeighbors: String = "auto"

    @Option(parsing: .unconditional, help: "Seed of every random choice.")
    var seed: UInt64 = 0

    func validate() throws {
        _ = try settings()
    }

    /// The validated settings these options describe.
    func settings() throws -> ClusterSettings {
        var settings = ClusterSettings()
        settings.dimensions = dimensions
        settings.reducer = reducer
        settings.neighborCount = neighborCount
        settings.minimumDistance = minimumDistance
        settings.metric = metric
        settings.reductionEpochs = reductionEpochs
        settings.layoutParts = layoutParts
        settings.method = method
        settings.clusterCount = clusterCount
        settings.seed = seed
        settings.bandwidthRule = bandwidthRule
        settings.modularityTolerance = modularityTolerance
        if graphNeighbors != "auto" {
            guard let count = Int(graphNeighbors) else {
                throw ValidationError("--graph-neighbors is '\(graphNeighbors)', expected a neighbour count or auto")
            }
            settings.graphReach = .neighbors(count)
        }
        if bandwidth != "auto" {
            guard let h = Float(bandwidth) else {
                throw ValidationError("--bandwidth is '\(bandwidth)', expected a positive number or auto")
            }
            settings.bandwidth = h
        }
        do {
            try settings.validate()
        } catch {
            throw ValidationError(error.description)
        }
        return settings
    }
}

extension ClusterSettings.Reducer: ExpressibleByArgument {}
extension ClusterSettings.Method: ExpressibleByArgument {}
extension ClusterSettings.Metric: ExpressibleByArgument {}
extension ClusterSettings.BandwidthRule: ExpressibleByArgument {}
