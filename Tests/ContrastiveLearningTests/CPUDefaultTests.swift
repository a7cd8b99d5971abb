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

    /// The regularizer's preset: the reference preset for the paradigms without negatives,
    /// the paper's for InfoNCE, and whatever the user names. BYOL's weight is 3 unless a
    /// preset is named, which then gives its own values; `--lambda` wins over both.
    @Test func presetFollowsTheParadigmUnlessGiven() throws {
        let digits = try embeddedDigits()
        for paradigm in Paradigm.allCases {
            let configuration = try TrainingConfiguration.cpuDefault(paradigm: paradigm, for: digits, minutes: 1)
            let expected: RegularizerSettings.Preset = paradigm == .infonce ? .paper : .reference
            var values = RegularizerSettings(preset: expected)
            if paradigm == .byol { values.weight = 3 }
            #expect(configuration.preset == expected && configuration.regularizer == values, "\(paradigm)")
        }
        var overrides = TrainingOverrides()
        overrides.paradigm = .byol
        overrides.preset = .paper
        #expect(try overrides.configuration(for: digits).preset == .paper)
        #expect(try overrides.configuration(for: digits).regularizer == RegularizerSettings(preset: .paper))
        overrides.preset = .reference
        #expect(try overrides.configuration(for: digits).regularizer == RegularizerSettings(preset: .reference))
        overrides.preset = nil
        overrides.regularizerWeight = 0.3
        #expect(try overrides.configuration(for: digits).regularizer.weight == 0.3)
    }

    /// The regularizer is off for InfoNCE, which then fits more epochs into the same minutes,
    /// and on for the paradigms without negatives; the user's choice wins either way.
    @Test func theRegularizerIsOffForInfoNCEUnlessAsked() throws {
        let digits = try embeddedDigits()
        for paradigm in Paradigm.allCases {
            let configuration = try TrainingConfiguration.cpuDefault(paradigm: paradigm, for: digits, minutes: 1)
            #expect(configuration.usesRegularizer == (paradigm != .infonce), "\(paradigm)")
        }
        var overrides = TrainingOverrides()
        overrides.minutes = 20
        let alone = try overrides.configuration(for: digits)
        overrides.usesRegularizer = true
        let regularized = try overrides.configuration(for: digits)
        #expect(!alone.usesRegularizer && regularized.usesRegularizer)
        #expect(alone.epochs > regularized.epochs, "a step without SGHMC and R takes less time")
        overrides.paradigm = .byol
        overrides.usesRegularizer = false
        #expect(try !overrides.configuration(for: digits).usesRegularizer)
    }

    /// SimSiam and Barlow Twins: their measured short-run rates, SimSiam's predictor ten
    /// times faster on a CPU (its paper's 1 in the paper settings), Barlow Twins' lambda.
    @Test func table9ParadigmsGetTheirOwnRatesAndHeads() throws {
        let digits = try embeddedDigits()
        let simsiam = try TrainingConfiguration.cpuDefault(paradigm: .simsiam, for: digits, minutes: 2)
        let barlow = try TrainingConfiguration.cpuDefault(paradigm: .barlowtwins, for: digits, minutes: 2)
        #expect(simsiam.learningRate == 0.2 * 64 / 256 && simsiam.predictorLearningRateScale == 10)
        #expect(barlow.learningRate == 0.003 * 64 / 256 && barlow.redundancyWeight == 0.0051)
        #expect(simsiam.redundancyWeight == nil)
        let published = TrainingConfiguration(paradigm: .simsiam, inputChannels: 1, inputHeight: 8, inputWidth: 8)
        #expect(published.predictorLearningRateScale == 1)
        // One network each: SimSiam has a bottleneck predictor, neither has a target.
        var small = simsiam
        small.width = 2
        small.hiddenSize = 16
        let networks = ContrastiveNetworks(configuration: small)
        #expect(networks.targetBackbone == nil && networks.predictor?.first.weight.shape == [64, 256])
        #expect(ContrastiveNetworks(configuration: barlow).predictor == nil)
    }

    /// Sets of 6,144 images and more train in batches of 256, except BYOL, which learns from
    /// steps on every set (64); the user's batch wins either way.
    @Test func byolTrainsInBatchesOf64OnLargeSetsToo() throws {
        let large = ImageDataset(name: "large", count: 7000, channels: 1, height: 8, width: 8,
                                 pixels: (0..<(7000 * 64)).map { UInt8($0 % 251) })
        #expect(try TrainingConfiguration.cpuDefault(paradigm: .infonce, for: large, minutes: 1).batchSize == 256)
        #expect(try TrainingConfiguration.cpuDefault(paradigm: .simsiam, for: large, minutes: 1).batchSize == 256)
        let byol = try TrainingConfiguration.cpuDefault(paradigm: .byol, for: large, minutes: 1)
        #expect(byol.batchSize == 64)
        #expect(byol.learningRate == 10 * TrainingConfiguration.baseLearningRate * 64 / 256)
        var overrides = TrainingOverrides()
        overrides.paradigm = .byol
        overrides.batchSize = 256
        #expect(try overrides.configuration(for: large).batchSize == 256)
    }

    /// Grey images are not flipped (a mirrored character can be another one); colour
    /// photographs keep the paper's flips; the user's choice wins either way.
    @Test func onlyColourImagesAreFlipped() throws {
        let grey = try embeddedDigits()
        let colour = ImageDataset(name: "colour", count: 300, channels: 3, height: 8, width: 8,
                                  pixels: (0..<(300 * 3 * 64)).map { UInt8($0 % 251) })
        #expect(try TrainingConfiguration.cpuDefault(for: grey, minutes: 1).augmentation.flipProbability == 0)
        #expect(try TrainingConfiguration.cpuDefault(for: colour, minutes: 1).augmentation.flipProbability == 0.5)
        var overrides = TrainingOverrides()
        overrides.flipProbability = 0.5
        #expect(try overrides.configuration(for: grey).augmentation.flipProbability == 0.5)
    }
}
