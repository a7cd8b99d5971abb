import ContrastiveLearning
import Datasets
import Foundation
import Pipeline
import Reporting
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
                     "embeddings.npy", "view_distances.json", "coordinates.npy", "labels.csv", "metrics.json",
                     "report.html"] {
            #expect(directory.contains(file), "missing \(file)")
        }
        #expect(try readNPY(directory.file("embeddings.npy").path).shape == [96, 16])
        // The paper's Tables 1 and 13: every augmentation of a grey set alone, then one SGHMC chain.
        let distances = try JSONDecoder().decode([ViewDistance].self, from: Data(contentsOf: directory.file("view_distances.json")))
        #expect(distances.map(\.transformation) == ["colour jitter", "horizontal flip", "random resized crop",
                                                    "the run's augmentation (a positive view)"]
                + [1, 3, 5, 7, 9, 11, 13].map { "SGHMC, \($0) step\($0 == 1 ? "" : "s")" })
        for row in distances {
            #expect(row.images == 96 && row.mean > 0 && row.mean <= 2 && row.standardDeviation >= 0, "\(row)")
        }
        #expect(try String(contentsOf: directory.file("report.html"), encoding: .utf8).contains("How far a view lies from its image"))
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

    /// The SGHMC rows follow one chain: its state after the first step of a longer chain is the
    /// one-step chain's view (fewer images than a batch make one chain).
    @Test func viewDistancesFollowOneSGHMCChain() throws {
        let digits = try embeddedDigits().subset(Array(0..<96))
        let directory = try RunDirectory(path: temporaryFolder("run-distances"))
        _ = try RunJob(settings: Self.tinySettings(digits), source: .images(digits), directory: directory).run()
        let checkpoint = directory.file("training/checkpoint.safetensors")
        let one = try viewDistances(checkpoint: checkpoint, dataset: digits, features: .projection, count: 32, sghmcSteps: [1])
        let chain = try viewDistances(checkpoint: checkpoint, dataset: digits, features: .projection, count: 32,
                                      sghmcSteps: [1, 3, 13])
        #expect(one.last == chain.first { $0.sghmcSteps == 1 })
        #expect(chain.filter { $0.sghmcSteps != nil }.map(\.sghmcSteps) == [1, 3, 13])
        #expect(one.dropLast() == chain.dropLast(3), "the augmentation rows do not depend on the chain")
        #expect(chain.allSatisfy { $0.images == 32 })
        // The Table 8 ablation's random walk: the same noise without the energy's gradient.
        let walk = try viewDistances(checkpoint: checkpoint, dataset: digits, features: .projection, count: 32,
                                     sghmcSteps: [1], variant: .mc)
        #expect(walk.last?.transformation == "random walk without gradient, 1 step")
        #expect(walk.dropLast() == one.dropLast() && walk.last != one.last)
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
