import ContrastiveLearning
import Datasets
import Foundation
import Testing
import TensorCore

/// An image's features averaged over augmented views of it (`EmbeddingViews`).
@Suite struct EmbeddingViewsTests {
    let digits: ImageDataset
    let configuration: TrainingConfiguration
    let networks: ContrastiveNetworks
    let normalization: Normalization

    init() throws {
        digits = try embeddedDigits().subset(Array(0..<40))
        configuration = tinyConfiguration(digits)
        networks = ContrastiveNetworks(configuration: configuration)
        normalization = Normalization(of: digits)
    }

    func views(_ count: Int, settings: AugmentationSettings? = nil) throws -> EmbeddingViews {
        EmbeddingViews(augmenter: try Augmenter(dataset: digits, settings: settings ?? configuration.augmentation,
                                                normalization: normalization, seed: configuration.seed),
                       count: count)
    }

    /// Each row is the normalised sum of the image's own features and its views', every view
    /// drawn as `Augmenter` draws view v of the image in `EmbeddingViews.epoch`.
    @Test func eachRowIsTheNormalisedSumOfTheImageAndItsViews() throws {
        let averaged = try views(3)
        let rows = networks.embed(digits, normalization: normalization, views: averaged, batchSize: 16)
        let columns = configuration.projectionSize
        #expect(rows.count == digits.count * columns)
        let plain = networks.embed(digits, normalization: normalization)
        for index in [0, 17, 39] {
            var sum = Array(plain[(index * columns)..<((index + 1) * columns)])
            for view in 0..<3 {
                let pixels = averaged.augmenter.view(index: index, epoch: EmbeddingViews.epoch, view: view)
                let image = Tensor(shape: [1, 1, digits.height, digits.width], scalars: pixels)
                let features = networks.embed(images: image).scalars
                for c in 0..<columns { sum[c] += features[c] }
            }
            let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for c in 0..<columns {
                #expect(abs(rows[index * columns + c] - sum[c] / norm) < 1e-5, "image \(index), column \(c)")
            }
        }
    }

    @Test func rowsAreUnitVectorsDrawnTheSameEachTime() throws {
        let first = networks.embed(digits, normalization: normalization, views: try views(4))
        let second = networks.embed(digits, normalization: normalization, views: try views(4))
        #expect(first == second, "the views come from the run's seed")
        let columns = configuration.projectionSize
        for row in 0..<digits.count {
            let norm = first[(row * columns)..<((row + 1) * columns)].reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-5)
        }
        let plain = networks.embed(digits, normalization: normalization)
        let moved = zip(first, plain).map { abs($0 - $1) }.max() ?? 0
        #expect(moved > 1e-3, "crops of 30-100% move the features")
    }

    /// Progress comes after each batch, in images, up to the whole set.
    @Test func progressCountsImages() throws {
        final class Heard: @unchecked Sendable {
            let lock = NSLock()
            var events: [[Int]] = []
        }
        let heard = Heard()
        _ = networks.embed(digits, normalization: normalization, views: try views(2), batchSize: 16) { done, total in
            heard.lock.withLock { heard.events.append([done, total]) }
        }
        #expect(heard.events == [[16, 40], [32, 40], [40, 40]])
    }

    /// Views that change nothing (the whole image, no jitter) leave the embedding as it was,
    /// and no views is the plain embedding bit for bit.
    @Test func viewsThatChangeNothingLeaveTheEmbedding() throws {
        let plain = networks.embed(digits, normalization: normalization)
        let averaged = networks.embed(digits, normalization: normalization, views: try views(5, settings: AugmentationSettings.none))
        #expect(zip(plain, averaged).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(networks.embed(digits, normalization: normalization, views: try views(0)) == plain)
    }

    /// Views keep the training's augmentations, with crops of at least the floor.
    @Test func viewsCropNoHarderThanTheFloor() {
        var training = AugmentationSettings()
        training.cropScale = 0.3...1
        training.rotation = 15
        var expected = training
        expected.cropScale = EmbeddingViews.cropFloor...1
        #expect(EmbeddingViews.viewSettings(from: training) == expected)
        training.cropScale = 0.8...1
        #expect(EmbeddingViews.viewSettings(from: training) == training, "a higher floor of the training's is kept")
        training.cropScale = 0.1...0.4
        #expect(EmbeddingViews.viewSettings(from: training).cropScale == 0.4...0.4, "never above the training's largest crop")
    }

    @Test func aCountOutOfRangeIsNamed() throws {
        try EmbeddingViews.validate(count: 0)
        try EmbeddingViews.validate(count: EmbeddingViews.maximumCount)
        for count in [-1, EmbeddingViews.maximumCount + 1] {
            #expect {
                try EmbeddingViews.validate(count: count)
            } throws: { error in
                guard case let TrainingError.invalidSetting(name, value, expected) = error else { return false }
                return name == "embedding views" && value == "\(count)" && expected.contains("0...")
            }
        }
        // Checked before the checkpoint is read.
        #expect {
            try embed(checkpoint: URL(fileURLWithPath: "/nonexistent/checkpoint.safetensors"), dataset: digits, views: -1)
        } throws: { error in
            guard case let TrainingError.invalidSetting(name, _, _) = error else { return false }
            return name == "embedding views"
        }
    }
}
