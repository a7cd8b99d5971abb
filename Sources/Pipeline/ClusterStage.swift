import Clustering
import Dispatch
import ManifoldLearning

/// The result of reducing and clustering one feature matrix.
public struct ClusterOutcome: Sendable, Equatable {
    /// The reduced points, row-major `labels.count x dimensions`.
    public var coordinates: [Float]
    public var dimensions: Int
    /// The cluster of every point, numbered from 0.
    public var labels: [Int]
    /// The number of clusters found (or asked for, with k-means).
    public var clusterCount: Int
    /// The cell side used by GridShift / MeanShift++.
    public var bandwidth: Float?
    /// How that cell side was chosen, when no fixed one was given.
    public var bandwidthChoice: BandwidthChoice?
    /// The labels after the optional small-cluster merge (mode-seeking methods only).
    public var mergedLabels: [Int]?
    /// Seconds spent reducing and clustering.
    public var seconds: [String: Double]
}

/// Reduces `features` (row-major `n x dimension`) as `settings` say and clusters the result.
///
/// This is the whole of `nrcc cluster`, and the last stages of `nrcc run`.
public func reduceAndCluster(
    _ features: [Float], dimension: Int, settings: ClusterSettings, progress: ProgressHandler? = nil
) throws -> ClusterOutcome {
    try settings.validate()
    var seconds: [String: Double] = [:]
    let (coordinates, reducedDimension) = try timed(&seconds, "reduce") {
        try reduce(features, dimension: dimension, settings: settings, progress: progress)
    }
    var outcome = try timed(&seconds, "cluster") {
        try cluster(coordinates, dimension: reducedDimension, settings: settings)
    }
    outcome.seconds = seconds
    return outcome
}

/// Reduces `features` to `settings.dimensions` with UMAP or t-SNE, or passes them through.
public func reduce(
    _ features: [Float], dimension: Int, settings: ClusterSettings, progress: ProgressHandler? = nil
) throws -> (coordinates: [Float], dimension: Int) {
    switch settings.reducer {
    case .none:
        return (features, dimension)
    case .umap:
        let umap = try makeUMAP(settings)
        let result = try umap.embed(features, dimension: dimension) { epoch, epochs in
            progress?(ProgressEvent(stage: "umap", completed: epoch, total: epochs, unit: "epoch"))
        }
        try checkFinite(result.embedding, stage: "reduce (UMAP)")
        return (result.embedding, settings.dimensions)
    case .tsne:
        let tsne = try TSNE(dimensions: settings.dimensions, perplexity: Float(settings.perplexity), seed: settings.seed)
        let embedding = try tsne.embed(features, dimension: dimension) { iteration, iterations in
            progress?(ProgressEvent(stage: "t-SNE", completed: iteration, total: iterations, unit: "iteration"))
        }
        try checkFinite(embedding, stage: "reduce (t-SNE)")
        return (embedding, settings.dimensions)
    }
}

/// The UMAP of `settings`: the reduce stage's, and the one `nrcc assign` transforms with.
func makeUMAP(_ settings: ClusterSettings) throws -> UMAP {
    try UMAP(
        dimensions: settings.dimensions, neighborCount: settings.neighborCount,
        minimumDistance: settings.minimumDistance,
        metric: settings.metric == .cosine ? .cosine : .euclidean,
        epochCount: settings.reductionEpochs, seed: settings.seed,
        layoutParts: settings.layoutParts ?? 1)
}

/// Throws `PipelineError.nonFiniteResult` when `values` holds NaN or infinity.
func checkFinite(_ values: [Float], stage: String) throws {
    let count = values.count { !$0.isFinite }
    if count > 0 { throw PipelineError.nonFiniteResult(stage: stage, count: count) }
}

/// Clusters `coordinates` (row-major `n x dimension`) with the method of `settings`.
public func cluster(
    _ coordinates: [Float], dimension: Int, settings: ClusterSettings
) throws -> ClusterOutcome {
    switch settings.method {
    case .gridshift, .meanshiftpp:
        let sweep = BandwidthSweep(seed: settings.seed, modularityTolerance: settings.modularityTolerance ?? 0,
                                   graphReach: settings.graphReachUsed)
        let result: ModeSeekingResult, choice: BandwidthChoice?
        switch (settings.method, settings.bandwidth) {
        case (_, let h?):
            result = settings.method == .gridshift
                ? try gridShift(coordinates, dimension: dimension, bandwidth: .fixed(h))
                : try meanShiftPlusPlus(coordinates, dimension: dimension, bandwidth: .fixed(h))
            choice = nil
        case (.gridshift, nil):
            (result, choice) = try gridShift(coordinates, dimension: dimension, selecting: settings.bandwidthRule, sweep: sweep)
        default:
            choice = try chooseBandwidth(coordinates, dimension: dimension, rule: settings.bandwidthRule, sweep: sweep)
            result = try meanShiftPlusPlus(coordinates, dimension: dimension, bandwidth: .fixed(choice!.bandwidth))
        }
        return ClusterOutcome(
            coordinates: coordinates, dimensions: dimension, labels: result.labels,
            clusterCount: result.clusterCount, bandwidth: result.bandwidth, bandwidthChoice: choice,
            mergedLabels: result.mergingSmallClusters().labels, seconds: [:])
    case .kmeans:
        let k = settings.clusterCount ?? 0
        let result = try kMeans(coordinates, dimension: dimension, clusterCount: k, seed: settings.seed)
        return ClusterOutcome(
            coordinates: coordinates, dimensions: dimension, labels: result.labels,
            clusterCount: result.clusterCount, bandwidth: nil, bandwidthChoice: nil, mergedLabels: nil, seconds: [:])
    }
}

/// Runs `body`, adding its wall-clock seconds to `seconds[name]`.
func timed<Result>(_ seconds: inout [String: Double], _ name: String, _ body: () throws -> Result) rethrows -> Result {
    let start = DispatchTime.now().uptimeNanoseconds
    defer { seconds[name, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
    return try body()
}
