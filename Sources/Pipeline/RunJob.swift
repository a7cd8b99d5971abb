import Basics
import ContrastiveLearning
import Datasets
import Foundation
import Reporting

/// What `nrcc run` produced.
public struct RunSummary: Sendable {
    public var report: ClusteringReport
    public var outcome: ClusterOutcome
    /// The stages that ran in this invocation (the others were already done).
    public var stagesRun: [Stage]
}

/// `nrcc run`: train, embed, reduce, cluster, score and report, each stage writing its
/// artefact into the run folder. A re-run with the same settings skips the stages already
/// done; `from` redoes a stage and everything after it; an interrupted training resumes from
/// its last checkpoint.
///
/// Data-parallel, this is rank 0's job: the training stage runs on all ranks of `collective`
/// (the others run `FollowerJob`), which are let go as soon as it is done; the later stages
/// run here alone.
public struct RunJob {
    public let settings: RunSettings
    public let source: DatasetContents
    public let directory: RunDirectory
    /// The ranks of a data-parallel run (this is rank 0), or a single process.
    public let collective: any Collective

    public init(settings: RunSettings, source: DatasetContents, directory: RunDirectory,
                collective: any Collective = SingleProcess()) {
        self.settings = settings
        self.source = source
        self.directory = directory
        self.collective = collective
    }

