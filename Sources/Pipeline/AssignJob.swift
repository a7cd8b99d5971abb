import Basics
import Clustering
import ContrastiveLearning
import Datasets
import Foundation
import ManifoldLearning

/// `nrcc assign`: new images (or feature rows) put into the clusters a finished `nrcc run`
/// found, without re-running it and without renumbering its clusters.
///
///     features   the run's encoder embeds new images (its settings' features); a feature
///                matrix is taken as it is (same columns as the run's embeddings). Where the
///                run's clusters are its raw pixels' (`ClusterSource`), the new images' pixels
///                are placed in the pixels' layout instead, among the run's images' pixels
///     layout     UMAP's transform (`UMAPTransform`): each new point's neighbours among the
///                run's embeddings, placed at their weighted mean, then moved alone by the
///                layout's SGD against the fixed reference layout
///     cluster    the majority cluster of its `voterCount` nearest reference points in the
///                layout (ties to the nearest); confidence is that majority's share
///     outlier    its embedding distance to the nearest reference point exceeds the 99th
///                percentile of the reference points' own nearest-neighbour distances (on a
///                seeded sample of 1,000), the same metric as the layout's
///
/// Assigning by the layout's neighbours rather than by re-running GridShift's shift from each
/// new point: the reference cells move while GridShift runs, so a shift over fixed cells does
/// not end where the run's own points did; the neighbours' vote reproduces the run's labels
/// for its own images.
public struct AssignJob {
    /// The reference run folder, read only.
    public let run: URL
    public let input: DatasetContents
    /// Reference points voting on a new point's cluster (10, the layout's neighbour count).
    public var voterCount = 10

    public init(run: URL, input: DatasetContents) {
        self.run = run
        self.input = input
    }

    public func run(writingTo directory: RunDirectory?, progress: ProgressHandler? = nil) throws -> AssignReport {
        var seconds: [String: Double] = [:]
        let reference = try timed(&seconds, "load") { try AssignReference(folder: run) }
        let features = try timed(&seconds, "embed") { try newFeatures(reference) }
        let transform = try UMAPTransform(
            umap: try makeUMAP(reference.settings.clustering), reference: reference.embeddings,
            dimension: reference.columns, layout: reference.layout)
        let (layout, neighbors) = try timed(&seconds, "transform") {
            try transform.transform(features) { epoch, epochs in
                progress?(ProgressEvent(stage: "umap transform", completed: epoch, total: epochs, unit: "epoch"))
            }
        }
        try checkFinite(layout, stage: "assign (UMAP transform)")
        let assignments = timed(&seconds, "assign") {
            assign(layout: layout, embeddingNeighbors: neighbors, reference: reference, transform: transform)
        }
        let report = AssignReport(assignments: assignments, truth: input.labels, referenceClusters: reference.clusterCount,
                                  seconds: seconds)
        if let directory {
            try directory.write(Data(npyBytes(NPYArray(shape: [assignments.count, reference.layoutColumns],
                                                       elements: .float32(layout)))), to: RunLayout.coordinates)
            if case .images = input, !reference.fromPixels {
                try directory.write(Data(npyBytes(NPYArray(shape: [assignments.count, reference.columns],
                                                           elements: .float32(features)))), to: RunLayout.embeddings)
            }
            try directory.write(Data(assignmentsCSV(assignments, truth: input.labels).utf8), to: RunLayout.labels)
            try directory.writeJSON(report, to: RunLayout.metrics)
            try directory.commit()
        }
        return report
    }

    /// The new points' features, as the run's embedding stage would make them.
    func newFeatures(_ reference: AssignReference) throws -> [Float] {
        let values: [Float], columns: Int
        switch input {
        case .features where reference.fromPixels:
            throw PipelineError.invalidSetting(
                name: "input", value: "a feature matrix",
                expected: "images: this run's clusters are its raw pixels' (\(RunLayout.labels) came from "
                    + "\(RunLayout.baselineCoordinates)), so new points are placed by their pixels")
        case let .features(matrix):
            (values, columns) = (matrix.values, matrix.columns)
        case let .images(dataset) where reference.fromPixels:
            (values, columns) = (dataset.floatPixels(), dataset.imageSize)
        case let .images(dataset):
            guard reference.settings.training != nil, FileManager.default.fileExists(atPath: reference.checkpoint.path) else {
                throw PipelineError.missingArtefact(stage: "train", file: RunLayout.trainingCheckpoint
                    + " (images need the run's encoder; give a feature matrix for a run on features)")
            }
            values = try ContrastiveLearning.embed(checkpoint: reference.checkpoint, dataset: dataset,
                                                   features: reference.settings.features,
                                                   views: reference.settings.embeddingViews)
            columns = values.count / max(1, dataset.count)
        }
        guard columns == reference.columns else {
            throw PipelineError.invalidSetting(
                name: "input", value: "\(columns) \(reference.fromPixels ? "pixel values" : "features") per point",
                expected: reference.fromPixels
                    ? "\(reference.columns), as the run's images: images of the same size and channels"
                    : "\(reference.columns), as the run's \(RunLayout.embeddings); embed with the same run")
        }
        return values
    }

