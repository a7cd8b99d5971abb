import Clustering
import ClusteringMetrics
import Datasets
import Reporting

extension ClusteringScoreSet {
    /// The same scores in the report's terms.
    var reportScores: ClusteringScores {
        ClusteringScores(
            accuracy: acc, normalizedMutualInformation: nmi,
            adjustedRandIndex: ari, adjustedMutualInformation: ami)
    }
}

extension ClusteringReport {
    /// The headline scores in the report's terms, when labels exist.
    public var scores: ClusteringScores? {
        guard let acc, let nmi, let ari, let ami else { return nil }
        return ClusteringScores(
            accuracy: acc, normalizedMutualInformation: nmi,
            adjustedRandIndex: ari, adjustedMutualInformation: ami)
    }

    /// The metrics table: the headline clustering, the small-cluster-merge variant, and the
    /// other layout's partition (`nrcc run`): the raw pixels clustered the same way, or the
    /// learned embedding's when the headline clusters are the pixels'.
    public func reportMetrics(methodName: String) -> ReportMetrics {
        let headline = clustersAreThePixels ? "raw pixels, \(methodName) (the run's clusters)" : methodName
        var rows = [MetricsRow(name: headline, clusters: clusters, scores: scores)]
        if let merged = smallClustersMerged {
            rows.append(MetricsRow(name: "\(headline), clusters <= 0.5% merged",
                                   clusters: merged.clusters, scores: merged.reportScores))
        }
        if let learnedEmbedding {
            rows.append(MetricsRow(name: "learned embedding, \(methodName)",
                                   clusters: learnedEmbedding.clusters, scores: learnedEmbedding.scores?.reportScores))
        } else if let pixelBaseline {
            rows.append(MetricsRow(name: "raw pixels, \(methodName)",
                                   clusters: pixelBaseline.clusters, scores: pixelBaseline.scores?.reportScores))
        }
        return ReportMetrics(rows: rows, classes: classes)
    }
}

/// The display name of a clustering method.
public func displayName(of method: ClusterSettings.Method, reducer: ClusterSettings.Reducer) -> String {
    let clusterer = switch method {
    case .gridshift: "GridShift"
    case .meanshiftpp: "MeanShift++"
    case .kmeans: "k-means"
    }
    return switch reducer {
    case .umap: "UMAP + \(clusterer)"
    case .tsne: "t-SNE + \(clusterer)"
    case .none: clusterer
    }
}

/// Up to `perCluster` images of each of the `clusterLimit` largest clusters, as PNG bytes.
func clusterSamples(
    of images: ImageDataset, labels: [Int], clusterLimit: Int = 16, perCluster: Int = 10
) -> [ClusterSamples] {
    var members: [Int: [Int]] = [:]
    for (index, label) in labels.enumerated() where members[label, default: []].count < perCluster {
        members[label, default: []].append(index)
    }
    var sizes: [Int: Int] = [:]
    for label in labels { sizes[label, default: 0] += 1 }
    let largest = sizes.sorted { ($0.value, -$0.key) > ($1.value, -$1.key) }.prefix(clusterLimit)
    return largest.map { cluster, _ in
        ClusterSamples(
            cluster: cluster,
            images: (members[cluster] ?? []).compactMap { try? images.pngBytes(ofImage: $0) })
    }
}

/// The coordinates to plot: 3-D as they are, 2-D with z = 0, others not plotted.
func plottableCoordinates(_ outcome: ClusterOutcome) -> [Float] {
    switch outcome.dimensions {
    case 3: return outcome.coordinates
    case 2:
        var padded = [Float](repeating: 0, count: outcome.labels.count * 3)
        for i in 0..<outcome.labels.count {
            padded[3 * i] = outcome.coordinates[2 * i]
            padded[3 * i + 1] = outcome.coordinates[2 * i + 1]
        }
        return padded
    default: return []
    }
}

