import ContrastiveLearning
import Datasets
import Foundation
import Testing

/// The "NRCC without SGHMC" rows of the paper's Table 2: x^c is a third ordinary augmentation.
@Suite struct AugmentationNegativesTests {
    @Test func augmentedNegativesTrainWithAFiniteRegularizerOtherThanSGHMCs() throws {
        let digits = try embeddedDigits().subset(Array(0..<64))
        var augmented = tinyConfiguration(digits, epochs: 1)
        augmented.sghmc.variant = .augmentation
        let sampled = tinyConfiguration(digits, epochs: 1)
        let first = temporaryDirectory("augmented"), second = temporaryDirectory("sampled")
        defer {
            try? FileManager.default.removeItem(at: first)
            try? FileManager.default.removeItem(at: second)
        }
        let withAugmentation = try Trainer(configuration: augmented, dataset: digits, outputDirectory: first).run()
        let withSGHMC = try Trainer(configuration: sampled, dataset: digits, outputDirectory: second).run()
        let regularizer = try #require(withAugmentation.first?.regularizerLoss)
        #expect(regularizer.isFinite && regularizer != 0)
        #expect(regularizer != withSGHMC.first?.regularizerLoss)
    }
}