    /// Runs every stage not yet done (all from `from` on, when given) in the folder's staging
    /// area, then commits: the previous run's files are replaced only when everything worked.
    public func run(
        from: Stage? = nil, progress: ProgressHandler? = nil, message: @escaping (String) -> Void = { _ in }
    ) throws -> RunSummary {
        try settings.clustering.validate()
        if settings.clustersFrom == .pixels {
            let missing = if case .features = source { "a feature matrix has no pixels" }
                else if !settings.pixelBaseline { "--no-pixel-baseline leaves the pixels out" }
                else if settings.clustering.reducer == .none { "--reducer none lays out neither" }
                else { "" }
            if !missing.isEmpty {
                throw PipelineError.invalidSetting(
                    name: "--clusters-from", value: "pixels",
                    expected: "a run on images with the pixel baseline (\(missing)); use auto or embedding")
            }
        }
        if let from {
            try directory.forget(Stage.allCases.filter { $0 >= from }.map(\.rawValue))
        }
        var ledger = StageLedger(directory: directory)
        var stagesRun: [Stage] = []

        // Training and embedding (images only; a feature matrix is its own embedding).
        var embeddings: (values: [Float], columns: Int)
        let sourcePrint = fingerprint(source)
        let trainPrint = try fingerprint(settings.training, after: sourcePrint)
        let featuresPrint = try fingerprint(settings.features, after: trainPrint)
        // Runs without views keep the fingerprint they had before views existed.
        let embedPrint = settings.embeddingViews == 0 ? featuresPrint
            : try fingerprint(settings.embeddingViews, after: featuresPrint)
        switch source {
        case let .features(matrix):
            Trainer.releaseFollowers(collective)
            embeddings = (matrix.values, matrix.columns)
        case let .images(dataset):
            guard let configuration = settings.training else {
                throw PipelineError.invalidSetting(name: "training", value: "none", expected: "settings for image input")
            }
            if try ledger.run(.train, trainPrint, {
                _ = try trainStaged(configuration, on: dataset, in: directory, folder: RunLayout.training,
                                    resume: .whenSettingsMatch, collective: collective, progress: progress, message: message)
            }) { stagesRun.append(.train) }
            Trainer.releaseFollowers(collective)
            var embedded: [Float]?
            if try ledger.run(.embed, embedPrint, {
                let checkpoint = directory.latest(RunLayout.trainingCheckpoint)
                let views = settings.embeddingViews
                if views > 0 { message("embedding each image with \(views) augmented views of it (--embedding-views)") }
                let values = try ContrastiveLearning.embed(
                    checkpoint: checkpoint, dataset: dataset, features: settings.features, views: views,
                    progress: { completed, total in
                        progress?(ProgressEvent(stage: "embed", completed: completed, total: total, unit: "image"))
                    })
                try writeMatrix(values, rows: dataset.count, to: RunLayout.embeddings)
                embedded = values
                message("measuring how far views lie from their images (the paper's Tables 1 and 13)")
                let distances = try viewDistances(checkpoint: checkpoint, dataset: dataset, features: settings.features)
                try directory.writeJSON(distances, to: RunLayout.viewDistances)
            }) { stagesRun.append(.embed) }
            if let embedded {
                embeddings = (embedded, embedded.count / max(1, dataset.count))
            } else {
                embeddings = try readMatrix(RunLayout.embeddings, stage: .embed)
            }
        }

        // Reduction, clustering and scores.
        let clustering = settings.clustering
        var reduceSettings = clustering
        reduceSettings.method = .gridshift
        reduceSettings.clusterCount = nil
        reduceSettings.bandwidth = nil
        reduceSettings.bandwidthRule = ClusterSettings().bandwidthRule
        let reducePrint = try fingerprint(reduceSettings, after: embedPrint)
        var reduced: (values: [Float], columns: Int)?
        if try ledger.run(.reduce, reducePrint, {
            let layout = try reduce(embeddings.values, dimension: embeddings.columns, settings: clustering, progress: progress)
            try writeMatrix(layout.coordinates, rows: source.count, to: RunLayout.coordinates)
            reduced = (layout.coordinates, layout.dimension)
        }) { stagesRun.append(.reduce) }
        let coordinates = try reduced ?? readMatrix(RunLayout.coordinates, stage: .reduce)

        // The raw pixels, laid out the same way: the yardstick for the embedding's clusters. It
        // only informs, so where it fails the run goes on without it and says why.
        var pixelCoordinates: (values: [Float], columns: Int)?
        if case let .images(dataset) = source, settings.pixelBaseline, clustering.reducer != .none {
            do {
                let baselinePrint = try fingerprint(reduceSettings, after: sourcePrint)
                if try ledger.run(.baseline, baselinePrint, {
                    message("laying out the raw pixels the same way, for comparison (--no-pixel-baseline skips this)")
                    let layout = try reduce(dataset.floatPixels(), dimension: dataset.imageSize, settings: clustering,
                                            progress: progress)
                    try writeMatrix(layout.coordinates, rows: source.count, to: RunLayout.baselineCoordinates)
                    pixelCoordinates = (layout.coordinates, layout.dimension)
                }) { stagesRun.append(.baseline) }
                pixelCoordinates = try pixelCoordinates ?? readMatrix(RunLayout.baselineCoordinates, stage: .baseline)
            } catch {
                message("the raw pixels could not be laid out for comparison (\(error)); the run goes on without them")
                pixelCoordinates = nil
            }
        }

        var clustered: (outcome: ClusterOutcome, report: ClusteringReport)?
        let clusterPrint = try fingerprint(clustering, after: reducePrint)
        let timingsBefore = ledger.seconds
        try ledger.run(.cluster, clusterPrint) {
            var outcome = try cluster(coordinates.values, dimension: coordinates.columns, settings: clustering)
            outcome.seconds = timingsBefore
            var report = ClusteringReport(outcome: outcome, truth: source.labels, method: clustering.method)
            var pixels: ClusterOutcome?
            if let pixelCoordinates {
                do {
                    let clustered = try cluster(pixelCoordinates.values, dimension: pixelCoordinates.columns, settings: clustering)
                    report.pixelBaseline = PixelBaseline(pixels: clustered, embedding: outcome, truth: source.labels,
                                                         graphReach: clustering.graphReachUsed)
                    report.clustersFrom = ClusterSource.embedding.rawValue
                    try directory.writeClusterLabels(clustered.labels, truth: source.labels, to: RunLayout.baselineLabels)
                    pixels = clustered
                } catch {
                    message("the raw pixels could not be clustered for comparison (\(error)); the run goes on without them")
                }
            }
            if pixels == nil, settings.clustersFrom == .pixels {
                message("the clusters are the learned embedding's: the raw pixels, asked for by --clusters-from pixels, "
                    + "could not be clustered")
            }
            if let pixels, settings.clustersFrom.choosesPixels(report.pixelBaseline) {
                // The pixels' partition is the answer; the embedding's is kept beside it.
                try directory.writeClusterLabels(outcome.labels, truth: source.labels, to: RunLayout.embeddingLabels)
                let learned = LearnedPartition(clusters: outcome.clusterCount,
                                               scores: source.labels.map { ClusteringScoreSet(truth: $0, predicted: outcome.labels) })
                let baseline = report.pixelBaseline
                outcome = pixels
                outcome.seconds = timingsBefore
                report = ClusteringReport(outcome: outcome, truth: source.labels, method: clustering.method)
                report.pixelBaseline = baseline
                report.clustersFrom = ClusterSource.pixels.rawValue
                report.learnedEmbedding = learned
            }
            let notices = RunNotices.notices(for: settings, imageCount: source.count, report: report)
            report.notices = notices.isEmpty ? nil : notices
            try directory.writeClusterArtefacts(outcome, truth: source.labels, report: report, coordinates: false)
            clustered = (outcome, report)
        }
        stagesRun.append(.cluster)
        guard let (outcome, report) = clustered else { fatalError("RunJob: the cluster stage always runs") }
        let timings = ledger.seconds
        try ledger.run(.report, clusterPrint) {
            try writeReport(outcome: outcome, report: report, timings: timings,
                            embeddingLayout: coordinates, pixelLayout: pixelCoordinates)
        }
        stagesRun.append(.report)

        try directory.writeJSON(settings, to: RunLayout.settings)
        try directory.commit()
        return RunSummary(report: report, outcome: outcome, stagesRun: stagesRun)
    }

