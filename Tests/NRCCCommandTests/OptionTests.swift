import ArgumentParser
import Foundation
import ContrastiveLearning
import Datasets
import NRCCCommand
import Testing

/// The command line: options reach the library's resolution, and help lists the commands.
@Suite struct OptionTests {
    @Test func widthAndMinutesTogetherSizeEpochsForThatWidth() throws {
        let digits = try embeddedDigits()
        let options = try TrainingOptions.parse(["--width", "64", "--minutes", "20"])
        let configuration = try options.configuration(for: digits)
        #expect(configuration.width == 64)
        var expected = configuration
        expected.fitEpochs(toMinutes: 20, imageCount: digits.count)
        #expect(configuration.epochs == expected.epochs)
        let narrow = try TrainingOptions.parse(["--minutes", "20"]).configuration(for: digits)
        #expect(configuration.epochs < narrow.epochs)
    }

    @Test func aNegativeNumberIsAValueNamedInTheError() throws {
        let options = try TrainingOptions.parse(["--epochs", "-5"])
        #expect {
            _ = try options.configuration(for: try embeddedDigits())
        } throws: { error in
            error is ValidationError && "\(error)".contains("epochs") && "\(error)".contains("-5")
        }
    }

    /// An option that only the regularizer reads, given while the regularizer is off, would
    /// change nothing: it is refused, saying how to turn the regularizer on.
    @Test func regularizerOptionsNeedTheRegularizer() throws {
        let digits = try embeddedDigits()
        for (arguments, why) in [(["--sghmc-steps", "3"], "off by default for InfoNCE"),
                                 (["--paradigm", "byol", "--nrcc", "off", "--lambda", "0.2"], "--nrcc off")] {
            #expect {
                _ = try TrainingOptions.parse(arguments).configuration(for: digits)
            } throws: { error in
                let text = "\(error)"
                return error is ValidationError && text.contains(arguments[arguments.count - 2])
                    && text.contains(why) && text.contains("--nrcc on")
            }
        }
        #expect(try TrainingOptions.parse(["--sghmc-steps", "3", "--nrcc", "on"]).configuration(for: digits).sghmc.steps == 3)
        #expect(try TrainingOptions.parse(["--paradigm", "byol", "--lambda", "0.2"]).configuration(for: digits)
            .regularizer.weight == 0.2)
        // The ablation sets the regularizer per row: its options are kept for the NRCC rows.
        #expect(try TrainingOptions.parse(["--sghmc-steps", "3"]).validatedOverrides(for: digits).sghmcSteps == 3)
    }

    @Test func everyOptionOfTheLibraryIsReachable() throws {
        let options = try TrainingOptions.parse([
            "--paradigm", "byol", "--nrcc", "off", "--depth", "34", "--batch-size", "32", "--flip", "0",
            "--sghmc-steps", "3", "--target-momentum", "0.99", "--training-seed", "9",
        ])
        let overrides = options.overrides
        #expect(overrides.paradigm == .byol && overrides.usesRegularizer == false && overrides.depth == 34)
        #expect(overrides.batchSize == 32 && overrides.flipProbability == 0 && overrides.sghmcSteps == 3)
        #expect(overrides.targetMomentum == 0.99 && overrides.seed == 9)

        let barlow = try TrainingOptions.parse(["--paradigm", "barlowtwins", "--redundancy-weight", "0.01"])
        #expect(barlow.overrides.paradigm == .barlowtwins && barlow.overrides.redundancyWeight == 0.01)
        let digits = try embeddedDigits()
        #expect(try barlow.configuration(for: digits).redundancyWeight == 0.01)
        // Barlow Twins' lambda on another paradigm is a usage error, not ignored.
        let misplaced = try TrainingOptions.parse(["--paradigm", "simsiam", "--redundancy-weight", "0.01"])
        #expect(throws: ValidationError.self) { try misplaced.configuration(for: digits) }
        _ = try NRCC.parseAsRoot(["ablation", "--paradigms", "simsiam", "barlowtwins"])
        #expect(throws: (any Error).self) { _ = try NRCC.parseAsRoot(["ablation", "--paradigms", "simclr"]) }
    }

    @Test func assignRefusesARunFolderThatIsNotThereWithoutCreatingIt() {
        let missing = "/tmp/nrcc-option-tests-no-run-\(UInt32.random(in: 0...UInt32.max))"
        #expect {
            _ = try NRCC.parseAsRoot(["assign", "--run", missing, "digits", "--output", missing + "-out"])
        } throws: { error in
            "\(NRCC.message(for: error))".contains("no such folder")
        }
        #expect(!FileManager.default.fileExists(atPath: missing))
        #expect(throws: (any Error).self) {
            _ = try NRCC.parseAsRoot(["assign", "--run", "/tmp", "digits", "--output", "/tmp"])
        }
    }

    /// Every command that reads a named dataset takes its split; `nrcc run` can leave out the pixels.
    @Test func splitsAndThePixelBaselineAreReachable() throws {
        for command in [["train"], ["embed", "--checkpoint", "c.safetensors"], ["run"], ["cluster", "usps"]] {
            _ = try NRCC.parseAsRoot(command + ["--split", "test"])
        }
        _ = try NRCC.parseAsRoot(["run", "--no-pixel-baseline"])
        for source in ["auto", "embedding", "pixels"] { _ = try NRCC.parseAsRoot(["run", "--clusters-from", source]) }
        #expect(throws: (any Error).self) { _ = try NRCC.parseAsRoot(["run", "--clusters-from", "both"]) }
        #expect(throws: (any Error).self) { _ = try NRCC.parseAsRoot(["embed", "--checkpoint", "c", "--split", "validation"]) }
    }

    @Test func helpListsEveryCommand() {
        let help = NRCC.helpMessage()
        for command in ["run", "train", "embed", "cluster", "assign", "ablation"] {
            #expect(help.contains(command), "help lacks \(command)")
        }
    }
}
