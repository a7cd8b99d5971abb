// Views at embedding time: an image's features averaged over augmented views of it.
import Datasets

/// The augmented views an image's embedding is averaged over: each image's row becomes the
/// normalised sum of its own L2-normalised features and those of `count` views drawn as the
/// training drew its own (the run's augmentation settings and seed), except that each view
/// keeps at least `cropFloor` of the image.
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

    /// The least share of the image a view's crop keeps. Training crops harder (30% on small
    /// images) to make its task hard; averaged, such crops blur what tells classes apart
    /// (docs/embedding-views.md: floors of 0.3, 0.6, 0.8 and 1 measured on every set).
    public static let cropFloor: Float = 0.6

    /// The training's augmentation settings with their crops raised to `cropFloor` (or to
    /// the training's own upper bound, when that is lower).
    public static func viewSettings(from training: AugmentationSettings) -> AugmentationSettings {
        var settings = training
        let upper = training.cropScale.upperBound
        settings.cropScale = min(max(training.cropScale.lowerBound, cropFloor), upper)...upper
        return settings
    }

    /// How many views `nrcc run` and `nrcc embed` average over unless told otherwise: 8 for
    /// BYOL, whose embeddings come out of a CPU budget in the most pieces, and for any
    /// paradigm when the number of clusters is given; none otherwise. Measured on every set at
    /// hand (docs/embedding-views.md): without k BYOL + NRCC's default trainings gain 8 points
    /// on the digits and USPS, stay level on COIL-20 and the CIFAR-10 subset and lose 2 on
    /// Fashion-MNIST (inside its layouts' spread), while InfoNCE's stay level on the digits
    /// and lose 3 on COIL-20 and Fashion-MNIST; with k (UMAP + k-means) 16 trainings of 18
    /// gain and none loses more than 0.3 points.
    public static func defaultCount(for paradigm: Paradigm, clusterCountGiven: Bool = false) -> Int {
        paradigm == .byol || clusterCountGiven ? 8 : 0
    }

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