/// The report of a clustering: projection, metrics, confusion matrix, samples, settings.
public func clusterReportContent(
    title: String, input: ClusterInput, outcome: ClusterOutcome, report: ClusteringReport,
    settings: ClusterSettings, extraSettings: [ReportSetting] = [],
    training: TrainingHistory? = nil, viewPairs: [ViewPair] = [], timings: [StageTiming] = []
) -> ReportContent {
    let truth = input.features.labels
    let method = displayName(of: settings.method, reducer: settings.reducer)
    var listed = extraSettings + settingsList(settings)
    if let bandwidth = outcome.bandwidth {
        listed.append(ReportSetting("bandwidth used", "\(bandwidth)"))
    }
    return ReportContent(
        title: title,
        datasetName: input.features.name,
        settings: listed,
        metrics: report.reportMetrics(methodName: method),
        timings: timings + outcome.seconds.sorted { $0.key > $1.key }.map { StageTiming(stage: $0.key, seconds: $0.value) },
        coordinates: plottableCoordinates(outcome),
        clusterLabels: outcome.labels,
        trueLabels: truth,
        classNames: input.images?.classNames ?? [],
        clusterToClass: truth.map { clusterToClassMatch($0, outcome.labels) },
        training: training,
        clusterSamples: input.images.map { clusterSamples(of: $0, labels: outcome.labels) } ?? [],
        viewPairs: viewPairs,
        bandwidthSweep: outcome.bandwidthChoice.map(sweepPlot))
}

/// The report's view of a bandwidth choice.
func sweepPlot(_ choice: BandwidthChoice) -> BandwidthSweepPlot {
    BandwidthSweepPlot(
        rule: choice.rule.rawValue,
        bandwidths: choice.candidates.map { Double($0.bandwidth) },
        clusterCounts: choice.candidates.map(\.clusterCount),
        silhouettes: choice.candidates.map(\.silhouette),
        chosen: choice.chosen,
        persistence: (choice.persistence ?? []).map { ($0.peak, $0.death) },
        mergeRatio: choice.persistence == nil ? nil : PersistenceMerge().ratio,
        contest: choice.arbitration.map { arbitration in
            ModularityContest(
                silhouetteChoice: arbitration.silhouetteChoice, silhouetteClusters: arbitration.silhouetteClusters,
                persistenceClusters: arbitration.persistenceClusters,
                silhouetteModularity: arbitration.silhouetteModularity,
                persistenceModularity: arbitration.persistenceModularity,
                keptPersistence: arbitration.kept == .persistence, tolerance: arbitration.tolerance ?? 0,
                isWithinTolerance: arbitration.isWithinTolerance, graphNeighbors: arbitration.graphNeighbors)
        })
}

/// Every clustering setting, for the report's settings table.
func settingsList(_ settings: ClusterSettings) -> [ReportSetting] {
    var list = [
        ReportSetting("reducer", settings.reducer.rawValue),
        ReportSetting("dimensions", "\(settings.dimensions)"),
    ]
    if settings.reducer == .umap {
        list += [
            ReportSetting("umap.neighbors", "\(settings.neighborCount)"),
            ReportSetting("umap.min_dist", "\(settings.minimumDistance)"),
            ReportSetting("umap.metric", settings.metric.rawValue),
            ReportSetting("umap.epochs", settings.reductionEpochs.map(String.init) ?? "auto"),
            ReportSetting("umap.parts", settings.layoutParts.map { "up to \($0), of \(ClusterSettings.minimumLayoutPartSize)+ points each" } ?? "1"),
        ]
    }
    if settings.reducer == .tsne {
        list.append(ReportSetting("tsne.perplexity", "\(settings.perplexity)"))
    }
    list.append(ReportSetting("method", settings.method.rawValue))
    if let k = settings.clusterCount { list.append(ReportSetting("k", "\(k)")) }
    list.append(ReportSetting("bandwidth", settings.bandwidth.map { "\($0)" } ?? "auto (\(settings.bandwidthRule.rawValue))"))
    list.append(ReportSetting("seed", "\(settings.seed)"))
    return list
}