    /// Each new point's cluster by its layout neighbours' vote, and whether it is an outlier.
    func assign(
        layout: [Float], embeddingNeighbors: NeighborGraph, reference: AssignReference, transform: UMAPTransform
    ) -> [Assignment] {
        let dims = reference.layoutColumns
        let voters = min(voterCount, reference.rows)
        let tree = KDTree(points: reference.layout, dimension: dims)
        let (indices, distances) = tree.neighbors(of: layout, count: voters)
        let limit = outlierDistance(reference, transform: transform)
        let k = embeddingNeighbors.neighborCount
        return (0..<(layout.count / dims)).map { point in
            var votes: [Int: Int] = [:]
            for rank in 0..<voters { votes[reference.clusters[Int(indices[point * voters + rank])], default: 0] += 1 }
            let most = votes.values.max() ?? 0
            // Ties go to the cluster of the nearest voter among the tied.
            let cluster = (0..<voters).lazy.map { reference.clusters[Int(indices[point * voters + $0])] }
                .first { votes[$0] == most } ?? 0
            let distance = embeddingNeighbors.distances[point * k]
            return Assignment(cluster: cluster, confidence: Double(most) / Double(voters),
                              layoutDistance: distances[point * voters], embeddingDistance: distance,
                              outlier: distance > limit)
        }
    }

    /// The 99th percentile of the reference points' distances to their nearest other reference
    /// point, over a seeded sample of up to 1,000 of them.
    func outlierDistance(_ reference: AssignReference, transform: UMAPTransform) -> Float {
        var generator = SeededGenerator(seed: 0, stream: [0xA551])
        let sample = sampledIndices(count: min(1000, reference.rows), from: reference.rows, using: &generator).sorted()
        var rows = [Float]()
        rows.reserveCapacity(sample.count * reference.columns)
        for row in sample { rows += reference.embeddings[(row * reference.columns)..<((row + 1) * reference.columns)] }
        let sorted = transform.nearestReferenceDistances(rows, skippingSelf: true).sorted()
        guard !sorted.isEmpty else { return .infinity }
        return sorted[min(sorted.count - 1, Int(0.99 * Double(sorted.count)))]
    }
}

/// One new point's place among the run's clusters.
public struct Assignment: Sendable, Equatable {
    /// The run's cluster number.
    public var cluster: Int
    /// The share of its layout neighbours in that cluster.
    public var confidence: Double
    /// Its layout distance to the nearest reference point.
    public var layoutDistance: Float
    /// Its embedding distance (the layout's metric) to the nearest reference point.
    public var embeddingDistance: Float
    /// Farther from every reference point than 99% of the reference points are from theirs.
    public var outlier: Bool
}

/// What `nrcc assign` writes to `metrics.json`.
public struct AssignReport: Codable, Sendable, Equatable {
    public var points: Int
    /// The run's clusters, and how many of them received new points.
    public var referenceClusters: Int
    public var clustersUsed: Int
    public var outliers: Int
    public var meanConfidence: Double
    /// Scores against the new points' labels, when given.
    public var scores: ClusteringScoreSet?
    public var seconds: [String: Double]

    init(assignments: [Assignment], truth: [Int]?, referenceClusters: Int, seconds: [String: Double]) {
        points = assignments.count
        self.referenceClusters = referenceClusters
        clustersUsed = Set(assignments.map(\.cluster)).count
        outliers = assignments.count { $0.outlier }
        meanConfidence = assignments.reduce(0) { $0 + $1.confidence } / Double(max(1, assignments.count))
        scores = truth.map { ClusteringScoreSet(truth: $0, predicted: assignments.map(\.cluster)) }
        self.seconds = seconds
    }

    enum CodingKeys: String, CodingKey {
        case points, outliers, scores, seconds
        case referenceClusters = "reference_clusters"
        case clustersUsed = "clusters_used"
        case meanConfidence = "mean_confidence"
    }
}

