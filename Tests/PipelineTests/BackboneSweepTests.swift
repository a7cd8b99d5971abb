import ContrastiveLearning
import Datasets
import Foundation
import Pipeline
import Testing

/// Table 10's backbone sweep: equal modelled time, one run folder per backbone, both clusterings.
@Suite struct BackboneSweepTests {
    @Test func everyBackboneTrainsTheSameBudget() throws {
        let digits = try embeddedDigits()
        var overrides = TrainingOverrides()
        overrides.minutes = 20
        overrides.patchSize = 2 // not the default 4
        overrides.usesRegularizer = true // the paper's Table 10 trains with NRCC; InfoNCE's default is off
        let sweep = try BackboneSweep(dataset: digits, datasetName: "digits", backbones: [.resnet18, .resnet34, .vitTiny],
                                      training: overrides, clustering: ClusterSettings(),
                                      directory: try RunDirectory(path: temporaryFolder("backbones")))
        let resnet18 = try sweep.configuration(.resnet18), resnet34 = try sweep.configuration(.resnet34)
        let vit = try sweep.configuration(.vitTiny)
        #expect(resnet18.backbone == .resnet18 && resnet34.backbone == .resnet34 && vit.backbone == .vitTiny)
        #expect(vit.visionTransformer?.patchSize == 2, "the patch size is the ViT's")
        for configuration in [resnet18, resnet34, vit] {
            #expect(configuration.paradigm == .infonce && configuration.usesRegularizer)
            // The epochs that fit 20 modelled minutes, and not one more.
            let epochSeconds = configuration.modelledEpochSeconds(imageCount: digits.count)
            #expect(Double(configuration.epochs) * epochSeconds <= 20 * 60)
            #expect(Double(configuration.epochs + 1) * epochSeconds > 20 * 60)
        }
        #expect(resnet18.epochs > resnet34.epochs && resnet34.epochs > vit.epochs)

        // Given epochs are every backbone's.
        overrides.epochs = 3
        let given = try BackboneSweep(dataset: digits, datasetName: "digits", backbones: [.resnet18, .vitTiny],
                                      training: overrides, clustering: ClusterSettings(),
                                      directory: try RunDirectory(path: temporaryFolder("backbones-epochs")))
        #expect(try given.configuration(.resnet18).epochs == 3 && given.configuration(.vitTiny).epochs == 3)
    }

    @Test func refusesWhatItCannotCompare() throws {
        let digits = try embeddedDigits()
        func sweep(_ backbones: [BackboneArchitecture], _ change: (inout TrainingOverrides) -> Void = { _ in }) throws {
            var overrides = TrainingOverrides()
            change(&overrides)
            _ = try BackboneSweep(dataset: digits, datasetName: "digits", backbones: backbones, training: overrides,
                                  clustering: ClusterSettings(), directory: try RunDirectory(path: temporaryFolder("backbones-bad")))
        }
        #expect(throws: PipelineError.self) { try sweep([]) }
        #expect(throws: PipelineError.self) { try sweep([.vitTiny, .vitTiny]) }
        #expect(throws: PipelineError.self) { try sweep([.resnet18], { $0.depth = 34 }) }
        // A patch size that does not divide the 8x8 images is refused before anything trains.
        #expect(throws: (any Error).self) { try sweep([.resnet18, .vitTiny], { $0.patchSize = 3 }) }
    }

    /// A ResNet and a ViT for one epoch each on 96 digits: two run folders, both clusterings,
    /// the training's own seconds and kNN accuracy, and the table.
    @Test func sweepTrainsEachBackboneAndTabulatesThem() throws {
        let digits = try embeddedDigits().subset(Array(0..<96))
        var overrides = TrainingOverrides()
        overrides.epochs = 1
        overrides.batchSize = 32
        overrides.patchSize = 4
        overrides.usesRegularizer = true // SGHMC's input gradients through both backbones
        let directory = try RunDirectory(path: temporaryFolder("backbones-run"))
        let sweep = try BackboneSweep(dataset: digits, datasetName: "digits", backbones: [.resnet18, .vitTiny],
                                      training: overrides, clustering: ClusterSettings(), directory: directory)
        let rows = try sweep.run()
        #expect(rows.map(\.backbone) == [.resnet18, .resnet18, .vitTiny, .vitTiny])
        #expect(rows.map(\.clusterer) == [.kmeans, .umapGridShift, .kmeans, .umapGridShift])
        #expect(rows.filter { $0.clusterer == .kmeans }.allSatisfy { $0.scores.clusters == 10 })
        #expect(rows.allSatisfy { $0.epochs == 1 && $0.trainingSeconds > 0 && $0.knnAccuracy != nil })
        for file in ["resnet18/embeddings.npy", "vit-tiny/embeddings.npy", "backbones.md", "backbones.csv"] {
            #expect(directory.contains(file), "missing \(file)")
        }
        let table = try String(contentsOf: directory.file("backbones.md"), encoding: .utf8)
        #expect(table.contains("| ResNet-18 | 1 |") && table.contains("| ViT-Tiny | 1 |"))
        #expect(table.contains("InfoNCE + NRCC, 1 epoch each"))

        // A second run finds every training done and gives the same rows.
        #expect(try sweep.run() == rows)
    }
}
