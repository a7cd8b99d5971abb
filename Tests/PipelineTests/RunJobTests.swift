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

    /// Three blobs of 20 points in 3-D, clustered whole (k-means, k = 3) and with two of them
    /// joined (k = 2), and the blobs as labels.
    static func blobPartitions() throws -> (whole: ClusterOutcome, joined: ClusterOutcome, truth: [Int]) {
        let blobs: [Float] = (0..<60).flatMap { (i: Int) -> [Float] in
            [Float(i / 20) * 10 + Float(i % 5) / 10, Float(i % 4) / 10, 0]
        }
        var kMeans = ClusterSettings()
        kMeans.method = .kmeans
        kMeans.clusterCount = 3
        let whole = try cluster(blobs, dimension: 3, settings: kMeans)
        kMeans.clusterCount = 2
        return (whole, try cluster(blobs, dimension: 3, settings: kMeans), (0..<60).map { $0 / 20 })
    }

    @Test func everyStageWritesItsArtefactAndAReRunSkipsThem() throws {
        let digits = try embeddedDigits().subset(Array(0..<96))
        let directory = try RunDirectory(path: temporaryFolder("run"))
        var settings = Self.tinySettings(digits)
        settings.clustersFrom = .embedding
        let job = RunJob(settings: settings, source: .images(digits), directory: directory)

        let first = try job.run()
        #expect(first.stagesRun == [.train, .embed, .reduce, .baseline, .cluster, .report])
        for file in ["settings.json", "training/checkpoint.safetensors", "training/training.jsonl",
                     "embeddings.npy", "view_distances.json", "coordinates.npy", "labels.csv", "metrics.json",
                     "report.html", "pixel_coordinates.npy", "pixel_labels.csv"] {
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
        // The raw pixels, laid out and clustered the same way, beside the embedding's clusters.
        let baseline = try #require(first.report.pixelBaseline)
        let pixelLabels = try String(contentsOf: directory.file("pixel_labels.csv"), encoding: .utf8)
        #expect(pixelLabels.split(separator: "\n").count == 97 && pixelLabels.hasPrefix("index,cluster,label\n"))
        #expect(baseline.scores?.classes == 10 && baseline.modularity != nil && baseline.embeddingModularity != nil)
        let metrics = try String(contentsOf: directory.file("metrics.json"), encoding: .utf8)
        #expect(metrics.contains("\"pixel_baseline\"") && metrics.contains("\"agreement_nmi\""))
        let report = try String(contentsOf: directory.file("report.html"), encoding: .utf8)
        #expect(report.contains("raw pixels, UMAP + GridShift") && report.contains("Raw pixels, by label"))
        // One epoch: whichever clustered better, a notice says so only if the pixels did, first in the report.
        let pixelsAhead = baseline.scores!.acc >= first.report.acc!
        #expect((first.report.notices?.first?.hasPrefix("The learned embedding clustered no better") ?? false) == pixelsAhead)
        #expect(report.contains("<h2>Read first</h2>") == pixelsAhead)

        // Clustering and the report take milliseconds and are redone, so they always agree.
        let second = try job.run()
        #expect(second.stagesRun == [.cluster, .report])
        #expect(second.outcome.labels == first.outcome.labels)
        #expect(second.report.pixelBaseline == baseline, "the pixels' layout is kept and clustered the same way")

        #expect(try job.run(from: .baseline).stagesRun == [.baseline, .cluster, .report])
        let redone = try job.run(from: .reduce)
        #expect(redone.stagesRun == [.reduce, .baseline, .cluster, .report])
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

    /// A run that turns its views measures the rotation alone too, and every other row without it.
    @Test func viewDistancesMeasureARunsRotationAlone() throws {
        let digits = try embeddedDigits().subset(Array(0..<96))
        var configuration = try #require(Self.tinySettings(digits).training)
        configuration.augmentation.rotation = 15
        let path = temporaryFolder("rotation-distances")
        _ = try TrainJob(configuration: configuration, dataset: digits, directory: try RunDirectory(path: path)).run(resume: false)
        let rows = try viewDistances(checkpoint: URL(fileURLWithPath: path + "/checkpoint.safetensors"), dataset: digits,
                                     features: .projection, count: 16, sghmcSteps: [1])
        #expect(rows.map(\.transformation) == ["colour jitter", "horizontal flip", "random resized crop", "rotation",
                                               "the run's augmentation (a positive view)", "SGHMC, 1 step"])
        #expect(rows.allSatisfy { $0.images == 16 && $0.mean > 0 })
    }

    /// The notices: measured against the pixels where both were clustered and labels exist; the
    /// rule of thumb for short trainings and the layouts' modularity otherwise; none for features.
    @Test func noticesFollowThePixelBaseline() throws {
        let digits = try embeddedDigits()
        var settings = Self.tinySettings(digits)
        let (whole, joined, truth) = try Self.blobPartitions()
        func report(embedding: ClusterOutcome, pixels: ClusterOutcome?, labelled: Bool) -> ClusteringReport {
            var report = ClusteringReport(outcome: embedding, truth: labelled ? truth : nil, method: .kmeans)
            report.pixelBaseline = pixels.map { PixelBaseline(pixels: $0, embedding: embedding, truth: labelled ? truth : nil) }
            return report
        }
        func notices(_ report: ClusteringReport, epochs: Int) -> [String] {
            settings.training?.epochs = epochs
            return RunNotices.notices(for: settings, imageCount: digits.count, report: report)
        }
        let short = RunNotices.shortTrainingEpochs - 1, enough = RunNotices.shortTrainingEpochs

        // Labels: the scores decide, however long the training.
        let behind = report(embedding: joined, pixels: whole, labelled: true)
        #expect(notices(behind, epochs: enough) == ["""
            The learned embedding clustered no better than the raw pixels: ACC 0.667 with 2 clusters after 20 epochs, \
            against 1.000 with 3 for the pixels clustered the same way (pixel_labels.csv).
            """])
        #expect(notices(behind, epochs: short).count == 1 && notices(behind, epochs: short)[0].contains("--epochs 20"))
        #expect(notices(report(embedding: whole, pixels: joined, labelled: true), epochs: short).isEmpty)

        // No labels: the rule of thumb, and the layout that divides more cleanly.
        let unlabelled = notices(report(embedding: joined, pixels: whole, labelled: false), epochs: short)
        #expect(unlabelled.count == 2)
        #expect(unlabelled[0].hasPrefix("Short training: 19 epochs.") && unlabelled[0].contains("(pixel_labels.csv)"))
        #expect(unlabelled[1].hasPrefix("The raw pixels' layout divides more cleanly"))
        #expect(notices(report(embedding: whole, pixels: joined, labelled: false), epochs: enough).isEmpty)

        // No pixel baseline: the rule of thumb names the command that clusters the pixels.
        settings.split = .test
        let alone = notices(report(embedding: joined, pixels: nil, labelled: true), epochs: short)
        #expect(alone.count == 1 && alone[0].contains("(nrcc cluster digits --split test)"))
        #expect(notices(report(embedding: joined, pixels: nil, labelled: true), epochs: enough).isEmpty)
        settings.training = nil
        #expect(notices(report(embedding: joined, pixels: whole, labelled: true), epochs: short).isEmpty)
    }

    /// With `--clusters-from pixels` the pixels' partition is the run's answer, the embedding's
    /// is kept beside it, and going back to the embedding's redoes only the clustering.
    @Test func thePixelsCanBeTheAnswer() throws {
        let digits = try embeddedDigits().subset(Array(0..<96))
        let directory = try RunDirectory(path: temporaryFolder("pixels-answer"))
        var settings = Self.tinySettings(digits)
        settings.clustersFrom = .pixels
        let run = try RunJob(settings: settings, source: .images(digits), directory: directory).run()
        let baseline = try #require(run.report.pixelBaseline)
        let learned = try #require(run.report.learnedEmbedding)
        #expect(run.report.clustersFrom == "pixels" && run.report.clusters == baseline.clusters)
        #expect(run.report.acc == baseline.scores?.acc)
        let labels = try String(contentsOf: directory.file("labels.csv"), encoding: .utf8)
        #expect(labels == (try String(contentsOf: directory.file("pixel_labels.csv"), encoding: .utf8)))
        #expect(directory.contains("embedding_labels.csv"))
        let notice = try #require(run.report.notices?.first)
        #expect(notice.hasPrefix("These clusters are the raw pixels', as --clusters-from pixels asks."))
        #expect(notice.contains("found \(learned.clusters) clusters (embedding_labels.csv)"))
        let report = try String(contentsOf: directory.file("report.html"), encoding: .utf8)
        #expect(report.contains("raw pixels, UMAP + GridShift (the run&#39;s clusters)"))
        #expect(report.contains("learned embedding, UMAP + GridShift") && report.contains("Learned embedding, by label"))
        #expect(report.contains("The raw pixels' layout, where these clusters were found"))

        settings.clustersFrom = .embedding
        let back = try RunJob(settings: settings, source: .images(digits), directory: directory).run()
        #expect(back.stagesRun == [.cluster, .report])
        #expect(back.report.clustersFrom == "embedding" && back.report.learnedEmbedding == nil)
        #expect(back.report.clusters == learned.clusters && back.report.acc == learned.scores?.acc)
        #expect(try String(contentsOf: directory.file("labels.csv"), encoding: .utf8)
                == (try String(contentsOf: directory.file("embedding_labels.csv"), encoding: .utf8)))
    }

    /// `--clusters-from pixels` where there are no pixels to cluster is refused before any work,
    /// with what is missing.
    @Test func pixelsAreRefusedWhereThereAreNone() throws {
        let digits = try embeddedDigits().subset(Array(0..<96))
        var settings = Self.tinySettings(digits)
        settings.clustersFrom = .pixels
        settings.pixelBaseline = false
        let directory = try RunDirectory(path: temporaryFolder("pixels-refused"))
        #expect {
            try RunJob(settings: settings, source: .images(digits), directory: directory).run()
        } throws: { error in
            "\(error)".contains("--clusters-from") && "\(error)".contains("--no-pixel-baseline leaves the pixels out")
        }
        #expect(!directory.contains("settings.json") && !directory.contains("training/checkpoint.safetensors"))
        settings.pixelBaseline = true
        let features = FeatureMatrix(name: "rows", rows: 96, columns: 4, values: [Float](repeating: 0.5, count: 384), labels: nil)
        #expect {
            try RunJob(settings: settings, source: .features(features), directory: directory).run()
        } throws: { error in "\(error)".contains("a feature matrix has no pixels") }
    }

    /// `auto` takes the partition of higher modularity, each on its own layout's graph; without
    /// a pixel baseline there is nothing to choose from.
    @Test func autoTakesTheLayoutThatDividesMoreCleanly() throws {
        let (whole, joined, _) = try Self.blobPartitions()
        let pixelsCleaner = PixelBaseline(pixels: whole, embedding: joined, truth: nil)
        let embeddingCleaner = PixelBaseline(pixels: joined, embedding: whole, truth: nil)
        #expect(pixelsCleaner.modularity! > pixelsCleaner.embeddingModularity!)
        #expect(ClusterSource.auto.choosesPixels(pixelsCleaner) && !ClusterSource.auto.choosesPixels(embeddingCleaner))
        #expect(ClusterSource.pixels.choosesPixels(embeddingCleaner) && !ClusterSource.embedding.choosesPixels(pixelsCleaner))
        #expect(ClusterSource.allCases.allSatisfy { !$0.choosesPixels(nil) })
    }

    /// Without the baseline (`--no-pixel-baseline`) no stage lays out the pixels.
    @Test func thePixelBaselineCanBeLeftOut() throws {
        let digits = try embeddedDigits().subset(Array(0..<96))
        let directory = try RunDirectory(path: temporaryFolder("no-baseline"))
        var settings = Self.tinySettings(digits)
        settings.pixelBaseline = false
        let run = try RunJob(settings: settings, source: .images(digits), directory: directory).run()
        #expect(run.stagesRun == [.train, .embed, .reduce, .cluster, .report])
        #expect(run.report.pixelBaseline == nil && !directory.contains("pixel_coordinates.npy"))
        let written = try JSONDecoder().decode(RunSettings.self, from: Data(contentsOf: directory.file("settings.json")))
        #expect(written == settings)
        // Settings written before the baseline existed read as with it.
        var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(settings)) as? [String: Any])
        object["pixelBaseline"] = nil
        object["clustersFrom"] = nil
        object["embeddingViews"] = nil
        let older = try JSONDecoder().decode(RunSettings.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(older.pixelBaseline && older.clustering == settings.clustering)
        #expect(older.embeddingViews == 0, "runs from before views embedded each image alone")
        // Unless given, the paradigm's default: 8 views for BYOL, none for the others or for features.
        #expect(settings.training?.paradigm == .infonce && settings.embeddingViews == 0)
        var byol = try #require(settings.training)
        byol.paradigm = .byol
        #expect(RunSettings(dataset: "digits", training: byol, clustering: settings.clustering).embeddingViews == 8)
        #expect(RunSettings(dataset: "x.npy", training: nil, clustering: settings.clustering).embeddingViews == 0)
        var kMeans = settings.clustering
        kMeans.method = .kmeans
        kMeans.clusterCount = 10
        #expect(RunSettings(dataset: "digits", training: settings.training, clustering: kMeans).embeddingViews == 8,
                "k given: every paradigm averages views")
        #expect(older.clustersFrom == .embedding, "runs from before the choice reported the embedding's clusters")
        #expect(settings.clustersFrom == .auto)
    }

    /// Views change the embedding and what follows it, not the training; a run without views
    /// keeps the stages it had before views existed.
    @Test func changedEmbeddingViewsRedoTheEmbeddingNotTheTraining() throws {
        let digits = try embeddedDigits().subset(Array(0..<96))
        let directory = try RunDirectory(path: temporaryFolder("views"))
        var settings = Self.tinySettings(digits)
        settings.pixelBaseline = false
        settings.embeddingViews = 0
        let plain = try RunJob(settings: settings, source: .images(digits), directory: directory).run()
        let plainEmbedding = try readNPY(directory.file("embeddings.npy").path)
        settings.embeddingViews = 2
        let averaged = try RunJob(settings: settings, source: .images(digits), directory: directory).run()
        #expect(averaged.stagesRun == [.embed, .reduce, .cluster, .report])
        let averagedEmbedding = try readNPY(directory.file("embeddings.npy").path)
        #expect(averagedEmbedding.shape == plainEmbedding.shape && averagedEmbedding != plainEmbedding)
        settings.embeddingViews = 0
        let again = try RunJob(settings: settings, source: .images(digits), directory: directory).run()
        #expect(again.stagesRun == [.embed, .reduce, .cluster, .report])
        #expect(try readNPY(directory.file("embeddings.npy").path) == plainEmbedding)
        #expect(again.outcome.clusterCount == plain.outcome.clusterCount)
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
