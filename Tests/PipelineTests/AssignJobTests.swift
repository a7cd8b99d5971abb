import Datasets
import Foundation
import Pipeline
import Testing
import TestSupport

/// `nrcc assign` against runs made here: its own points, held-out points, outliers, images.
@Suite struct AssignJobTests {
    /// The cluster column of a `labels.csv`.
    static func clusters(_ file: URL) throws -> [Int] {
        try String(contentsOf: file, encoding: .utf8).split(separator: "\n").dropFirst().map { Int($0.split(separator: ",")[1])! }
    }

    /// A finished `nrcc run` on `features` (written to a .npy beside it, as a user's would be).
    func finishedRun(_ features: FeatureMatrix, name: String) throws -> URL {
        let folder = temporaryFolder(name)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "-features.npy"
        try Data(npyBytes(NPYArray(shape: [features.rows, features.columns], elements: .float32(features.values))))
            .write(to: URL(fileURLWithPath: path))
        var clustering = ClusterSettings()
        clustering.metric = .euclidean
        let settings = RunSettings(dataset: path, training: nil, clustering: clustering)
        let directory = try RunDirectory(path: folder)
        _ = try RunJob(settings: settings, source: .features(features), directory: directory).run()
        return directory.url
    }

    @Test func aRunsOwnPointsGetTheRunsLabelsAndHeldOutPointsTheirBlobs() throws {
        let all = blobs(clusters: 5, perCluster: 120, dimension: 8, spread: 0.5, seed: 7)
        let fitted = 500
        let reference = FeatureMatrix(name: "blobs", rows: fitted, columns: 8, values: Array(all.values[..<(fitted * 8)]),
                                      labels: Array(all.labels![..<fitted]))
        let run = try finishedRun(reference, name: "assign-reference")
        let runLabels = try String(contentsOf: run.appendingPathComponent("labels.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { Int($0.split(separator: ",")[1])! }

        let own = try AssignJob(run: run, input: .features(reference)).run(writingTo: nil)
        #expect(own.outliers == 0)
        let ownDirectory = try RunDirectory(path: temporaryFolder("assign-own"))
        _ = try AssignJob(run: run, input: .features(reference)).run(writingTo: ownDirectory)
        let assigned = try String(contentsOf: ownDirectory.file("labels.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { Int($0.split(separator: ",")[1])! }
        let agreement = Double(zip(assigned, runLabels).count { $0 == $1 }) / Double(fitted)
        #expect(agreement >= 0.99, "own points: \(agreement) agree with the run")

        let heldOut = FeatureMatrix(name: "held out", rows: all.rows - fitted, columns: 8,
                                    values: Array(all.values[(fitted * 8)...]), labels: Array(all.labels![fitted...]))
        let placed = try AssignJob(run: run, input: .features(heldOut)).run(writingTo: nil)
        #expect(placed.points == 100)
        #expect((placed.scores?.acc ?? 0) >= 0.99, "held-out ACC \(placed.scores?.acc ?? 0)")
    }

    @Test func aPointFarFromEveryClusterIsAnOutlier() throws {
        let reference = blobs(clusters: 3, perCluster: 100, dimension: 4, spread: 0.5, seed: 3)
        let run = try finishedRun(reference, name: "assign-outlier")
        let far = FeatureMatrix(name: "far", rows: 2, columns: 4,
                                values: Array(reference.values[..<4]) + [500, -500, 500, -500], labels: nil)
        let directory = try RunDirectory(path: temporaryFolder("assign-outlier-out"))
        let report = try AssignJob(run: run, input: .features(far)).run(writingTo: directory)
        #expect(report.outliers == 1)
        let lines = try String(contentsOf: directory.file("labels.csv"), encoding: .utf8).split(separator: "\n")
        #expect(lines[0] == "index,cluster,confidence,distance,outlier")
        #expect(lines[1].hasSuffix(",0") && lines[2].hasSuffix(",1"))
    }

    @Test func featuresOfAnotherWidthAndAMissingRunAreClearErrors() throws {
        let reference = blobs(clusters: 3, perCluster: 40, dimension: 4, seed: 5)
        let run = try finishedRun(reference, name: "assign-errors")
        let wide = FeatureMatrix(name: "wide", rows: 3, columns: 6, values: [Float](repeating: 1, count: 18), labels: nil)
        #expect(throws: PipelineError.invalidSetting(
            name: "input", value: "6 features per point",
            expected: "4, as the run's embeddings.npy; embed with the same run")) {
            try AssignJob(run: run, input: .features(wide)).run(writingTo: nil)
        }
        let empty = URL(fileURLWithPath: temporaryFolder("assign-no-run"))
        #expect(throws: PipelineError.self) {
            try AssignJob(run: empty, input: .features(wide)).run(writingTo: nil)
        }
    }

    @Test func imagesAreEmbeddedWithTheRunsEncoder() throws {
        let digits = try embeddedDigits().subset(Array(0..<96))
        let directory = try RunDirectory(path: temporaryFolder("assign-images"))
        var settings = RunJobTests.tinySettings(digits)
        settings.clustersFrom = .embedding
        settings.embeddingViews = 2
        _ = try RunJob(settings: settings, source: .images(digits), directory: directory).run()
        let runLabels = try Self.clusters(directory.file("labels.csv"))
        let output = try RunDirectory(path: temporaryFolder("assign-images-out"))
        let report = try AssignJob(run: directory.url, input: .images(digits)).run(writingTo: output)
        #expect(report.points == 96 && report.outliers == 0)
        // The run's own images, embedded with the run's views, come out as the run embedded them.
        #expect(try readNPY(output.file("embeddings.npy").path) == readNPY(directory.file("embeddings.npy").path))
        #expect(report.clustersUsed == Set(runLabels).count)
    }

    /// A run whose clusters are its raw pixels' places new images by their pixels, in the
    /// pixels' layout: the run's own images land in their own clusters.
    @Test func aRunOnThePixelsClustersPlacesImagesByTheirPixels() throws {
        // The run's images in a file of their own, which assign reads back for their pixels.
        let subset = try embeddedDigits().subset(Array(0..<96))
        let file = try ScratchFolders.createdFolder("pipeline-assign-pixels-images").path + "/digits-images-idx3-ubyte"
        try Data(idxBytes(IDXArray(shape: [96, subset.height, subset.width], values: subset.pixels)))
            .write(to: URL(fileURLWithPath: file))
        guard case let .images(digits) = try loadDataset(file) else { Issue.record("not read as images"); return }
        let directory = try RunDirectory(path: temporaryFolder("assign-pixels"))
        var settings = RunJobTests.tinySettings(digits)
        settings.dataset = file
        settings.clustersFrom = .pixels
        _ = try RunJob(settings: settings, source: .images(digits), directory: directory).run()
        let runLabels = try Self.clusters(directory.file("labels.csv"))
        let output = try RunDirectory(path: temporaryFolder("assign-pixels-out"))
        let report = try AssignJob(run: directory.url, input: .images(digits)).run(writingTo: output)
        let assigned = try Self.clusters(output.file("labels.csv"))
        let same = zip(assigned, runLabels).count { $0 == $1 }
        #expect(report.points == 96 && same >= 90, "\(same) of 96 in their own cluster")
        #expect(!output.contains("embeddings.npy"), "no encoder ran")
        // Feature rows cannot be placed among pixels.
        let features = FeatureMatrix(name: "rows", rows: 2, columns: 16, values: [Float](repeating: 0.1, count: 32), labels: nil)
        #expect(throws: PipelineError.self) { try AssignJob(run: directory.url, input: .features(features)).run(writingTo: nil) }
    }
}