/// `index,cluster,confidence,distance,outlier[,label]`, one line per new point.
func assignmentsCSV(_ assignments: [Assignment], truth: [Int]?) -> String {
    var csv = "index,cluster,confidence,distance,outlier" + (truth == nil ? "\n" : ",label\n")
    for (index, assignment) in assignments.enumerated() {
        csv += "\(index),\(assignment.cluster),\(formatted(assignment.confidence)),\(assignment.embeddingDistance),"
            + (assignment.outlier ? "1" : "0")
        if let truth { csv += ",\(truth[index])" }
        csv += "\n"
    }
    return csv
}

private func formatted(_ value: Double) -> String { String(format: "%.2f", value) }

/// What a finished run keeps for assignment: its settings, embeddings, layout and clusters.
struct AssignReference {
    let settings: RunSettings
    let embeddings: [Float]
    let rows: Int
    let columns: Int
    let layout: [Float]
    let layoutColumns: Int
    let clusters: [Int]
    let checkpoint: URL
    /// Whether the run's clusters are its raw pixels' (`metrics.json`'s `clusters_from`): the
    /// reference points are then the run's images' pixels and their layout the pixels'.
    let fromPixels: Bool

    var clusterCount: Int { Set(clusters).count }

    init(folder: URL) throws {
        func file(_ name: String) throws -> URL {
            let url = folder.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw PipelineError.missingArtefact(stage: "assign", file: "\(url.path) (run `nrcc run` into \(folder.path) first)")
            }
            return url
        }
        settings = try JSONDecoder().decode(RunSettings.self, from: Data(contentsOf: try file(RunLayout.settings)))
        guard settings.clustering.reducer == .umap else {
            throw PipelineError.invalidSetting(name: "the run's reducer", value: settings.clustering.reducer.rawValue,
                                               expected: "umap: only a UMAP layout can place new points")
        }
        let metricsFile = try file(RunLayout.metrics)
        guard let metrics = try? JSONDecoder().decode(ClusteringReport.self, from: Data(contentsOf: metricsFile)) else {
            throw PipelineError.missingArtefact(stage: "cluster", file: "\(metricsFile.path) (damaged; re-run `nrcc run` there)")
        }
        fromPixels = metrics.clustersAreThePixels
        let embedded: (values: [Float], shape: [Int])
        if fromPixels {
            guard case let .images(dataset) = try loadDataset(settings.dataset, split: settings.split ?? .all) else {
                throw PipelineError.missingArtefact(stage: "assign", file: "the images of \(settings.dataset), whose pixels are this run's clusters")
            }
            embedded = (dataset.floatPixels(), [dataset.count, dataset.imageSize])
        } else if FileManager.default.fileExists(atPath: folder.appendingPathComponent(RunLayout.embeddings).path) {
            embedded = try float32Matrix(try file(RunLayout.embeddings))
        } else {
            // A run on a feature matrix: the matrix is its own embedding.
            guard case let .features(matrix) = try loadDataset(settings.dataset, split: settings.split ?? .all) else {
                throw PipelineError.missingArtefact(stage: "embed", file: folder.appendingPathComponent(RunLayout.embeddings).path)
            }
            embedded = (matrix.values, [matrix.rows, matrix.columns])
        }
        let placed = try float32Matrix(try file(fromPixels ? RunLayout.baselineCoordinates : RunLayout.coordinates))
        let text = try String(contentsOf: try file(RunLayout.labels), encoding: .utf8)
        let clusters = text.split(separator: "\n").dropFirst().compactMap { line in
            line.split(separator: ",").dropFirst().first.flatMap { Int($0) }
        }
        guard embedded.shape[0] == placed.shape[0], clusters.count == placed.shape[0] else {
            throw PipelineError.missingArtefact(
                stage: "assign", file: "\(folder.path): \(embedded.shape[0]) embeddings, \(placed.shape[0]) layout rows and "
                    + "\(clusters.count) labels disagree; re-run `nrcc run` there")
        }
        self.embeddings = embedded.values
        rows = embedded.shape[0]
        columns = embedded.shape[1]
        layout = placed.values
        layoutColumns = placed.shape[1]
        self.clusters = clusters
        checkpoint = folder.appendingPathComponent(RunLayout.trainingCheckpoint)
    }
}

/// A float32 matrix from an `.npy` file.
func float32Matrix(_ url: URL) throws -> (values: [Float], shape: [Int]) {
    let array = try readNPY(url.path)
    guard case let .float32(values) = array.elements, array.shape.count == 2 else {
        throw PipelineError.missingArtefact(stage: "assign", file: "\(url.path) (expected a 2-D float32 matrix)")
    }
    return (values, array.shape)
}

