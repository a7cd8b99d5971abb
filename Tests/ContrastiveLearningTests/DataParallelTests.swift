import Basics
import ContrastiveLearning
import Datasets
import Foundation
import Testing

/// BYOL without the regularizer on 256 digits, batch 64 (4 steps an epoch), 2 epochs: a loss
/// that is a mean over samples, so that ranks' averaged gradients are the global batch's.
private func equivalenceConfiguration(_ dataset: ImageDataset) -> TrainingConfiguration {
    var configuration = TrainingConfiguration(paradigm: .byol, usesRegularizer: false,
                                              inputChannels: 1, inputHeight: dataset.height, inputWidth: dataset.width,
                                              width: 4, batchSize: 64, epochs: 2, seed: 11)
    configuration.hiddenSize = 32
    configuration.projectionSize = 16
    configuration.learningRate = 0.05
    configuration.warmupEpochs = 0.5
    configuration.monitorSampleCount = 0
    configuration.augmentation.cropScale = 0.3...1
    return configuration
}

/// The largest difference between two checkpoints' tensors (online and target networks,
/// running statistics included), and the largest magnitude in the first.
private func largestDifference(_ a: URL, _ b: URL) throws -> (difference: Float, magnitude: Float) {
    let first = try ContrastiveNetworks.load(checkpoint: a).networks.namedState
    let second = try ContrastiveNetworks.load(checkpoint: b).networks.namedState
    #expect(first.map(\.name) == second.map(\.name))
    var difference: Float = 0, magnitude: Float = 0
    for (x, y) in zip(first, second) where !x.isCounter {
        for (u, v) in zip(x.tensor.scalars, y.tensor.scalars) {
            difference = max(difference, abs(u - v))
            magnitude = max(magnitude, abs(u))
        }
    }
    return (difference, magnitude)
}

/// `configuration` trained by `ranks` threads as ranks (rank 0 writes into `directory`).
private func trainAsRanks(_ configuration: TrainingConfiguration, on dataset: ImageDataset, ranks: Int,
                          into directory: URL) throws {
    try ThreadRanks(size: ranks).run { rank in
        if rank.rank == 0 {
            try Trainer(configuration: configuration, dataset: dataset, outputDirectory: directory, collective: rank).run()
            Trainer.releaseFollowers(rank)
        } else {
            try Trainer(configuration: configuration, dataset: dataset, outputDirectory: directory, collective: rank).follow()
        }
    }
}

