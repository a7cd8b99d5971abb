// Views at embedding time: an image's features averaged over augmented views of it.
import Datasets

/// The augmented views an image's embedding is averaged over: each image's row becomes the
/// normalised sum of its own L2-normalised features and those of `count` views drawn as the
/// training drew its own (the run's augmentation settings and seed).
///
/// Instance discrimination holds every image apart, and a class can come out of training as
/// several groups that differ in what the augmentations vary (a one with and without its
/// base, a two's loop): an image's mean over its views lies nearer the middle of what the
/// network considers the same picture.
public struct EmbeddingViews: Sendable {
    /// Makes the views.
    public let augmenter: Augmenter
    /// How many views per image, besides the image itself.
    public let count: Int

    public init(augmenter: Augmenter, count: Int) {
        self.augmenter = augmenter
        self.count = count
    }

    /// How many views `nrcc run` and `nrcc embed` average over unless told otherwise.
    public static let defaultCount = 0

    /// The most views an image may be averaged over.
    public static let maximumCount = 256

    /// The epoch the views are drawn for: beyond any training's (at most
    /// `TrainingConfiguration.maximumEpochs`), so that no view repeats one trained on.
    public static let epoch = Int(UInt32.max)

    /// Throws `TrainingError.invalidSetting` unless `count` is in 0...maximumCount.
    public static func validate(count: Int) throws {
        guard (0...maximumCount).contains(count) else {
            throw TrainingError.invalidSetting(
                name: "embedding views", value: "\(count)",
                expected: "a count in 0...\(maximumCount) (0: each image alone, as the paper embeds)")
        }
    }
}
