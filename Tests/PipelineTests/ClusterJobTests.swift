import Basics
import Clustering
import Datasets
import Foundation
import Pipeline
import Testing
import TestSupport

/// Seeded Gaussian blobs: `clusters` centres in `dimension`-D, `perCluster` points each.
func blobs(clusters: Int, perCluster: Int, dimension: Int, spread: Float = 0.05, seed: UInt64 = 1) -> FeatureMatrix {
    var state = seed
    func uniform() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 24)
    }
    let centres = (0..<clusters * dimension).map { _ in uniform() * 10 }
    var values: [Float] = []
    var labels: [Int] = []
    for point in 0..<clusters * perCluster {
        let cluster = point % clusters
        for d in 0..<dimension { values.append(centres[cluster * dimension + d] + spread * (uniform() - 0.5)) }
        labels.append(cluster)
    }
    return FeatureMatrix(name: "blobs", rows: labels.count, columns: dimension, values: values, labels: labels)
}

func temporaryFolder(_ name: String) -> String {
    ScratchFolders.folder("pipeline-\(name)").path
}

@Suite struct ClusterJobTests {
    @Test func kMeansWithoutReductionRecoversBlobsAndWritesArtefacts() throws {
        var settings = ClusterSettings()
        settings.reducer = .none
        settings.method = .kmeans
        settings.clusterCount = 4
        let input = ClusterInput(features: blobs(clusters: 4, perCluster: 50, dimension: 5), images: nil)
        let directory = try RunDirectory(path: temporaryFolder("kmeans"))
        let (outcome, report) = try ClusterJob(input: input, settings: settings).run(writingTo: directory)
        #expect(outcome.clusterCount == 4)
        #expect(report.acc == 1)
        #expect(report.nmi.map { abs($0 - 1) < 1e-9 } == true)
        for file in ["coordinates.npy", "labels.csv", "metrics.json", "report.html"] {
            #expect(directory.contains(file), "missing \(file)")
        }
        let coordinates = try readNPY(directory.file("coordinates.npy").path)
        #expect(coordinates.shape == [200, 5])
        let csv = try String(contentsOf: directory.file("labels.csv"), encoding: .utf8)
        #expect(csv.hasPrefix("index,cluster,label\n0,"))
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.file("metrics.json"))) as? [String: Any]
        #expect(Set(["acc", "nmi", "ari", "ami", "clusters"]).isSubset(of: Set(metrics?.keys ?? [:].keys)))
    }

    @Test func metricsAndReportShowHowTheBandwidthWasChosen() throws {
        var settings = ClusterSettings()
        settings.reducer = .none
        let input = ClusterInput(features: blobs(clusters: 6, perCluster: 40, dimension: 3), images: nil)
        let directory = try RunDirectory(path: temporaryFolder("selection"))
        #expect(settings.bandwidthRule == .modularity)
        // The default weighs the silhouette's partition against the persistence rule's.
        let (byDefault, defaultReport) = try ClusterJob(input: input, settings: settings).run(writingTo: directory)
        #expect(byDefault.clusterCount == 6)
        let arbitration = try #require(defaultReport.bandwidthSelection?.arbitration)
        #expect(arbitration.silhouetteClusters == 6 && arbitration.persistenceClusters == 6)
        let defaultMetrics = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.file("metrics.json"))) as? [String: Any]
        let defaultSelection = defaultMetrics?["bandwidth_selection"] as? [String: Any]
        #expect(defaultSelection?["rule"] as? String == "modularity")
        #expect((defaultSelection?["arbitration"] as? [String: Any])?["kept"] as? String == "silhouette")
        let defaultHTML = try String(contentsOf: directory.file("report.html"), encoding: .utf8)
        #expect(defaultHTML.contains("the modularity rule weighed two partitions") && defaultHTML.contains("Persistence of the fragments"))

        settings.bandwidthRule = .persistence
        let (outcome, report) = try ClusterJob(input: input, settings: settings).run(writingTo: directory)
        #expect(outcome.clusterCount == 6)
        let choice = try #require(report.bandwidthSelection)
        #expect(choice.rule == .persistence)
        #expect(choice.candidates[choice.chosen].bandwidth == report.bandwidth)
        #expect(choice.persistence?.count == choice.candidates[choice.chosen].clusterCount)
        #expect(choice.persistence?.count { $0.death == nil } == 6)
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.file("metrics.json"))) as? [String: Any]
        let selection = metrics?["bandwidth_selection"] as? [String: Any]
        #expect(selection?["rule"] as? String == "persistence")
        #expect((selection?["candidates"] as? [Any])?.count == choice.candidates.count)
        #expect((selection?["persistence"] as? [Any])?.count == choice.persistence?.count)
        let html = try String(contentsOf: directory.file("report.html"), encoding: .utf8)
        #expect(html.contains("id=\"selection\"") && html.contains("the persistence rule took the finest"))
        #expect(html.contains("Persistence of the fragments"))

        // The silhouette rule keeps one bandwidth of the sweep and says so.
        settings.bandwidthRule = .silhouette
        let bySilhouette = try ClusterJob(input: input, settings: settings).run(writingTo: directory).1
        let silhouetteChoice = try #require(bySilhouette.bandwidthSelection)
        #expect(silhouetteChoice.candidates[silhouetteChoice.chosen].clusterCount == 6)
        #expect(silhouetteChoice.persistence == nil)
        let silhouetteHTML = try String(contentsOf: directory.file("report.html"), encoding: .utf8)
        #expect(silhouetteHTML.contains("the silhouette rule kept h"))

        // A fixed bandwidth records no choice; the percentile rule records its one bandwidth.
        settings.bandwidth = report.bandwidth
        #expect(try ClusterJob(input: input, settings: settings).run(writingTo: nil).1.bandwidthSelection == nil)
        settings.bandwidth = nil
        settings.bandwidthRule = .percentile
        #expect(try ClusterJob(input: input, settings: settings).run(writingTo: nil).1.bandwidthSelection?.candidates.count == 1)
    }

    @Test func umapAndGridShiftFindSeparatedBlobsWithoutK() throws {
        var settings = ClusterSettings()
        settings.metric = .euclidean
        let input = ClusterInput(features: blobs(clusters: 5, perCluster: 60, dimension: 8), images: nil)
        let (outcome, report) = try ClusterJob(input: input, settings: settings).run(writingTo: nil)
        #expect(outcome.dimensions == 3)
        #expect(outcome.coordinates.count == 300 * 3)
        #expect(outcome.clusterCount == 5, "found \(outcome.clusterCount) clusters")
        #expect((report.acc ?? 0) > 0.99)
    }

    @Test func nonFiniteFeatureIsReportedWithItsRow() throws {
        let folder = temporaryFolder("nan")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var values = [Float](repeating: 0.5, count: 20 * 3)
        values[7 * 3 + 2] = .nan
        let path = folder + "/features.npy"
        try writeNPY(values, shape: [20, 3], to: path)
        do {
            _ = try ClusterInput(path)
            Issue.record("a NaN feature was accepted")
        } catch {
            #expect("\(error)".contains("row 7"), "\(error)")
        }
    }

    @Test func labelsOfAnotherLengthAreRefused() throws {
        let folder = temporaryFolder("labels")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try writeNPY([Float](repeating: 1, count: 30), shape: [10, 3], to: folder + "/features.npy")
        try "0\n1\n2\n".write(toFile: folder + "/labels.csv", atomically: true, encoding: .utf8)
        #expect(throws: DatasetError.countMismatch(file: folder + "/labels.csv", expected: 10, found: 3)) {
            _ = try ClusterInput(folder + "/features.npy", labelsPath: folder + "/labels.csv")
        }
    }

    /// A dataset's split, as `nrcc cluster fashion-mnist --split test` reads it: here an IDX
    /// folder of 3 training and 2 test images.
    @Test func aDatasetsSplitIsClusteredAlone() throws {
        let folder = temporaryFolder("split")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (stem, labels) in [("train", [UInt8]([0, 1, 0])), ("t10k", [1, 0])] {
            let images = IDXArray(shape: [labels.count, 2, 2], values: [UInt8](repeating: 9, count: 4 * labels.count))
            try Data(idxBytes(images)).write(to: URL(fileURLWithPath: folder + "/\(stem)-images-idx3-ubyte"))
            try Data(idxBytes(IDXArray(shape: [labels.count], values: labels)))
                .write(to: URL(fileURLWithPath: folder + "/\(stem)-labels-idx1-ubyte"))
        }
        let test = try ClusterInput(folder, split: .test)
        #expect(test.features.rows == 2 && test.features.labels == [1, 0])
        #expect(try ClusterInput(folder).features.rows == 5)
    }

    @Test func tooFewPointsForTheNeighbourGraphIsASettingError() throws {
        let input = ClusterInput(features: blobs(clusters: 2, perCluster: 4, dimension: 3), images: nil)
        #expect(throws: PipelineError.self) {
            _ = try ClusterJob(input: input, settings: ClusterSettings()).run(writingTo: nil)
        }
    }

    @Test func impossibleSettingsAreRefusedBeforeAnyWork() {
        var settings = ClusterSettings()
        settings.method = .kmeans
        #expect(throws: PipelineError.invalidSetting(name: "--k", value: "missing", expected: "a cluster count with --method kmeans")) {
            try settings.validate()
        }
        settings = ClusterSettings()
        settings.bandwidth = -1
        #expect(throws: PipelineError.self) { try settings.validate() }
        settings = ClusterSettings()
        settings.reducer = .tsne
        settings.dimensions = 4
        #expect(throws: PipelineError.self) { try settings.validate() }
        settings = ClusterSettings()
        settings.layoutParts = 0
        #expect(throws: PipelineError.invalidSetting(name: "--umap-parts", value: "0",
                                                     expected: "1 to 64 (1: the sequential sweep)")) {
            try settings.validate()
        }
        for tolerance in [-0.01, 1.5, .nan] {
            settings = ClusterSettings()
            settings.modularityTolerance = tolerance
            #expect(throws: PipelineError.self, "tolerance \(tolerance)") { try settings.validate() }
        }
    }

    /// Settings written before the modularity rule's margin read back without one, the rule
    /// that made them (the higher score wins); new settings carry 0.01, and whatever margin the
    /// settings hold reaches the rule's arbitration.
    @Test func settingsWithoutTheMarginReadAsTheHigherScore() throws {
        var written = try JSONSerialization.jsonObject(with: JSONEncoder().encode(ClusterSettings())) as! [String: Any]
        #expect(written["modularityTolerance"] as? Double == 0.01)
        written["modularityTolerance"] = nil
        let read = try JSONDecoder().decode(ClusterSettings.self, from: JSONSerialization.data(withJSONObject: written))
        #expect(read.modularityTolerance == nil)
        let points = blobs(clusters: 3, perCluster: 300, dimension: 3)
        var settings = ClusterSettings()
        for tolerance in [nil, 0.01, 0.2] as [Double?] {
            settings.modularityTolerance = tolerance
            let outcome = try cluster(points.values, dimension: 3, settings: settings)
            #expect(outcome.bandwidthChoice?.arbitration?.tolerance == tolerance ?? 0)
        }
    }

    /// Settings written before the rules' graph followed the points have no `graphReach`: they
    /// read back as 15 neighbours, which is what made them; new settings say "auto". Twelve
    /// groups of ten points, three to a super-group: 15 neighbours reach across the groups of a
    /// super-group (4 clusters), a hundredth of the points (5) does not (12).
    @Test func settingsWithoutTheGraphReachReadAsFifteenNeighbours() throws {
        var written = try JSONSerialization.jsonObject(with: JSONEncoder().encode(ClusterSettings())) as! [String: Any]
        #expect(written["graphReach"] as? String == "auto")
        written["graphReach"] = nil
        let read = try JSONDecoder().decode(ClusterSettings.self, from: JSONSerialization.data(withJSONObject: written))
        #expect(read.graphReach == nil)
        // Ten points within 0.15 of their mean, placed at each group's centre.
        let group = blobs(clusters: 1, perCluster: 10, dimension: 3, spread: 0.3, seed: 7).values
        let mean = (0..<3).map { axis in stride(from: axis, to: group.count, by: 3).map { group[$0] }.reduce(0, +) / 10 }
        var points: [Float] = []
        for index in 0..<12 {
            let centre: [Float] = [Float(index / 3) * 40, Float(index % 3) * 2, 0]
            for value in group.indices { points.append(group[value] - mean[value % 3] + centre[value % 3]) }
        }
        var settings = ClusterSettings()
        for (reach, expected) in [(nil, 4), (.neighbors(15), 4), (.hundredthOfPoints, 12)] as [(GraphReach?, Int)] {
            settings.graphReach = reach
            let outcome = try cluster(points, dimension: 3, settings: settings)
            #expect(outcome.clusterCount == expected, "\(String(describing: reach))")
        }
        for count in [0, PersistenceMerge.maximumNeighborCount + 1] {
            settings.graphReach = .neighbors(count)
            #expect(throws: PipelineError.self, "\(count) neighbours") { try settings.validate() }
        }
        let encoded = try JSONEncoder().encode([GraphReach.hundredthOfPoints, .neighbors(15)])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["auto",15]"#)
        #expect(try JSONDecoder().decode([GraphReach].self, from: encoded) == [.hundredthOfPoints, .neighbors(15)])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([GraphReach].self, from: Data(#"["all"]"#.utf8)) }
    }

    /// Settings written before UMAP swept in parts have no `layoutParts`: they read back as
    /// one part, the sequential sweep that made them, and new settings say 8.
    @Test func settingsWithoutPartsReadAsTheSequentialSweep() throws {
        var written = try JSONSerialization.jsonObject(with: JSONEncoder().encode(ClusterSettings())) as! [String: Any]
        #expect(written["layoutParts"] as? Int == 8)
        written["layoutParts"] = nil
        let read = try JSONDecoder().decode(ClusterSettings.self, from: JSONSerialization.data(withJSONObject: written))
        #expect(read.layoutParts == nil)

        let points = blobs(clusters: 3, perCluster: 700, dimension: 5)
        func layout(_ parts: Int?) throws -> [Float] {
            var settings = read
            settings.layoutParts = parts
            settings.reductionEpochs = 20
            // One BLAS thread count for every layout, as nrcc runs (other tests may change it).
            return try BLASThreads.exclusively(1) {
                try reduce(points.values, dimension: points.columns, settings: settings).coordinates
            }
        }
        #expect(try layout(nil) == layout(1))
        #expect(try layout(nil) != layout(8))
    }
}
