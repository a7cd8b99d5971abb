import ContrastiveLearning
import Datasets
import Foundation
import Pipeline
import Testing

/// The whole pipeline on 96 digits with a tiny network: stages, their artefacts, and skipping.
@Suite struct RunJobTests {
    static func tinySettings(_ digits: ImageDataset) -> RunSettings {
        var training = TrainingConfiguration(
            paradigm: .infonce, usesRegularizer: true, preset: .paper, inputChannels: 1,
            inputHeight: digits.height, inputWidth: digits.width, width: 2, batchSize: 32, epochs: 1, seed: 3)
        training.hiddenSize = 16
        training.projectionSize = 16
        training.warmupEpochs = 0.5
        training.monitorSampleCount = 48
        var clustering = ClusterSettings()
        clustering.neighborCount = 5
        clustering.reductionEpochs = 50
        return RunSettings(dataset: "digits", training: training, clustering: clustering)
    }

    @Test func everyStageWritesItsArtefactAndAReRunSkipsThem() throws {
        let digits = try embeddedDigits().subset(Array(0..<96))
        let directory = try RunDirectory(path: temporaryFolder("run"))
        let job = RunJob(settings: Self.tinySettings(digits), source: .images(digits), directory: directory)

        let first = try job.run()
        #expect(first.stagesRun == [.train, .embed, .reduce, .cluster, .report])
        for file in ["settings.json", "training/checkpoint.safetensors", "training/training.jsonl",
                     "embeddings.npy", "coordinates.npy", "labels.csv", "metrics.json", "report.html"] {
            #expect(directory.contains(file), "missing \(file)")
        }
        #expect(try readNPY(directory.file("embeddings.npy").path).shape == [96, 16])
        // One epoch is a short training, said in metrics.json and first in the report.
        let notice = try #require(first.report.notices?.first)
        #expect(notice.hasPrefix("Short training: 1 epoch.") && notice.contains("nrcc cluster digits)"))
        let metrics = try String(contentsOf: directory.file("metrics.json"), encoding: .utf8)
        #expect(metrics.contains("Short training"))
        #expect(try String(contentsOf: directory.file("report.html"), encoding: .utf8).contains("<h2>Read first</h2>"))

        // Clustering and the report take milliseconds and are redone, so they always agree.
        let second = try job.run()
        #expect(second.stagesRun == [.cluster, .report])
        #expect(second.outcome.labels == first.outcome.labels)

        let redone = try job.run(from: .reduce)
        #expect(redone.stagesRun == [.reduce, .cluster, .report])
        #expect(redone.outcome.labels == first.outcome.labels, "the same settings and seed give the same clusters")
    }

    /// The short-training notice: under 20 epochs only, naming the split, never for features.
    @Test func onlyAShortTrainingIsNoticed() throws {
        let digits = try embeddedDigits()
        var settings = Self.tinySettings(digits)
        settings.training?.epochs = RunNotices.shortTrainingEpochs
        #expect(RunNotices.notices(for: settings, imageCount: digits.count).isEmpty)
        settings.training?.epochs = RunNotices.shortTrainingEpochs - 1
        settings.split = .test
        let notices = RunNotices.notices(for: settings, imageCount: digits.count)
        #expect(notices.count == 1 && notices[0].contains("(nrcc cluster digits --split test)"))
        settings.training = nil
        #expect(RunNotices.notices(for: settings, imageCount: digits.count).isEmpty)
    }

    @Test func changedClusteringSettingsRedoOnlyTheClustering() throws {
        let digits = try embeddedDigits().subset(Array(0..<96))
        let directory = try RunDirectory(path: temporaryFolder("changed"))
        var settings = Self.tinySettings(digits)
        _ = try RunJob(settings: settings, source: .images(digits), directory: directory).run()
        settings.clustering.method = .kmeans
        settings.clustering.clusterCount = 10
        let rerun = try RunJob(settings: settings, source: .images(digits), directory: directory).run()
        #expect(rerun.stagesRun == [.cluster, .report])
        #expect(rerun.outcome.clusterCount == 10)
    }
}