@Suite(.serialized) struct DataParallelTests {
    /// Two ranks of 32 rows with synchronised batch norm take the steps of one process with
    /// batches of 64: the weights after 8 steps agree within float reduction error (the sums
    /// run over other shards). With each rank's own statistics they do not.
    @Test func twoRanksWithSynchronizedBatchNormMatchOneProcess() throws {
        let digits = try embeddedDigits().subset(Array(0..<256))
        let single = equivalenceConfiguration(digits)
        var synchronized = single
        synchronized.dataParallelism = DataParallelism(processCount: 2, synchronizesBatchNorm: true)
        var local = single
        local.dataParallelism = DataParallelism(processCount: 2, synchronizesBatchNorm: false)
        let alone = temporaryDirectory("parallel-one"), together = temporaryDirectory("parallel-sync"),
            apart = temporaryDirectory("parallel-local")
        defer { for url in [alone, together, apart] { try? FileManager.default.removeItem(at: url) } }

        let history = try Trainer(configuration: single, dataset: digits, outputDirectory: alone).run()
        try trainAsRanks(synchronized, on: digits, ranks: 2, into: together)
        try trainAsRanks(local, on: digits, ranks: 2, into: apart)

        let checkpoint = "checkpoint.safetensors"
        let (difference, magnitude) = try largestDifference(alone.appendingPathComponent(checkpoint),
                                                            together.appendingPathComponent(checkpoint))
        let tolerance: Float = 1e-4 * max(1, magnitude)
        #expect(difference <= tolerance, "synchronised: weights differ by \(difference), tolerance \(tolerance)")
        let (localDifference, _) = try largestDifference(alone.appendingPathComponent(checkpoint),
                                                         apart.appendingPathComponent(checkpoint))
        #expect(localDifference > 10 * tolerance, "local statistics: weights differ by only \(localDifference)")

        // Rank 0's log: the global throughput and the ranks' mean loss, and what averaging cost.
        let log = try String(contentsOf: together.appendingPathComponent("training.jsonl"), encoding: .utf8)
        let lines = try log.split(separator: "\n").map { try JSONDecoder().decode(EpochMonitors.self, from: Data($0.utf8)) }
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.processCount == 2 && ($0.allreduceBytesPerStep ?? 0) > 0 })
        #expect(history.allSatisfy { $0.processCount == nil && $0.allreduceBytesPerStep == nil })
        if let last = lines.last, let reference = history.last {
            #expect(abs(last.loss - reference.loss) <= 1e-3 * max(1, abs(reference.loss)),
                    "mean loss \(last.loss) on two ranks, \(reference.loss) on one")
        }
    }

    /// A checkpoint of one process cannot be resumed by two: the error names both counts.
    @Test func resumeWithAnotherProcessCountIsRefused() throws {
        let digits = try embeddedDigits().subset(Array(0..<128))
        var configuration = equivalenceConfiguration(digits)
        configuration.epochs = 1
        let directory = temporaryDirectory("parallel-resume")
        defer { try? FileManager.default.removeItem(at: directory) }
        try Trainer(configuration: configuration, dataset: digits, outputDirectory: directory).run()

        configuration.epochs = 2
        configuration.dataParallelism = DataParallelism(processCount: 2, synchronizesBatchNorm: true)
        let rank = ThreadRanks(size: 2).rank(0)
        let trainer = try Trainer(configuration: configuration, dataset: digits, outputDirectory: directory, collective: rank)
        #expect(throws: TrainingError.processCountMismatch(file: trainer.checkpointURL.path, trained: 1, running: 2)) {
            try trainer.run(resume: true, extending: true)
        }
        #expect("\(TrainingError.processCountMismatch(file: "c", trained: 2, running: 1))".contains("mpirun -np 2"))
    }

    /// The ranks must share each batch evenly, two rows at least; and a trainer refuses a
    /// collective of another size than its settings'.
    @Test func processCountIsValidated() throws {
        let digits = try embeddedDigits().subset(Array(0..<128))
        var configuration = equivalenceConfiguration(digits)
        configuration.batchSize = 63
        configuration.dataParallelism = DataParallelism(processCount: 2, synchronizesBatchNorm: false)
        #expect(throws: TrainingError.self) { try configuration.validate() }
        configuration.batchSize = 64
        configuration.dataParallelism = DataParallelism(processCount: 64, synchronizesBatchNorm: false)
        #expect(throws: TrainingError.self) { try configuration.validate() }
        configuration.dataParallelism = DataParallelism(processCount: 2, synchronizesBatchNorm: false)
        try configuration.validate()
        #expect(throws: TrainingError.self) {
            try Trainer(configuration: configuration, dataset: digits, outputDirectory: temporaryDirectory("unused"))
        }
    }

    /// One process's settings are written as before: no key for data parallelism.
    @Test func oneProcessSettingsHaveNoDataParallelismKey() throws {
        let digits = try embeddedDigits().subset(Array(0..<128))
        let text = String(decoding: try equivalenceConfiguration(digits).jsonData(), as: UTF8.self)
        #expect(!text.contains("dataParallelism"))
        var overrides = TrainingOverrides()
        overrides.processCount = 2
        overrides.synchronizesBatchNorm = true
        overrides.epochs = 1
        #expect(try overrides.configuration(for: digits).dataParallelism
                == DataParallelism(processCount: 2, synchronizesBatchNorm: true))
    }
}
