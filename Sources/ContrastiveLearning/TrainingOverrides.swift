// What a user asked for on top of the CPU defaults, and the one place it is resolved.
import Datasets

/// The training settings a user gave (nil: the CPU default), resolved into a configuration by
/// `configuration(for:)`: every override is applied before `minutes` is turned into epochs,
/// so `--width 64 --minutes 20` gets epochs sized for width 64.
public struct TrainingOverrides: Sendable, Equatable {
    public var paradigm: Paradigm = .infonce
    /// nil: the CPU default for the paradigm (`RegularizerSettings.isOnByDefault(for:)`).
    public var usesRegularizer: Bool?
    /// Whether the run trains with the regularizer: as given, or the paradigm's default.
    public var trainsWithRegularizer: Bool { usesRegularizer ?? RegularizerSettings.isOnByDefault(for: paradigm) }
    /// nil: the CPU default for the paradigm (`RegularizerSettings.Preset.cpuDefault(for:)`).
    public var preset: RegularizerSettings.Preset?
    /// Epochs; nil: what fits `minutes`.
    public var epochs: Int?
    /// The training budget that sizes the epochs when `epochs` is nil.
    public var minutes: Double = 3
    public var width: Int?
    /// ResNet depth, the older way to say `backbone` resnet18 or resnet34.
    public var depth: Int?
    /// The backbone; nil: a ResNet of `depth` (18 by default).
    public var backbone: BackboneArchitecture?
    /// A ViT's patch size; nil: `VisionTransformerSettings.defaultPatchSize` for the images.
    public var patchSize: Int?
    public var batchSize: Int?
    /// The base learning rate at batch 256 (scaled linearly with the batch).
    public var learningRate: Float?
    public var temperature: Float?
    /// Barlow Twins' lambda.
    public var redundancyWeight: Float?
    public var sghmcSteps: Int?
    public var sghmcVariant: SGHMCSettings.Variant?
    public var regularizerWeight: Float?
    public var regularizerTemperature: Float?
    public var beta: Float?
    /// The smallest crop area, as a share of the image, in (0, 1].
    public var cropScale: Float?
    /// The largest aspect stretch r (ratios in [1/r, r]), at least 1.
    public var cropRatio: Float?
    public var flipProbability: Float?
    /// The largest rotation of a view, in degrees (`AugmentationSettings.rotation`).
    public var rotation: Float?
    /// Cluster head outputs K; 0: off.
    public var clusterHeadSize = 0
    public var clusterWeight: Float = 1
    /// The support set of nearest-neighbour positives (NNCLR); 0: off.
    public var supportSetSize = 0
    public var targetMomentum: Float?
    public var targetMomentumSchedule: MomentumSchedule?
    public var predictorLearningRateScale: Float?
    public var seed: UInt64 = 0
    /// The processes of a data-parallel run (MPI ranks); 1: none.
    public var processCount = 1
    /// Batch norm over the global batch of a data-parallel run (no effect on one process).
    public var synchronizesBatchNorm = false
    /// `--precision`; nil: fp32.
    public var precision: PrecisionChoice?

    public init() {}