    /// Stages a float32 matrix artefact of `rows` rows.
    func writeMatrix(_ values: [Float], rows: Int, to name: String) throws {
        let array = NPYArray(shape: [rows, values.count / max(1, rows)], elements: .float32(values))
        try directory.write(Data(npyBytes(array)), to: name)
    }

    /// Reads a float32 matrix artefact of an earlier stage.
    func readMatrix(_ name: String, stage: Stage) throws -> (values: [Float], columns: Int) {
        guard directory.contains(name) else {
            throw PipelineError.missingArtefact(stage: stage.rawValue, file: name)
        }
        let array = try readNPY(directory.latest(name).path)
        guard case let .float32(values) = array.elements, array.shape.count == 2, array.shape[0] == source.count else {
            throw PipelineError.missingArtefact(stage: stage.rawValue, file: "\(name) (damaged or of another dataset)")
        }
        return (values, array.shape[1])
    }

    /// Writes `report.html`: everything the run made, in one page.
    ///
    /// The answer's layout (`outcome`'s) is drawn first; below it the other of `embeddingLayout`
    /// and `pixelLayout`, where the pixels were clustered.
    func writeReport(outcome: ClusterOutcome, report: ClusteringReport, timings: [String: Double],
                     embeddingLayout: (values: [Float], columns: Int),
                     pixelLayout: (values: [Float], columns: Int)?) throws {
        let input: ClusterInput
        switch source {
        case let .features(matrix):
            input = ClusterInput(features: matrix, images: nil)
        case let .images(dataset):
            input = ClusterInput(
                features: FeatureMatrix(name: dataset.name, rows: dataset.count, columns: 0, values: [], labels: dataset.labels),
                images: dataset)
        }
        var content = clusterReportContent(
            title: "nrcc run: \(input.features.name)", input: input, outcome: outcome, report: report,
            settings: settings.clustering, extraSettings: trainingSettingsList(settings))
        content.notices = report.notices ?? []
        let other = report.clustersAreThePixels ? embeddingLayout : report.pixelBaseline == nil ? nil : pixelLayout
        if let other, other.columns == 3 {
            content.otherLayout = other.values
            content.otherLayoutIsEmbedding = report.clustersAreThePixels
        }
        content.timings = Stage.allCases.compactMap { stage in
            timings[stage.rawValue].map { StageTiming(stage: stage.rawValue, seconds: $0) }
        }
        let checkpoint = directory.latest(RunLayout.trainingCheckpoint)
        if case let .images(dataset) = source, FileManager.default.fileExists(atPath: checkpoint.path) {
            do {
                content.training = try trainingHistory(logURL: directory.latest(RunLayout.training + "/" + RunLayout.trainingLog))
            } catch {
                content.omissions.append("training curves: \(error)")
            }
            do {
                content.viewPairs = try sghmcViewPairs(checkpoint: checkpoint, dataset: dataset)
            } catch {
                content.omissions.append("SGHMC views: \(error)")
            }
            if directory.contains(RunLayout.viewDistances) {
                do {
                    let data = try Data(contentsOf: directory.latest(RunLayout.viewDistances))
                    content.viewDistances = try JSONDecoder().decode([ViewDistance].self, from: data)
                } catch {
                    content.omissions.append("distances of views from their images: \(RunLayout.viewDistances) is damaged (\(error))")
                }
            } else {
                content.omissions.append("distances of views from their images (the paper's Tables 1 and 13): "
                    + "this run was embedded before they were measured; `--from embed` measures them")
            }
        }
        try directory.write(Data(renderReport(content).utf8), to: RunLayout.report)
    }
}
