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
public struct RunJob {
    public let settings: RunSettings
    public let source: DatasetContents
    public let directory: RunDirectory

    public init(settings: RunSettings, source: DatasetContents, directory: RunDirectory) {
        self.settings = settings
        self.source = source
        self.directory = directory
    }

    /// The training folder: checkpoint, monitor log and the trainer's settings.
    public var trainingDirectory: URL { directory.file("training") }

    /// Runs every stage not yet done (all from `from` on, when given).
    public func run(
        from: Stage? = nil, progress: ProgressHandler? = nil, message: @escaping (String) -> Void = { _ in }
    ) throws -> RunSummary {
        try settings.clustering.validate()
        try directory.writeJSON(settings, to: "settings.json")
        if let from {
            try directory.forget(Stage.allCases.filter { $0 >= from }.map(\.rawValue))
        }
        var ledger = StageLedger(directory: directory)
        var stagesRun: [Stage] = []

        // Training and embedding (images only; a feature matrix is its own embedding).
        var embeddings: (values: [Float], columns: Int)
        let trainPrint = try fingerprint(settings.training, after: settings.dataset)
        let embedPrint = try fingerprint(settings.features, after: trainPrint)
        switch source {
        case let .features(matrix):
            embeddings = (matrix.values, matrix.columns)
        case let .images(dataset):
            guard let configuration = settings.training else {
                throw PipelineError.invalidSetting(name: "training", value: "none", expected: "settings for image input")
            }
            if try ledger.needs(.train, trainPrint) {
                try train(configuration, on: dataset, progress: progress, message: message)
                try ledger.finish(.train, trainPrint, seconds: ledger.elapsed)
                stagesRun.append(.train)
            }
            if try ledger.needs(.embed, embedPrint) {
                let values = try ContrastiveLearning.embed(
                    checkpoint: checkpointURL, dataset: dataset, features: settings.features)
                let columns = values.count / max(1, dataset.count)
                try writeNPY(values, shape: [dataset.count, columns], to: directory.file("embeddings.npy").path)
                try ledger.finish(.embed, embedPrint, seconds: ledger.elapsed)
                stagesRun.append(.embed)
                embeddings = (values, columns)
            } else {
                embeddings = try readMatrix("embeddings.npy", stage: .embed)
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
        let coordinates: (values: [Float], columns: Int)
        if try ledger.needs(.reduce, reducePrint) {
            let reduced = try reduce(embeddings.values, dimension: embeddings.columns, settings: clustering, progress: progress)
            coordinates = (reduced.coordinates, reduced.dimension)
            try writeNPY(coordinates.values, shape: [source.count, coordinates.columns],
                         to: directory.file("coordinates.npy").path)
            try ledger.finish(.reduce, reducePrint, seconds: ledger.elapsed)
            stagesRun.append(.reduce)
        } else {
            coordinates = try readMatrix("coordinates.npy", stage: .reduce)
        }

        let clusterPrint = try fingerprint(clustering, after: reducePrint)
        var outcome = try cluster(coordinates.values, dimension: coordinates.columns, settings: clustering)
        outcome.seconds = ledger.seconds
        let report = ClusteringReport(outcome: outcome, truth: source.labels, method: clustering.method)
        if try ledger.needs(.cluster, clusterPrint) {
            try directory.writeClusterArtefacts(outcome, truth: source.labels, report: report)
            try ledger.finish(.cluster, clusterPrint, seconds: ledger.elapsed)
            stagesRun.append(.cluster)
        }

        try writeReport(outcome: outcome, report: report, timings: ledger.seconds)
        stagesRun.append(.report)
        return RunSummary(report: report, outcome: outcome, stagesRun: stagesRun)
    }

    var checkpointURL: URL { trainingDirectory.appendingPathComponent("checkpoint.safetensors") }

    /// Trains from scratch, or resumes when a checkpoint of the same settings is there.
    func train(
        _ configuration: TrainingConfiguration, on dataset: ImageDataset,
        progress: ProgressHandler?, message: @escaping (String) -> Void
    ) throws {
        let trainer = try Trainer(configuration: configuration, dataset: dataset, outputDirectory: trainingDirectory)
        let total = configuration.epochs * trainer.stepsPerEpoch
        let report: (TrainingProgress) -> Void = { event in
            switch event {
            case let .step(epoch, step, stepsPerEpoch, _):
                progress?(ProgressEvent(stage: "train", completed: epoch * stepsPerEpoch + step + 1, total: total, unit: "step"))
            case let .epoch(monitors):
                message(epochSummary(monitors, epochs: configuration.epochs))
            }
        }
        let resumable = FileManager.default.fileExists(atPath: checkpointURL.path)
        do {
            try trainer.run(resume: resumable, progress: report)
        } catch TrainingError.configurationMismatch {
            message("the checkpoint in \(trainingDirectory.path) has other settings: training from scratch")
            try trainer.run(resume: false, progress: report)
        }
    }

    /// Reads a float32 matrix artefact of an earlier stage.
    func readMatrix(_ name: String, stage: Stage) throws -> (values: [Float], columns: Int) {
        guard directory.contains(name) else {
            throw PipelineError.missingArtefact(stage: stage.rawValue, file: name)
        }
        let array = try readNPY(directory.file(name).path)
        guard case let .float32(values) = array.elements, array.shape.count == 2, array.shape[0] == source.count else {
            throw PipelineError.missingArtefact(stage: stage.rawValue, file: "\(name) (damaged or of another dataset)")
        }
        return (values, array.shape[1])
    }

    /// Writes `report.html`: everything the run made, in one page.
    func writeReport(outcome: ClusterOutcome, report: ClusteringReport, timings: [String: Double]) throws {
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
            settings: settings.clustering, extraSettings: trainingSettingsList(settings),
            training: try? trainingHistory(logURL: trainingDirectory.appendingPathComponent("training.jsonl")))
        content.timings = Stage.allCases.compactMap { stage in
            timings[stage.rawValue].map { StageTiming(stage: stage.rawValue, seconds: $0) }
        }
        if case let .images(dataset) = source, FileManager.default.fileExists(atPath: checkpointURL.path) {
            content.viewPairs = (try? sghmcViewPairs(checkpoint: checkpointURL, dataset: dataset)) ?? []
        }
        try directory.write(Data(renderReport(content).utf8), to: "report.html")
    }
}

/// One line per finished epoch, for logs.
public func epochSummary(_ monitors: EpochMonitors, epochs: Int) -> String {
    var line = "epoch \(monitors.epoch + 1)/\(epochs): loss \(formatFixed(monitors.loss, digits: 4))"
    line += " (contrastive \(formatFixed(monitors.contrastiveLoss, digits: 4)), regularizer \(formatFixed(monitors.regularizerLoss, digits: 4))"
    if let cluster = monitors.clusterLoss { line += ", cluster head \(formatFixed(cluster, digits: 4))" }
    line += ")"
    if let knn = monitors.knnAccuracy { line += ", kNN accuracy \(formatFixed(knn, digits: 3))" }
    if let std = monitors.featureStandardDeviation { line += ", feature std \(formatFixed(std, digits: 4))" }
    line += ", \(Int(monitors.imagesPerSecond)) images/s"
    return line
}
