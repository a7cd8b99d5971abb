import ContrastiveLearning
import Datasets
import Foundation
import Reporting
import Basics
import TensorCore

/// The paper's Figure 2 for a trained run: SGHMC views x^c beside the views x^a they start
/// from, made by the run's own target backbone and SGHMC settings.
///
/// `count` samples spread evenly over the dataset; their two augmented views of epoch 0 play
/// x^a (the seeds) and x^b (the references of the energy), as in a training step.
func sghmcViewPairs(checkpoint: URL, dataset: ImageDataset, count: Int = 8) throws -> [ViewPair] {
    let (networks, configuration) = try ContrastiveNetworks.load(checkpoint: checkpoint)
    guard let normalization = configuration.normalization, dataset.count >= 2 else { return [] }
    let count = min(count, dataset.count)
    let indices = (0..<count).map { $0 * dataset.count / count }
    let augmenter = try Augmenter(
        dataset: dataset, settings: configuration.augmentation, normalization: normalization, seed: configuration.seed)
    let seeds = augmenter.batch(indices, epoch: 0, view: 0)
    let references = augmenter.batch(indices, epoch: 0, view: 1)
    let shape = [count, dataset.channels, dataset.height, dataset.width]
    let backbone = networks.targetBackbone ?? networks.backbone
    let referenceFeatures = withoutGradient {
        backbone(Tensor(shape: shape, scalars: references.pixels), mode: .trainingWithoutStatisticsUpdate)
    }
    var generator = SeededGenerator(seed: configuration.seed, stream: [0x4649_4732])  // "FIG2"
    let settings = sampling(configuration.sghmc)
    let views = sghmcViews(
        seeds: Tensor(shape: shape, scalars: seeds.pixels), referenceFeatures: referenceFeatures,
        backbone: backbone, settings: settings, generator: &generator)
    let viewBatch = ImageBatch(
        count: count, channels: dataset.channels, height: dataset.height, width: dataset.width,
        pixels: views.scalars, indices: indices)
    return try (0..<count).map { index in
        ViewPair(original: try seeds.pngBytes(ofImage: index, normalization: normalization),
                 view: try viewBatch.pngBytes(ofImage: index, normalization: normalization))
    }
}

