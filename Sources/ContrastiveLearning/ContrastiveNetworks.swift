// The networks of a contrastive run: online f+g(+q) and, for BYOL, the target f̄+ḡ.
import Datasets
import NeuralNetworks
import Basics
import TensorCore

/// Hears how many images `embed` has embedded, and of how many.
public typealias EmbeddingProgress = @Sendable (_ completed: Int, _ total: Int) -> Void

/// Which features `embed` returns.
public enum EmbeddingFeatures: String, Sendable, Codable, CaseIterable {
    /// The projector output (target f̄+ḡ for BYOL, f+g for the others), `projectionSize`-d.
    case projection
    /// The backbone output (f̄ or f) alone: `8 width`-d for a ResNet, the ViT's width for a ViT.
    case backbone
}

/// The networks of a run (SPEC §1).
///
/// Checkpoint names: `online.backbone.*` (torchvision ResNet or timm ViT names), `online.projector.*`,
/// `online.predictor.*`, `target.backbone.*`, `target.projector.*`, `online.clusterHead.*`
/// (`nn.Sequential` names).
public final class ContrastiveNetworks {
    /// f, the online backbone: a ResNet or a Vision Transformer.
    public let backbone: any Backbone
    /// g, the online projector.
    public let projector: ProjectionHead
    /// q, BYOL and SimSiam only.
    public let predictor: ProjectionHead?
    /// c, the cluster head, when the configuration has one: Linear-BN-ReLU-Linear from the
    /// backbone's features to K logits.
    public let clusterHead: ProjectionHead?
    /// f̄, BYOL only: a copy of f at the start, then its EMA.
    public let targetBackbone: (any Backbone)?
    /// ḡ, BYOL only.
    public let targetProjector: ProjectionHead?

    /// Networks initialised from `configuration.seed` (stream "NETS").
    public init(configuration: TrainingConfiguration) {
        var generator = SeededGenerator(seed: configuration.seed, stream: [0x4E45_5453])
        backbone = Self.makeBackbone(configuration, generator: &generator)
        projector = ProjectionHead(inputSize: backbone.featureSize, hiddenSize: configuration.hiddenSize,
                                   outputSize: configuration.projectionSize, generator: &generator)
        switch configuration.paradigm {
        case .byol, .simsiam:
            // SimSiam's predictor is a bottleneck (2048 -> 512 -> 2048 in its paper).
            let hiddenSize = configuration.paradigm == .byol ? configuration.hiddenSize
                : max(1, configuration.projectionSize / 4)
            predictor = ProjectionHead(inputSize: configuration.projectionSize, hiddenSize: hiddenSize,
                                       outputSize: configuration.projectionSize, generator: &generator)
        case .infonce, .barlowtwins:
            predictor = nil
        }
        if configuration.paradigm == .byol {
            let targetBackbone = Self.makeBackbone(configuration, generator: &generator)
            let targetProjector = ProjectionHead(inputSize: backbone.featureSize, hiddenSize: configuration.hiddenSize,
                                                 outputSize: configuration.projectionSize, generator: &generator)
            targetBackbone.copyState(from: backbone)
            targetProjector.copyState(from: projector)
            targetBackbone.setRequiresGradient(false)
            targetProjector.setRequiresGradient(false)
            self.targetBackbone = targetBackbone
            self.targetProjector = targetProjector
        } else {
            targetBackbone = nil
            targetProjector = nil
        }
        // Drawn last, so that a run without the head initialises exactly as before it existed.
        if let settings = configuration.clusterHead {
            clusterHead = ProjectionHead(inputSize: backbone.featureSize, hiddenSize: backbone.featureSize,
                                         outputSize: settings.size, generator: &generator)
        } else {
            clusterHead = nil
        }
    }

    /// The backbone the configuration names: a ResNet (CIFAR stem) of its depth and width, or
    /// a Vision Transformer of its variant and patch size.
    static func makeBackbone(_ configuration: TrainingConfiguration, generator: inout SeededGenerator) -> any Backbone {
        if let settings = configuration.visionTransformer {
            return VisionTransformer(variant: settings.variant, patchSize: settings.patchSize,
                                     inputChannels: configuration.inputChannels, imageHeight: configuration.inputHeight,
                                     imageWidth: configuration.inputWidth, generator: &generator)
        }
        let depth: ResNet.Depth = configuration.depth == 34 ? .resnet34 : .resnet18
        return ResNet(depth: depth, width: configuration.width, inputChannels: configuration.inputChannels,
                      stem: .cifar, precision: configuration.arithmeticPrecision, generator: &generator)
    }

    /// The encoder whose output is the embedding: f̄+ḡ for BYOL, f+g for the others.
    public var encoder: (backbone: any Backbone, projector: ProjectionHead) {
        (targetBackbone ?? backbone, targetProjector ?? projector)
    }

    /// Every parameter and buffer, with checkpoint names.
    public var namedState: [NamedTensor] {
        var list = backbone.namedState.map { $0.prefixed("online.backbone") }
            + projector.namedState.map { $0.prefixed("online.projector") }
        if let predictor { list += predictor.namedState.map { $0.prefixed("online.predictor") } }
        if let targetBackbone { list += targetBackbone.namedState.map { $0.prefixed("target.backbone") } }
        if let targetProjector { list += targetProjector.namedState.map { $0.prefixed("target.projector") } }
        if let clusterHead { list += clusterHead.namedState.map { $0.prefixed("online.clusterHead") } }
        return list
    }

    /// L2-normalised features of `dataset`'s images at `indices` (all when nil), computed in
    /// evaluation mode by the encoder, `batchSize` images at a time. With `views`, each row is
    /// the normalised sum of the image's own features and those of its augmented views.
    /// `progress` hears the images done and the total after each batch.
    ///
    /// - Returns: row-major [indices.count, D], D = projectionSize or the backbone's feature size.
    public func embed(_ dataset: ImageDataset, indices: [Int]? = nil, normalization: Normalization,
                      features: EmbeddingFeatures = .projection, views: EmbeddingViews? = nil,
                      batchSize: Int = 256, progress: EmbeddingProgress? = nil) -> [Float] {
        let indices = indices ?? Array(0..<dataset.count)
        var output: [Float] = []
        var start = 0
        while start < indices.count {
            let chunk = Array(indices[start..<min(indices.count, start + batchSize)])
            let batch = dataset.batch(chunk, normalization: normalization)
            let images = Tensor(shape: [chunk.count, batch.channels, batch.height, batch.width], scalars: batch.pixels)
            var rows = embed(images: images, features: features)
            if let views, views.count > 0 {
                rows = withoutGradient {
                    (0..<views.count).reduce(rows) { sum, view in
                        let drawn = views.augmenter.batch(chunk, epoch: EmbeddingViews.epoch, view: view)
                        return sum + embed(images: Tensor(shape: images.shape, scalars: drawn.pixels), features: features)
                    }.l2NormalizedRows()
                }
            }
            output += rows.scalars
            start += batchSize
            progress?(min(start, indices.count), indices.count)
        }
        return output
    }

    /// L2-normalised features of normalised images [N, C, H, W], in evaluation mode: what
    /// `embed(_:indices:normalization:features:batchSize:)` computes for each of its batches.
    public func embed(images: Tensor, features: EmbeddingFeatures = .projection) -> Tensor {
        let (backbone, projector) = encoder
        return withoutGradient {
            let h = backbone(images, mode: .evaluation)
            return (features == .backbone ? h : projector(h, mode: .evaluation)).l2NormalizedRows()
        }
    }
}
