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
}
