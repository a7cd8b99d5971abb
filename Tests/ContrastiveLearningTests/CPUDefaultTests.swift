import ContrastiveLearning
import Datasets
import Testing

/// The CPU default configuration's choices that follow from the paradigm and the data.
@Suite struct CPUDefaultTests {
    @Test func byolLearnsAtTenTimesInfoNCEsRateScaledWithTheBatch() throws {
        let digits = try embeddedDigits()
        let byol = try TrainingConfiguration.cpuDefault(paradigm: .byol, for: digits, minutes: 2)
        let infonce = try TrainingConfiguration.cpuDefault(paradigm: .infonce, for: digits, minutes: 2)
        // 1,797 images give fewer than 24 steps of 256: batch 64.
        #expect(byol.batchSize == 64 && infonce.batchSize == 64)
        #expect(infonce.learningRate == TrainingConfiguration.baseLearningRate * 64 / 256)
        #expect(byol.learningRate == 10 * TrainingConfiguration.baseLearningRate * 64 / 256)
        try byol.validate()
        // The paper's own settings keep SPEC's rate whatever the paradigm.
        let paper = TrainingConfiguration(paradigm: .byol, inputChannels: 1, inputHeight: 8, inputWidth: 8)
        #expect(paper.learningRate == TrainingConfiguration.baseLearningRate)
    }
}
