import ContrastiveLearning
import Datasets
import Foundation
import Pipeline
import Testing

/// The ablation's six trainings: equal epochs, each paradigm at its own default rate.
@Suite struct AblationTests {
    @Test func everyRowTrainsEqualEpochsAtItsParadigmsRate() throws {
        let digits = try embeddedDigits()
        var overrides = TrainingOverrides()
        overrides.minutes = 2
        let ablation = try Ablation(dataset: digits, datasetName: "digits", training: overrides,
                                    clustering: ClusterSettings(), directory: try RunDirectory(path: temporaryFolder("ablation")))
        let rows = try Paradigm.allCases.flatMap { paradigm in
            try Ablation.Negatives.allCases.map { (paradigm, $0, try ablation.configuration(paradigm, $0)) }
        }
        #expect(Set(rows.map(\.2.epochs)) == [ablation.epochs])
        for (paradigm, negatives, configuration) in rows {
            #expect(configuration.paradigm == paradigm)
            #expect(configuration.usesRegularizer == (negatives != .none))
            #expect(configuration.learningRate == TrainingConfiguration.learningRate(
                base: TrainingConfiguration.cpuBaseLearningRate(paradigm: paradigm), batchSize: configuration.batchSize))
        }
        #expect(rows.first { $0.1 == .augmentation }?.2.sghmc.variant == .augmentation)

        // A rate the user gives is every row's.
        overrides.learningRate = 0.2
        let given = try Ablation(dataset: digits, datasetName: "digits", training: overrides,
                                 clustering: ClusterSettings(), directory: try RunDirectory(path: temporaryFolder("ablation-rate")))
        let byol = try given.configuration(.byol, .sghmc), infonce = try given.configuration(.infonce, .none)
        #expect(byol.learningRate == infonce.learningRate)
    }

    /// A setting one of the paradigms refuses is refused before anything trains.
    @Test func aSettingOneParadigmRefusesStopsItBeforeTraining() throws {
        let digits = try embeddedDigits()
        var overrides = TrainingOverrides()
        overrides.epochs = 2
        overrides.supportSetSize = 256
        let folder = temporaryFolder("ablation-refused")
        #expect { _ = try Ablation(dataset: digits, datasetName: "digits", training: overrides,
                                   clustering: ClusterSettings(), directory: try RunDirectory(path: folder)) }
            throws: { "\($0)".contains("InfoNCE") }
        let infonceOnly = try Ablation(dataset: digits, datasetName: "digits", paradigms: [.infonce], training: overrides,
                                       clustering: ClusterSettings(), directory: try RunDirectory(path: folder))
        #expect(try infonceOnly.configuration(.infonce, .sghmc).supportSetSize == 256)
    }

    @Test func severalSeedsTrainEveryRowOncePerSeed() throws {
        let digits = try embeddedDigits()
        var overrides = TrainingOverrides()
        overrides.epochs = 2
        overrides.seed = 7
        let ablation = try Ablation(dataset: digits, datasetName: "digits", training: overrides, seedCount: 3,
                                    clustering: ClusterSettings(), directory: try RunDirectory(path: temporaryFolder("ablation-seeds")))
        #expect(ablation.seeds == [7, 8, 9])
        #expect(try ablation.configuration(.byol, .sghmc).seed == 7)
        #expect(try ablation.configuration(.byol, .sghmc, seed: 9).seed == 9)
        #expect(try ablation.runSettings(.byol, .sghmc, seed: 9).training?.seed == 9)
        #expect(try ablation.runSettings(.byol, .sghmc).split == nil)
        let testSplit = try Ablation(dataset: digits, datasetName: "digits", split: .test, training: overrides,
                                     clustering: ClusterSettings(), directory: try RunDirectory(path: temporaryFolder("ablation-split")))
        #expect(try testSplit.runSettings(.infonce, .none).split == .test)
        for count in [0, Ablation.maximumSeedCount + 1] {
            #expect(throws: PipelineError.self) {
                _ = try Ablation(dataset: digits, datasetName: "digits", training: overrides, seedCount: count,
                                 clustering: ClusterSettings(), directory: try RunDirectory(path: temporaryFolder("ablation-none")))
            }
        }
    }

    /// Two seeds of InfoNCE with and without NRCC: ACC 0.5 and 0.75 without, 1 and 0.75 with.
    @Test func severalSeedsGiveMeansAndPairedDifferences() {
        let truth = [0, 0, 1, 1]
        func row(_ negatives: Ablation.Negatives, _ seed: UInt64, _ predicted: [Int]) -> Ablation.Row {
            Ablation.Row(paradigm: .infonce, negatives: negatives, clusterer: .umapGridShift, seed: seed,
                         scores: ClusteringScoreSet(truth: truth, predicted: predicted))
        }
        let rows = [row(.none, 0, [0, 1, 0, 1]), row(.sghmc, 0, [0, 0, 1, 1]),
                    row(.none, 1, [0, 0, 0, 1]), row(.sghmc, 1, [0, 0, 0, 1])]
        let text = ablationMarkdown(rows, dataset: "toy")
        let lines = text.split(separator: "\n").map(String.init)
        // Means over the seeds, with the sample standard deviation: 0.25 / sqrt(2) for both.
        #expect(lines.contains { $0.hasPrefix("| InfoNCE | ✗ | ✗ | ✗ | UMAP | GridShift | 2.0 |") && $0.contains("| 62.5 +- 17.7 |") })
        #expect(lines.contains { $0.hasPrefix("| InfoNCE | ✓ | ✗ | ✓ | UMAP | GridShift | 2.0 |") && $0.contains("| 87.5 +- 17.7 |") })
        // Paired by seed: +0.5 and 0, so +25 points with deviation 35.4, ahead on one seed of two.
        #expect(lines.contains { $0.hasPrefix("| InfoNCE | SGHMC | UMAP | GridShift | 2 | +25.0 +- 35.4 |") && $0.hasSuffix("| 1 of 2 |") })
        // And every run, with its seed.
        #expect(lines.contains { $0.hasPrefix("| InfoNCE | ✓ | ✗ | ✓ | UMAP | GridShift | 1 | 2 |") })
        // One seed keeps the paper's table as it was.
        #expect(!ablationMarkdown(Array(rows.prefix(2)), dataset: "toy").contains("+-"))
    }
}
