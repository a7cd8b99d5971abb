import Datasets
import Foundation
import NeuralNetworks
import Testing
import TestSupport
import ContrastiveLearning

/// Settings, checkpoints and datasets that used to trap (issue 19) now throw an error that
/// names the setting or file, the value and what is allowed, before any work.
@Suite struct CrashRegressionTests {
    /// A small valid configuration for 8x8 grey images.
    func smallConfiguration() -> TrainingConfiguration {
        var configuration = TrainingConfiguration(paradigm: .infonce, inputChannels: 1, inputHeight: 8, inputWidth: 8,
                                                  width: 2, batchSize: 32, epochs: 2, seed: 1)
        configuration.hiddenSize = 16
        configuration.projectionSize = 16
        configuration.warmupEpochs = 0
        configuration.monitorSampleCount = 0
        return configuration
    }

    /// A fresh folder under the tests' scratch folder.
    func scratchFolder() throws -> URL {
        try ScratchFolders.uniqueFolder("crash-regression")
    }

    /// `name` and `found` of the `invalidSetting` that `body` throws, nil for anything else.
    func invalidSetting(_ body: () throws -> Void) -> (name: String, expected: String, found: String)? {
        do { try body() } catch let TrainingError.invalidSetting(name, found, expected) {
            return (name, expected, found)
        } catch { return nil }
        return nil
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity, 0, -1, 7 * 24 * 60 + 1])
    func minutesOutsideAWeekThrow(minutes: Double) throws {
        let expected = TrainingError.invalidSetting(
            name: "minutes", value: "\(minutes)", expected: "a finite number of minutes in (0, 10080] (at most a week)")
        #expect(throws: expected) { try TrainingConfiguration.validate(minutes: minutes) }
        let digits = try embeddedDigits()
        #expect(throws: expected) { _ = try TrainingConfiguration.cpuDefault(for: digits, minutes: minutes) }
    }

    /// The longest budget on the smallest set still gives a valid epoch count (at most the ceiling).
    @Test func aWeekOnATinySetStaysUnderTheEpochCeiling() throws {
        let tiny = try embeddedDigits().subset([0, 1, 2, 3])
        let configuration = try TrainingConfiguration.cpuDefault(for: tiny, minutes: TrainingConfiguration.maximumMinutes)
        #expect(configuration.epochs == TrainingConfiguration.maximumEpochs)
        try configuration.validate()
    }

    @Test func emptyDatasetThrowsBeforeEpochsAreDerived() throws {
        let empty = try embeddedDigits().subset([])
        #expect(throws: TrainingError.incompatibleDataset(expected: "at least 2 images (batch statistics need two)",
                                                          found: "0 in digits")) {
            _ = try TrainingConfiguration.cpuDefault(for: empty, minutes: 3)
        }
    }

    @Test(arguments: [Int.max, 1_000_001])
    func epochsAboveTheCeilingThrow(epochs: Int) throws {
        var configuration = smallConfiguration()
        configuration.epochs = epochs
        #expect(throws: TrainingError.invalidSetting(name: "epochs", value: "\(epochs)", expected: "<= 1000000")) {
            try configuration.validate()
        }
    }

    @Test(arguments: [Int.max, 100_000, 257])
    func widthAboveTheCeilingThrows(width: Int) throws {
        var configuration = smallConfiguration()
        configuration.width = width
        configuration.hiddenSize = TrainingConfiguration.hiddenSize(width: width)  // saturates, does not trap
        let setting = try #require(invalidSetting { try configuration.validate() })
        #expect(setting.name == "width" && setting.found == "\(width)")
        #expect(setting.expected.hasPrefix("<= 256"), "\(setting.expected)")
        #expect(TrainingConfiguration.hiddenSize(width: 16) == 1024)
    }

    @Test func otherAbsurdValuesThrowWithTheirName() throws {
        var configuration = smallConfiguration()
        configuration.temperature = .infinity
        #expect(invalidSetting { try configuration.validate() }?.name == "temperature (tau)")
        configuration = smallConfiguration()
        configuration.weightDecay = .infinity
        #expect(invalidSetting { try configuration.validate() }?.name == "weightDecay")
        configuration = smallConfiguration()
        configuration.batchSize = Int.max
        #expect(throws: TrainingError.invalidSetting(name: "batchSize", value: "\(Int.max)", expected: "<= 65536")) {
            try configuration.validate()
        }
        configuration = smallConfiguration()
        configuration.sghmc.steps = Int.max
        #expect(throws: TrainingError.invalidSetting(name: "sghmc.steps (zeta)", value: "\(Int.max)", expected: "<= 100")) {
            try configuration.validate()
        }
        configuration = smallConfiguration()
        configuration.clusterHead = ClusterHeadSettings(size: 1 << 40)
        #expect(throws: TrainingError.invalidSetting(name: "cluster head size K", value: "\(1 << 40)", expected: "<= 4096")) {
            try configuration.validate()
        }
        configuration = smallConfiguration()
        configuration.projectionSize = 1 << 40
        #expect(invalidSetting { try configuration.validate() }?.name == "projectionSize")
    }

    /// A checkpoint whose metadata records width 100,000 (about 360 GB of parameters) is
    /// refused before any network is built.
    @Test func checkpointWithAbsurdWidthIsRefusedBeforeBuilding() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var configuration = smallConfiguration()
        configuration.width = 100_000
        configuration.hiddenSize = TrainingConfiguration.hiddenSize(width: 100_000)
        configuration.normalization = .identity(channels: 1)
        let url = folder.appendingPathComponent("crafted.safetensors")
        try Checkpoint(metadata: ["configuration": String(decoding: try configuration.jsonData(), as: UTF8.self)]).write(to: url)
        do {
            _ = try ContrastiveNetworks.load(checkpoint: url)
            Issue.record("a checkpoint of width 100000 loaded")
        } catch let TrainingError.checkpoint(file, reason) {
            #expect(file == url.path)
            #expect(reason.contains("width") && reason.contains("100000") && reason.contains("<= 256"), "\(reason)")
        }
    }

    /// A resumed checkpoint whose completed_epochs is out of range throws before training.
    @Test func resumeWithCraftedEpochCountThrows() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let digits = try embeddedDigits().subset(Array(0..<64))
        let trainer = try Trainer(configuration: smallConfiguration(), dataset: digits, outputDirectory: folder)
        let settings = String(decoding: try trainer.configuration.jsonData(), as: UTF8.self)
        for completed in ["-5", "\(Int.max)"] {
            try Checkpoint(metadata: ["configuration": settings, "completed_epochs": completed]).write(to: trainer.checkpointURL)
            do {
                try trainer.run(resume: true)
                Issue.record("completed_epochs \(completed) resumed")
            } catch let TrainingError.checkpoint(file, reason) {
                #expect(file == trainer.checkpointURL.path)
                #expect(reason.contains("completed_epochs \(completed)") && reason.contains("0...2"), "\(reason)")
            }
        }
    }

    /// An IDX images file of shape 0 x 8 x 8 is refused by the reader.
    @Test func idxFileOfNoImagesThrows() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("empty-images-idx3-ubyte").path
        try Data(idxBytes(IDXArray(shape: [0, 8, 8], values: []))).write(to: URL(fileURLWithPath: path))
        #expect(throws: DatasetError.tooFewImages(file: path, expected: 1, found: 0)) {
            try readIDXImages(images: path)
        }
        #expect(throws: DatasetError.tooFewImages(file: path, expected: 1, found: 0)) {
            try loadImageDataset(path)
        }
        let message = DatasetError.tooFewImages(file: path, expected: 1, found: 0).description
        #expect(message.contains(path) && message.contains("holds 0 images") && message.contains("at least 1"), "\(message)")
    }

    /// A checkpoint whose weights are NaN gives an error naming it, not all-NaN embeddings.
    @Test func embeddingWithNonFiniteWeightsThrows() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let digits = try embeddedDigits().subset(Array(0..<64))
        var configuration = smallConfiguration()
        configuration.epochs = 1
        let trainer = try Trainer(configuration: configuration, dataset: digits, outputDirectory: folder)
        try trainer.run()
        var checkpoint = try Checkpoint(contentsOf: trainer.checkpointURL)
        for (name, entry) in checkpoint.entries where !name.hasPrefix("optimizer") {
            if case let .float32(values) = entry.values {
                checkpoint.entries[name]?.values = .float32(values.map { _ in .nan })
            }
        }
        try checkpoint.write(to: trainer.checkpointURL)
        #expect(throws: TrainingError.nonFiniteEmbedding(file: trainer.checkpointURL.path, images: 64)) {
            _ = try embed(checkpoint: trainer.checkpointURL, dataset: digits)
        }
    }
}