    /// The resolved, validated configuration for `dataset`.
    ///
    /// - Throws: `TrainingError.invalidSetting` naming the first setting out of range, and
    ///   `TrainingError.incompatibleDataset` for a dataset too small to train on.
    public func configuration(for dataset: ImageDataset) throws -> TrainingConfiguration {
        var configuration = try TrainingConfiguration.cpuDefault(
            paradigm: paradigm, usesRegularizer: usesRegularizer, preset: preset,
            for: dataset, minutes: minutes, seed: seed)
        if let width {
            configuration.width = width
            configuration.hiddenSize = TrainingConfiguration.hiddenSize(width: width)
        }
        if let depth { configuration.depth = depth }
        if let backbone {
            if let depth, backbone.visionTransformerVariant != nil || (depth == 34) != (backbone == .resnet34) {
                throw TrainingError.invalidSetting(
                    name: "depth", value: "\(depth) with backbone \(backbone.rawValue)",
                    expected: "one way to name the backbone: drop --depth (--backbone resnet34 is ResNet-34)")
            }
            configuration.backbone = backbone
        }
        if let patchSize {
            guard configuration.visionTransformer != nil else {
                throw TrainingError.invalidSetting(
                    name: "patch size", value: "\(patchSize)",
                    expected: "a ViT backbone (--backbone vit-tiny, vit-small or vit-base); ResNets have no patches")
            }
            configuration.visionTransformer?.patchSize = patchSize
        }
        let isVisionTransformer = configuration.visionTransformer != nil
        if isVisionTransformer {
            // AdamW's recipe: its own rate and a stronger, decoupled weight decay.
            configuration.weightDecay = TrainingConfiguration.visionTransformerWeightDecay
        }
        if let batchSize { configuration.batchSize = batchSize }
        if batchSize != nil || learningRate != nil || isVisionTransformer {
            let base = isVisionTransformer ? TrainingConfiguration.visionTransformerBaseLearningRate
                : TrainingConfiguration.cpuBaseLearningRate(paradigm: paradigm)
            configuration.learningRate = TrainingConfiguration.learningRate(base: learningRate ?? base,
                                                                            batchSize: configuration.batchSize)
        }
        if let temperature { configuration.temperature = temperature }
        if let redundancyWeight { configuration.redundancyWeight = redundancyWeight }
        if let sghmcSteps { configuration.sghmc.steps = sghmcSteps }
        if let sghmcVariant { configuration.sghmc.variant = sghmcVariant }
        if let regularizerWeight { configuration.regularizer.weight = regularizerWeight }
        if let regularizerTemperature { configuration.regularizer.temperature = regularizerTemperature }
        if let beta { configuration.regularizer.beta = beta }
        if let cropScale {
            guard cropScale > 0 && cropScale <= 1 else {
                throw TrainingError.invalidSetting(
                    name: "crop scale", value: "\(cropScale)",
                    expected: "in (0, 1], the smallest share of the image a crop keeps (0.3 keeps at least 30%)")
            }
            configuration.augmentation.cropScale = cropScale...1
        }
        if let cropRatio {
            guard cropRatio >= 1 && cropRatio.isFinite else {
                throw TrainingError.invalidSetting(
                    name: "crop ratio", value: "\(cropRatio)",
                    expected: "a finite number at least 1 (1 keeps proportions, 4/3 is the paper's)")
            }
            configuration.augmentation.cropRatio = (1 / cropRatio)...cropRatio
        }
        if let flipProbability { configuration.augmentation.flipProbability = flipProbability }
        if let rotation {
            guard (0...180).contains(rotation) else {
                throw TrainingError.invalidSetting(
                    name: "rotation", value: "\(rotation)",
                    expected: "degrees in [0, 180], the largest turn of a view (15 turns each view by up to 15 degrees either way)")
            }
            configuration.augmentation.rotation = rotation
        }
        if let targetMomentum { configuration.targetMomentum = targetMomentum }
        if let targetMomentumSchedule { configuration.targetMomentumSchedule = targetMomentumSchedule }
        if let predictorLearningRateScale { configuration.predictorLearningRateScale = predictorLearningRateScale }
        if processCount > 1 {
            configuration.dataParallelism = DataParallelism(processCount: processCount,
                                                            synchronizesBatchNorm: synchronizesBatchNorm)
        }
        if precision?.resolved.precision == .bf16 { configuration.precision = .bf16 }
        if clusterHeadSize != 0 { configuration.clusterHead = ClusterHeadSettings(size: clusterHeadSize, weight: clusterWeight) }
        if supportSetSize != 0 { configuration.supportSetSize = supportSetSize }
        // The budget last: the epochs that fit depend on everything above.
        if let epochs {
            configuration.epochs = epochs
            configuration.warmupEpochs = min(configuration.warmupEpochs, Double(max(0, epochs)) / 10)
        } else {
            configuration.fitEpochs(toMinutes: minutes, imageCount: dataset.count)
        }
        try configuration.validate()
        return configuration
    }
}
