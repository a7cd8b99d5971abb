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
    var settings = configuration.sghmc
    if settings.variant == .augmentation { settings.variant = .sghmc }  // the figure always samples
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
