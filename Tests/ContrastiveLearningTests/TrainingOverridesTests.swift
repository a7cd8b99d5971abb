import ContrastiveLearning
import Datasets
import NeuralNetworks
import TensorCore
import Testing

/// Options are resolved in one place, every override before the budget becomes epochs.
@Suite struct TrainingOverridesTests {
    @Test func theBudgetIsSizedForTheNetworkAskedFor() throws {
        let digits = try embeddedDigits()
        var narrow = TrainingOverrides()
        narrow.minutes = 20
        var wide = narrow
        wide.width = 64
        let narrowConfiguration = try narrow.configuration(for: digits)
        let wideConfiguration = try wide.configuration(for: digits)
        #expect(wideConfiguration.width == 64)
        var expected = wideConfiguration
        expected.fitEpochs(toMinutes: 20, imageCount: digits.count)
        #expect(wideConfiguration.epochs == expected.epochs)
        // Width 64 does 16 times the work of width 16 per image: a sixteenth of the epochs.
        #expect(wideConfiguration.epochs < narrowConfiguration.epochs / 10)
        #expect(wideConfiguration.warmupEpochs == Double(wideConfiguration.epochs) / 10)
    }

    /// fp32 leaves no trace in `settings.json` (runs before the option keep their fingerprints),
    /// bf16 is recorded and reaches the network's convolutions, `auto` trains in fp32 (no kernel
    /// makes bf16 faster), and a ViT refuses bf16.
    @Test func precisionIsRecordedOnlyWhenItIsBF16() throws {
        let digits = try embeddedDigits()
        var overrides = TrainingOverrides()
        overrides.epochs = 1
        for choice: PrecisionChoice? in [nil, .fp32, .auto] {
            overrides.precision = choice
            let configuration = try overrides.configuration(for: digits)
            #expect(configuration.precision == nil && configuration.arithmeticPrecision == .fp32)
            #expect(!String(decoding: try configuration.jsonData(), as: UTF8.self).contains("precision"))
        }
        overrides.precision = .bf16
        let configuration = try overrides.configuration(for: digits)
        #expect(configuration.arithmeticPrecision == .bf16)
        #expect(String(decoding: try configuration.jsonData(), as: UTF8.self).contains("\"precision\" : \"bf16\""))
        let networks = ContrastiveNetworks(configuration: configuration)
        #expect((networks.backbone as? ResNet)?.conv1.precision == .bf16)
        overrides.backbone = .vitTiny
        #expect(throws: TrainingError.self) { try overrides.configuration(for: digits) }
    }

    @Test func moreSGHMCStepsAndADeeperNetworkCostMore() throws {
        let digits = try embeddedDigits()
        var base = TrainingOverrides()
        base.minutes = 10
        base.usesRegularizer = true // SGHMC steps cost only with the regularizer on
        var steps = base
        steps.sghmcSteps = 5
        var deep = base
        deep.depth = 34
        let epochs = try [base, steps, deep].map { try $0.configuration(for: digits).epochs }
        #expect(epochs[1] < epochs[0] && epochs[2] < epochs[0])
    }

    @Test func givenEpochsWinOverTheBudgetAndTheBatchScalesTheRate() throws {
        let digits = try embeddedDigits()
        var overrides = TrainingOverrides()
        overrides.epochs = 7
        overrides.minutes = 500
        overrides.batchSize = 128
        let configuration = try overrides.configuration(for: digits)
        #expect(configuration.epochs == 7)
        #expect(configuration.learningRate == TrainingConfiguration.learningRate(
            base: TrainingConfiguration.cpuBaseLearningRate(paradigm: .infonce), batchSize: 128))
    }

    @Test(arguments: [(Float(0), "crop scale"), (Float(1.5), "crop scale"), (Float(-5), "rotation"),
                      (Float(200), "rotation"), (Float.nan, "rotation")])
    func anAugmentationOutOfRangeIsNamed(value: Float, name: String) throws {
        var overrides = TrainingOverrides()
        if name == "rotation" { overrides.rotation = value } else { overrides.cropScale = value }
        #expect {
            _ = try overrides.configuration(for: try embeddedDigits())
        } throws: { error in
            guard case let TrainingError.invalidSetting(found, _, _) = error else { return false }
            return found == name
        }
    }
}