/// The paper's Tables 1 and 13 for a trained run: how far each of `count` images (spread
/// evenly over the dataset) lies, in the run's embedding, from a view of it made by one
/// transformation alone. The rows: the paper's four augmentations at the run's own settings
/// (colour jitter, which on grey images is brightness and contrast; grey scale, on colour
/// images; the horizontal flip; the random resized crop), the run's whole augmentation (what
/// a positive view is), and SGHMC after each of `sghmcSteps` steps of one chain.
///
/// SGHMC starts from the image itself rather than from an augmented view, as in training, so
/// that every row measures its transformation alone; the energy's references x^b are the
/// run's augmented views of the same images, up to the run's batch size at a time as in a
/// training step, and the target backbone sees batch statistics without updating them.
///
/// - Parameters:
///   - count: images measured; nil: up to 512, fewer where the cost model says the chain over
///     them would take more than about half a minute (64 at least).
///   - variant: the sampler's update rule; nil: the run's (SGHMC when it trained with an
///     augmentation as x^c). `.mc` (noise alone) tells how much of the distance the energy's
///     gradient makes.
public func viewDistances(checkpoint: URL, dataset: ImageDataset, features: EmbeddingFeatures, count: Int? = nil,
                          sghmcSteps: [Int] = Array(stride(from: 1, through: 13, by: 2)),
                          variant: SGHMCSettings.Variant? = nil) throws -> [ViewDistance] {
    let (networks, configuration) = try ContrastiveNetworks.load(checkpoint: checkpoint)
    guard let normalization = configuration.normalization, dataset.count >= 2, let chainLength = sghmcSteps.max(),
          chainLength >= 1 else { return [] }
    let affordable = Int(30 / (Double(chainLength) / 3 * configuration.secondsPerImage))
    let count = min(dataset.count, max(2, count ?? min(512, max(64, affordable))))
    let indices = (0..<count).map { $0 * dataset.count / count }
    let imageSize = dataset.imageSize
    func tensor(_ pixels: ArraySlice<Float>) -> Tensor {
        Tensor(shape: [pixels.count / imageSize, dataset.channels, dataset.height, dataset.width], scalars: Array(pixels))
    }
    /// The features of images, `embedBatch` at a time (evaluation mode keeps no tape, but large
    /// images still make large activations).
    let embedBatch = 128
    func embedded(_ pixels: ArraySlice<Float>) -> [Float] {
        stride(from: pixels.startIndex, to: pixels.endIndex, by: embedBatch * imageSize).flatMap { start in
            networks.embed(images: tensor(pixels[start..<min(pixels.endIndex, start + embedBatch * imageSize)]),
                           features: features).scalars
        }
    }
    let original = dataset.batch(indices, normalization: normalization).pixels
    let originalEmbedding = embedded(original[...])
    let width = originalEmbedding.count / count
    /// Distances from the images `first...` to their views.
    func distances(_ views: ArraySlice<Float>, first: Int) -> [Double] {
        let viewEmbedding = embedded(views)
        return viewEmbedding.withUnsafeBufferPointer { viewRows in
            originalEmbedding.withUnsafeBufferPointer { imageRows in
                (0..<viewRows.count / width).map { row in
                    Double(squaredDistance(viewRows.baseAddress! + row * width,
                                           imageRows.baseAddress! + (first + row) * width, count: width)).squareRoot()
                }
            }
        }
    }

    var rows: [ViewDistance] = []
    let run = configuration.augmentation
    func alone(_ change: (inout AugmentationSettings) -> Void) -> AugmentationSettings {
        var settings = run
        let aspect = Float(dataset.width) / Float(dataset.height)
        settings.cropScale = 1...1
        settings.cropRatio = aspect...aspect
        settings.flipProbability = 0
        settings.jitterProbability = 0
        settings.grayscaleProbability = 0
        settings.blurProbability = 0
        settings.rotation = nil
        change(&settings)
        return settings
    }
    var augmentations: [(String, AugmentationSettings)] = [("colour jitter", alone { $0.jitterProbability = 1 })]
    if dataset.channels == 3 { augmentations.append(("grey scale", alone { $0.grayscaleProbability = 1 })) }
    augmentations += [
        ("horizontal flip", alone { $0.flipProbability = 1 }),
        ("random resized crop", alone { $0.cropScale = run.cropScale; $0.cropRatio = run.cropRatio }),
    ]
    if let turnLimit = run.turnLimit { augmentations.append(("rotation", alone { $0.rotation = turnLimit })) }
    augmentations.append(("the run's augmentation (a positive view)", run))
    for (name, settings) in augmentations {
        let augmenter = try Augmenter(dataset: dataset, settings: settings, normalization: normalization, seed: configuration.seed)
        let views = augmenter.batch(indices, epoch: 0, view: 0).pixels
        rows.append(ViewDistance(transformation: name, distances: distances(views[...], first: 0)))
    }

    let references = try Augmenter(dataset: dataset, settings: run, normalization: normalization, seed: configuration.seed)
        .batch(indices, epoch: 0, view: 1).pixels
    let backbone = networks.targetBackbone ?? networks.backbone
    var settings = configuration.sghmc
    if let variant { settings.variant = variant }
    settings = sampling(settings)
    settings.steps = chainLength
    var generator = SeededGenerator(seed: configuration.seed, stream: [0x5441_4231])  // "TAB1"
    var chained = [Int: [Double]]()
    // Batches of near-equal size, none above the run's: each is one energy, as in a step.
    let batches = (count + configuration.batchSize - 1) / configuration.batchSize
    for batch in 0..<batches {
        let first = batch * count / batches, end = (batch + 1) * count / batches
        let seeds = tensor(original[first * imageSize..<end * imageSize])
        let referenceFeatures = withoutGradient {
            backbone(tensor(references[first * imageSize..<end * imageSize]), mode: .trainingWithoutStatisticsUpdate)
        }
        _ = sghmcViews(seeds: seeds, referenceFeatures: referenceFeatures, backbone: backbone, settings: settings,
                       generator: &generator) { step, views in
            if sghmcSteps.contains(step) { chained[step, default: []] += distances(views.scalars[...], first: first) }
        }
    }
    for step in sghmcSteps.sorted() {
        let sampler = switch settings.variant {
        case .hmc: "HMC without noise"
        case .mc: "random walk without gradient"
        case .normalized: "SGHMC, gradient at the noise's size"
        default: "SGHMC"
        }
        rows.append(ViewDistance(transformation: "\(sampler), \(step) step\(step == 1 ? "" : "s")", sghmcSteps: step,
                                 distances: chained[step] ?? []))
    }
    return rows
}

/// `settings` as the figure and the tables sample with: a run that trained with an ordinary
/// augmentation as x^c (no sampler) is shown SGHMC's views at its constants.
func sampling(_ settings: SGHMCSettings) -> SGHMCSettings {
    var settings = settings
    if settings.variant == .augmentation { settings.variant = .sghmc }
    return settings
}
