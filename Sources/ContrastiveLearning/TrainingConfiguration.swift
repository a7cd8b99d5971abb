// Every resolved setting of a training run (SPEC §1, §2, §3, §5), recorded with its results.
import Datasets
import NeuralNetworks
import TensorCore
import Foundation

/// The self-supervised paradigms: SPEC §2's two and the paper's Table 9 pair.
public enum Paradigm: String, Sendable, Codable, CaseIterable {
    /// BYOL: online f+g+q against an EMA target f̄+ḡ.
    case byol
    /// InfoNCE (NT-Xent, SimCLR): one network f+g.
    case infonce
    /// SimSiam (Chen and He 2021): one network f+g+q, the predictor against the other view's
    /// projection with a stop-gradient; no target, no negatives.
    case simsiam
    /// Barlow Twins (Zbontar et al. 2021): one network f+g, the two views' cross-correlation
    /// matrix pulled toward the identity.
    case barlowtwins = "barlowtwins"

    /// Whether the paradigm trains a predictor q on top of the projector (BYOL, SimSiam).
    public var hasPredictor: Bool { self == .byol || self == .simsiam }

    /// The name the paper's tables use.
    public var displayName: String {
        switch self {
        case .byol: "BYOL"
        case .infonce: "InfoNCE"
        case .simsiam: "SimSiam"
        case .barlowtwins: "Barlow Twins"
        }
    }
}

/// How the BYOL target momentum m evolves.
public enum MomentumSchedule: String, Sendable, Codable, CaseIterable {
    /// m stays at its base value.
    case constant
    /// m_k = 1 - (1 - m_0) (cos(pi k / K) + 1) / 2: from m_0 to 1 over the run (BYOL's).
    case cosine
}

/// The backbone f: a ResNet of the CIFAR stem or a Vision Transformer (the paper's Table 10).
/// `--backbone` on the command line; in a configuration, `depth` and `visionTransformer`.
public enum BackboneArchitecture: String, Sendable, Codable, CaseIterable {
    case resnet18
    case resnet34
    case vitTiny = "vit-tiny"
    case vitSmall = "vit-small"
    case vitBase = "vit-base"

    /// The ViT size, nil for a ResNet.
    public var visionTransformerVariant: VisionTransformer.Variant? {
        switch self {
        case .resnet18, .resnet34: nil
        case .vitTiny: .tiny
        case .vitSmall: .small
        case .vitBase: .base
        }
    }

    /// The name the paper's tables use.
    public var displayName: String {
        switch self {
        case .resnet18: "ResNet-18"
        case .resnet34: "ResNet-34"
        case .vitTiny: "ViT-Tiny"
        case .vitSmall: "ViT-Small"
        case .vitBase: "ViT-Base"
        }
    }
}

/// A Vision Transformer backbone's settings (nil in a configuration: a ResNet).
public struct VisionTransformerSettings: Sendable, Codable, Equatable {
    /// Tiny (192 x 12 x 3 heads), small (384 x 12 x 6) or base (768 x 12 x 12).
    public var variant: VisionTransformer.Variant
    /// Side of the square patches, in pixels; it must divide the image's height and width.
    public var patchSize: Int

    public init(variant: VisionTransformer.Variant, patchSize: Int) {
        self.variant = variant
        self.patchSize = patchSize
    }

    /// The patch size for small images: 4 up to 8 pixels where it leaves 2 patches a side (the
    /// 8x8 digits: 4 patches), 2 up to 16 (USPS: 64), 4 up to 32 (CIFAR: 64; 28 px: 49), and
    /// for larger images the largest of 16, 8, 4, 2 that leaves at least 8 patches a side.
    /// Always one that divides both sides (1 if none).
    ///
    /// On the digits, 4-pixel patches train ViT-Tiny further in 60 epochs (kNN accuracy 0.972,
    /// ACC without k 0.904) than 2-pixel patches in 40 (0.930, 0.830), at a third of the cost
    /// of an epoch (docs/vit.md). Images of 9-16 pixels keep 2-pixel patches: no ViT has been
    /// measured on them.
    public static func defaultPatchSize(height: Int, width: Int) -> Int {
        let side = max(height, width)
        let preferred: [Int] = side <= 8 ? [4, 2].filter { side / $0 >= 2 }
            : side <= 16 ? [2] : side <= 32 ? [4, 2] : [16, 8, 4, 2].filter { side / $0 >= 8 }
        return preferred.first { height % $0 == 0 && width % $0 == 0 } ?? 1
    }

    /// The most tokens a sequence may have: attention keeps [N heads, L, L] probabilities per
    /// block, so L grows memory with its square (4,096 is 1-pixel patches of 64x64 images).
    public static let maximumTokens = 4097
}

/// Every setting of a run, resolved: what `Trainer` does is a function of this and the
/// dataset alone. Codable: it is written to `settings.json` and into every checkpoint.
public struct TrainingConfiguration: Sendable, Codable, Equatable {
    // Networks (SPEC §1).
    /// BYOL or InfoNCE.
    public var paradigm: Paradigm
    /// ResNet depth: 18 or 34 (unused when `visionTransformer` is set).
    public var depth: Int
    /// Channels of the first ResNet stage (64 standard, 16 narrow; unused by a ViT).
    public var width: Int
    /// The Vision Transformer that replaces the ResNet; nil (and absent from settings written
    /// before ViTs existed): a ResNet of `depth` and `width`. With a ViT the optimiser is AdamW
    /// (`learningRate`, `weightDecay` its own; `momentum` unused).
    public var visionTransformer: VisionTransformerSettings?
    /// Input image channels, height and width.
    public var inputChannels: Int
    public var inputHeight: Int
    public var inputWidth: Int
    /// Hidden size of the projector g and predictor q.
    public var hiddenSize: Int
    /// Output size of g and q (the embedding dimension).
    public var projectionSize: Int

    // Losses (SPEC §2).
    /// InfoNCE temperature tau.
    public var temperature: Float
    /// InfoNCE: leave the positive out of the denominator.
    public var decoupled: Bool
    /// Barlow Twins' lambda, the weight of the off-diagonal (redundancy) term; nil for the
    /// other paradigms.
    public var redundancyWeight: Float?
    /// Whether the NRCC regularizer is on.
    public var usesRegularizer: Bool
    /// The preset `regularizer` started from (recorded; `regularizer` holds the values used).
    public var preset: RegularizerSettings.Preset
    /// The regularizer's values (those of `preset` unless changed).
    public var regularizer: RegularizerSettings
    /// The SGHMC view generator's settings.
    public var sghmc: SGHMCSettings
    /// The cluster head and its objective (beyond the paper); nil: off.
    public var clusterHead: ClusterHeadSettings?
    /// InfoNCE with nearest-neighbour positives (NNCLR, beyond the paper): the size of the
    /// support set whose nearest row replaces each view's own positive; nil: off (and no key
    /// in `settings.json`).
    public var supportSetSize: Int?

    // Optimisation (SPEC §5).
    /// n, images per step.
    public var batchSize: Int
    /// Passes over the dataset.
    public var epochs: Int
    /// The learning rate after warm-up: 0.05 batchSize / 256 unless set.
    public var learningRate: Float
    /// Linear warm-up length in epochs (may be fractional).
    public var warmupEpochs: Double
    /// SGD momentum (0.9).
    public var momentum: Float
    /// SGD weight decay (5e-4), on every parameter.
    public var weightDecay: Float
    /// The predictor's learning rate is this times the others'.
    public var predictorLearningRateScale: Float
    /// BYOL target momentum m (base value).
    public var targetMomentum: Float
    public var targetMomentumSchedule: MomentumSchedule

    // Data (SPEC §4).
    /// The two positive views' augmentations (SPEC §4).
    public var augmentation: AugmentationSettings
    /// Per-channel mean and std; resolved from the dataset when a trainer is made.
    public var normalization: Normalization?
    /// The seed of every random draw: initialisation, shuffle, views, SGHMC noise.
    public var seed: UInt64

    // Monitors.
    /// Images embedded each epoch for the kNN accuracy and the feature std (a fixed seeded
    /// subset of the dataset); 0 turns the monitors off.
    public var monitorSampleCount: Int

    // Processes.
    /// The ranks a data-parallel run spreads each batch over, and whether batch norm
    /// synchronises them; nil: one process (and no key in `settings.json`).
    public var dataParallelism: DataParallelism?

    // Arithmetic.
    /// The number format of the ResNet's convolution operands; nil: fp32 (and no key in
    /// `settings.json`, as before the setting existed).
    public var precision: ArithmeticPrecision?
    /// `precision`, resolved.
    public var arithmeticPrecision: ArithmeticPrecision { precision ?? .fp32 }

    /// SPEC §5's learning rate at batch 256.
    public static let baseLearningRate: Float = 0.05

    /// Barlow Twins' lambda as published (0.0051, with 8,192 features), kept for the 256
    /// here: the off-diagonal sum has D(D - 1) terms, so a smaller D only weakens it.
    public static let barlowTwinsRedundancyWeight: Float = 0.0051

    /// The hidden size of g and q for a ResNet of `width`: 64 width (SPEC §1), 4096 at width 64
    /// and 1024 at width 16. Saturates at `Int.max` instead of overflowing, so that an absurd
    /// width reaches `validate()` and its message instead of trapping here.
    public static func hiddenSize(width: Int) -> Int {
        let (product, overflow) = width.multipliedReportingOverflow(by: 64)
        return overflow ? (width < 0 ? Int.min : Int.max) : product
    }

    // Ceilings. Beyond them a value is a typo or a damaged file, not an experiment: each keeps
    // the memory and the run time that follow from a setting within one machine's reach, so
    // that `validate()` refuses the value before anything is allocated.

    /// The widest ResNet accepted: 256 channels in the first stage (4x the standard 64; the
    /// stages have width, 2 width, 4 width and 8 width channels). Parameters grow as width²:
    /// ResNet-18 at width 256 has about 180 M (0.7 GB of floats per copy; training keeps the
    /// weights, gradients, momenta and for BYOL a target), ResNet-34 about 340 M, and the
    /// projector's hidden layer 64 width = 16,384 units. Width 100,000 would need hundreds of GB.
    public static let maximumWidth = 256
    /// The largest hidden size of g and q: 64 `maximumWidth` (SPEC §1's rule at the widest net).
    public static let maximumHiddenSize = 64 * maximumWidth
    /// The largest embedding dimension (the paper's is 256).
    public static let maximumProjectionSize = 4096
    /// The longest run accepted, in epochs (the paper trains 1,000).
    public static let maximumEpochs = 1_000_000
    /// The largest batch (the paper's is 256); activations grow linearly with it.
    public static let maximumBatchSize = 65_536
    /// The largest image side accepted, in pixels; activations grow with its square.
    public static let maximumInputSize = 1024
    /// The longest training budget `cpuDefault` turns into epochs: a week, in minutes.
    public static let maximumMinutes: Double = 7 * 24 * 60

    /// Throws `TrainingError.invalidSetting` unless `minutes` is a finite budget in
    /// (0, `maximumMinutes`]: NaN or infinity cannot be turned into a number of epochs.
    public static func validate(minutes: Double) throws {
        guard minutes.isFinite, minutes > 0, minutes <= maximumMinutes else {
            throw TrainingError.invalidSetting(
                name: "minutes", value: "\(minutes)",
                expected: "a finite number of minutes in (0, \(Int(maximumMinutes))] (at most a week)")
        }
    }

    /// The CPU default's base learning rate at batch 256: SPEC §5's 0.05 for InfoNCE, ten
    /// times that for BYOL. BYOL's loss only compares a view with the slowly moving target's,
    /// and its gradients are far weaker than InfoNCE's; SPEC's rate is for 1,000 epochs. On
    /// the digits (BYOL, batch 64, 40 epochs, no regularizer; UMAP + GridShift without k) the
    /// base rates 0.05, 0.2, 0.5, 1 and 2 reach ACC 0.44, 0.76, 0.82, 0.60 and 0.10 (kNN
    /// accuracy 0.77, 0.91, 0.93, 0.79, 0.64); docs/byol-short-runs.md has the study.
    /// SimSiam, like BYOL, wants more than its published 0.05 in a short run: 0.05, 0.2 and
    /// 0.5 reach kNN accuracy 0.64, 0.76 and 0.74 with its predictor at the encoder's rate,
    /// and 0.2 with the predictor ten times faster 0.88. Barlow Twins' loss sums D squared
    /// correlations and its gradients are large: 0.003, 0.01, 0.05 and 0.2 reach kNN 0.89,
    /// 0.85, 0.78 and 0.84 (docs/paradigms.md).
    public static func cpuBaseLearningRate(paradigm: Paradigm) -> Float {
        switch paradigm {
        case .byol: 10 * baseLearningRate
        case .infonce: baseLearningRate
        case .simsiam: 4 * baseLearningRate
        case .barlowtwins: 0.003
        }
    }

    /// The CPU default's predictor rate multiple: BYOL's authors' 10 for BYOL, and 10 for
    /// SimSiam too, where its paper's 1 (with the predictor's rate not decayed) learns
    /// slowly in a short run (kNN accuracy 0.76 against 0.88 on the digits at base rate 0.2).
    public static let cpuPredictorLearningRateScale: Float = 10

    /// The learning rate for `batchSize`: `base` at batch 256, scaled linearly.
    public static func learningRate(base: Float, batchSize: Int) -> Float {
        base * Float(batchSize) / 256
    }

    /// The backbone these settings build. Setting it picks a ResNet depth, or a ViT with the
    /// default patch size for the image (a ViT already set keeps its patch size).
    public var backbone: BackboneArchitecture {
        get {
            switch visionTransformer?.variant {
            case .tiny: .vitTiny
            case .small: .vitSmall
            case .base: .vitBase
            case nil: depth == 34 ? .resnet34 : .resnet18
            }
        }
        set {
            switch newValue {
            case .resnet18, .resnet34:
                depth = newValue == .resnet34 ? 34 : 18
                visionTransformer = nil
            case .vitTiny, .vitSmall, .vitBase:
                let patchSize = visionTransformer?.patchSize
                    ?? VisionTransformerSettings.defaultPatchSize(height: inputHeight, width: inputWidth)
                visionTransformer = VisionTransformerSettings(variant: newValue.visionTransformerVariant!, patchSize: patchSize)
            }
        }
    }

    /// The backbone in words: "ResNet-18 width 16", "ViT-Tiny patch 4".
    public var backboneDescription: String {
        if let settings = visionTransformer { return "\(backbone.displayName) patch \(settings.patchSize)" }
        return "\(backbone.displayName) width \(width)"
    }

    /// AdamW's learning rate at batch 256 for a ViT, scaled linearly like SGD's (DINO's
    /// 0.0005 x batch / 256), and its weight decay (DeiT's 0.05).
    public static let visionTransformerBaseLearningRate: Float = 5e-4
    public static let visionTransformerWeightDecay: Float = 0.05

    /// SPEC's settings for `paradigm` (paper values: batch 256, width 64, 1000 epochs), with
    /// the regularizer of `preset`, for images of the given size.
    public init(paradigm: Paradigm = .byol, usesRegularizer: Bool = true,
                preset: RegularizerSettings.Preset = .paper,
                inputChannels: Int, inputHeight: Int, inputWidth: Int,
                width: Int = 64, depth: Int = 18, batchSize: Int = 256, epochs: Int = 1000, seed: UInt64 = 0) {
        self.paradigm = paradigm
        self.depth = depth
        self.width = width
        self.inputChannels = inputChannels
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        hiddenSize = Self.hiddenSize(width: width)
        projectionSize = 256
        temperature = 0.1
        decoupled = false
        redundancyWeight = paradigm == .barlowtwins ? Self.barlowTwinsRedundancyWeight : nil
        self.usesRegularizer = usesRegularizer
        self.preset = preset
        regularizer = RegularizerSettings(preset: preset)
        sghmc = SGHMCSettings()
        self.batchSize = batchSize
        self.epochs = epochs
        learningRate = Self.learningRate(base: Self.baseLearningRate, batchSize: batchSize)
        warmupEpochs = 10
        momentum = 0.9
        weightDecay = 5e-4
        // BYOL's authors train the predictor ten times faster; SimSiam's at the encoder's rate.
        predictorLearningRateScale = paradigm == .byol ? 10 : 1
        targetMomentum = 0.996
        targetMomentumSchedule = .constant
        augmentation = AugmentationSettings()
        normalization = nil
        self.seed = seed
        monitorSampleCount = 2000
    }

    /// Defaults sized for a 2-core CPU, chosen per input size (see the README's training
    /// section for the measurements behind them): a narrow ResNet-18 (width 16, hidden
    /// 1024), batch 256 (`smallSetBatchSize` for BYOL and on sets too small for
    /// `minimumStepsPerEpoch` steps of 256), a warm-up of 1/10 of the run, and an epoch count that fits about
    /// `minutes` of training on two cores at the measured throughput (at least 2 epochs, at
    /// most `maximumEpochs`). Crops keep at least 30% of the area on images of 32 pixels or
    /// less, where 8% leaves too little of a digit or garment to match; grey images are not
    /// flipped. Without `usesRegularizer`, the paradigm trains with the regularizer as
    /// `RegularizerSettings.isOnByDefault(for:)` says (off for InfoNCE); without a `preset`,
    /// the regularizer takes `RegularizerSettings.cpuDefault(for:)` (a named preset's values
    /// are the preset's own).
    ///
    /// - Throws: `TrainingError.invalidSetting` when `minutes` is not in (0, a week], and
    ///   `TrainingError.incompatibleDataset` when the dataset has fewer than 2 images (a
    ///   batch needs two), both before any work.
    public static func cpuDefault(paradigm: Paradigm = .byol, usesRegularizer: Bool? = nil,
                                  preset: RegularizerSettings.Preset? = nil,
                                  for dataset: ImageDataset, minutes: Double = 20,
                                  seed: UInt64 = 0) throws -> TrainingConfiguration {
        try validate(minutes: minutes)
        guard dataset.count >= 2 else {
            throw TrainingError.incompatibleDataset(expected: "at least 2 images (batch statistics need two)",
                                                    found: "\(dataset.count) in \(dataset.name)")
        }
        var configuration = TrainingConfiguration(
            paradigm: paradigm, usesRegularizer: usesRegularizer ?? RegularizerSettings.isOnByDefault(for: paradigm),
            preset: preset ?? .cpuDefault(for: paradigm),
            inputChannels: dataset.channels, inputHeight: dataset.height, inputWidth: dataset.width,
            width: 16, batchSize: cpuBatchSize(imageCount: dataset.count, paradigm: paradigm), epochs: 1,
            seed: seed)
        if preset == nil { configuration.regularizer = .cpuDefault(for: paradigm) }
        configuration.learningRate = learningRate(base: cpuBaseLearningRate(paradigm: paradigm),
                                                  batchSize: configuration.batchSize)
        if paradigm.hasPredictor { configuration.predictorLearningRateScale = cpuPredictorLearningRateScale }
        configuration.fitEpochs(toMinutes: minutes, imageCount: dataset.count)
        // On 8x8 digits (InfoNCE + NRCC, batch 64, 20 epochs, mean of five UMAP + GridShift
        // layouts) crops of 30-100% of the area cluster best: ACC 0.892 against 0.850 at
        // 50-100% and 0.866 at 70-100%.
        if max(dataset.height, dataset.width) <= 32 {
            configuration.augmentation.cropScale = 0.3...1
        }
        // Mirror colour photographs, not grey images: in handwriting a flip turns one
        // character into another. At the 3-minute budget (InfoNCE + NRCC, training seed 0;
        // docs/defaults.md) flips cost the digits 2.5 points of kNN accuracy (5.4 of ACC
        // without k) and USPS 4.5 (8.6), gave the colour CIFAR-10 subset 1.9 (1.4), and the
        // grey Fashion-MNIST 1.0 (0.1). They help COIL-20's turning objects (6.7 points of
        // ACC over two seeds), which this rule gives up and `--flip 0.5` gives back.
        if dataset.channels == 1 {
            configuration.augmentation.flipProbability = 0
        }
        return configuration
    }

    /// The CPU default batch: 256, or `smallSetBatchSize` for BYOL and when 256 would give
    /// an epoch fewer than `minimumStepsPerEpoch` steps. A small set learns from steps, not
    /// epochs: on the 1,797 digits, 20 epochs of batch 64 (560 steps) reach UMAP + GridShift
    /// ACC 0.80 where 60 epochs of batch 256 (420 steps, three times the time) reach 0.73 (mean
    /// over five layouts; views by crop and flip only, before grey images got intensity
    /// jitter). BYOL learns from steps on every set, its target trailing the online network by
    /// one average per step: at the 3-minute budget batch 256 gave USPS 252 steps (kNN 0.74,
    /// 2 clusters found, ACC 0.298) and the Fashion-MNIST test images 117 (kNN 0.58, ACC
    /// 0.290), batch 64 the same epochs in 1,015 steps (kNN 0.915, ACC 0.697) and 468 (kNN
    /// 0.71, ACC 0.435) (docs/byol-short-runs.md).
    public static func cpuBatchSize(imageCount: Int, paradigm: Paradigm) -> Int {
        let learnsFromSteps = paradigm == .byol || imageCount < 256 * minimumStepsPerEpoch
        return min(learnsFromSteps ? smallSetBatchSize : 256, imageCount)
    }

    static let minimumStepsPerEpoch = 24
    static let smallSetBatchSize = 64

    /// Sets `epochs` (and the warm-up, a tenth of them) to what fits about `minutes` of
    /// training on two cores at the modelled throughput of this configuration's network:
    /// at least 2 epochs, at most `maximumEpochs`.
    public mutating func fitEpochs(toMinutes minutes: Double, imageCount: Int) {
        let epochSeconds = modelledEpochSeconds(imageCount: imageCount)
        // Finite and positive: minutes is in (0, a week] (validated) and epochSeconds > 0.
        let fittingEpochs = (minutes * 60 / epochSeconds).rounded(.down)
        epochs = Int(min(Double(Self.maximumEpochs), max(2, fittingEpochs)))
        warmupEpochs = Double(epochs) / 10
    }

    /// The modelled seconds of one epoch over `imageCount` images on two quiet cores.
    public func modelledEpochSeconds(imageCount: Int) -> Double {
        Double(imageCount) * secondsPerImage
    }

    /// Modelled seconds of training per image on two quiet cores. A BYOL step of the CPU
    /// default network (ResNet-18 width 16) costs about `c0 + c1 pixels` seconds per image,
    /// fitted to two trainer runs of InfoNCE + NRCC on the engine with direct convolutions:
    /// 206 images/s at 28x28 (Fashion-MNIST, batch 256, 2 epochs in 678 s) and 765 images/s
    /// on the 8x8 digits (`make demo`, batch 64, 40 epochs in 94 s). The paradigm and
    /// regularizer ratios are `nrcc-bench contrastive`'s: InfoNCE takes 0.74x BYOL's step
    /// time, the regularizer with one SGHMC step 1.27x (BYOL) and 1.43x (InfoNCE) since its
    /// energy gradient shares view a's forward pass (1.32x and 1.52x before), each further
    /// SGHMC step a little more again. Other networks scale by their convolutions' work:
    /// (width / 16)^2, and 2x for ResNet-34 (3.6 against 1.8 GFLOPs at ImageNet size).
    public var secondsPerImage: Double {
        var seconds = Self.byolSecondsPerImage + Self.byolSecondsPerPixel * Double(inputHeight * inputWidth)
        // One network instead of an online and a target: InfoNCE's ratio (SimSiam's predictor
        // and Barlow Twins' D x D correlation are small beside the backbone).
        if paradigm != .byol { seconds *= Self.infonceStepRatio }
        if usesRegularizer {
            let perStep = (paradigm == .byol ? Self.byolRegularizerCost : Self.infonceRegularizerCost) - 1
            seconds *= 1 + perStep * Double(max(1, sghmc.steps))
        }
        if let settings = visionTransformer {
            // A ViT's step is its multiply-adds at the measured rate, with the same paradigm
            // and regularizer ratios as the ResNet's.
            let base = Self.visionTransformerSecondsPerMultiplyAdd * Self.multiplyAdds(settings, channels: inputChannels,
                                                                                       height: inputHeight, width: inputWidth)
            return seconds / (Self.byolSecondsPerImage + Self.byolSecondsPerPixel * Double(inputHeight * inputWidth)) * base
        }
        let widthRatio = Double(width) / 16
        return seconds * max(0.25, widthRatio * widthRatio) * (depth == 34 ? 2 : 1)
    }

    /// Multiply-adds of one forward pass of a ViT over one image: the patch embedding, then per
    /// block L (3 + 1 + 8) D^2 for qkv, proj and the MLP and 2 L^2 D for attention.
    static func multiplyAdds(_ settings: VisionTransformerSettings, channels: Int, height: Int, width: Int) -> Double {
        let patches = Double((height / max(1, settings.patchSize)) * (width / max(1, settings.patchSize)))
        let tokens = patches + 1, d = Double(settings.variant.width)
        let perBlock = tokens * 12 * d * d + 2 * tokens * tokens * d
        return patches * Double(channels * settings.patchSize * settings.patchSize) * d + Double(settings.variant.depth) * perBlock
    }

    /// Seconds of a BYOL step per image per forward multiply-add of a ViT on two cores, in
    /// the same units as the ResNet's constants, so that a budget buys both backbones equal
    /// time: `nrcc-bench vit`'s ViT-Tiny step took 31.2 s for 256 images of 365 M
    /// multiply-adds each (3.34e-10) on a quiet 2-core AMD EPYC (AVX2), where the ResNet's
    /// InfoNCE + NRCC epochs on the digits take 1.89 times their modelled 2.23 s (4.21 s), so
    /// 3.34e-10 / 1.89 (docs/vit.md).
    static let visionTransformerSecondsPerMultiplyAdd = 1.77e-10

    static let byolSecondsPerImage = 0.89e-3
    static let byolSecondsPerPixel = 4.41e-6
    static let infonceStepRatio = 0.74
    static let byolRegularizerCost = 1.27
    static let infonceRegularizerCost = 1.43

    /// Throws `TrainingError.invalidSetting` for the first value out of range.
    public func validate() throws {
        func check(_ condition: Bool, _ name: String, _ expected: String, _ found: Any) throws {
            if !condition { throw TrainingError.invalidSetting(name: name, value: "\(found)", expected: expected) }
        }
        try check(depth == 18 || depth == 34, "depth", "18 or 34", depth)
        if let settings = visionTransformer {
            try check(settings.patchSize >= 1 && inputHeight % settings.patchSize == 0 && inputWidth % settings.patchSize == 0,
                      "patchSize", "a size that divides the \(inputHeight)x\(inputWidth) images (e.g. \(VisionTransformerSettings.defaultPatchSize(height: inputHeight, width: inputWidth)))",
                      settings.patchSize)
            let tokens = 1 + (inputHeight / max(1, settings.patchSize)) * (inputWidth / max(1, settings.patchSize))
            try check(tokens <= VisionTransformerSettings.maximumTokens, "patchSize",
                      "large enough for at most \(VisionTransformerSettings.maximumTokens - 1) patches (attention memory grows with their square)",
                      "\(settings.patchSize) (\(tokens - 1) patches)")
        }
        try check(width >= 1, "width", ">= 1", width)
        try check(width <= Self.maximumWidth, "width",
                  "<= \(Self.maximumWidth) (memory grows with width squared; 64 is standard, 16 the CPU default)", width)
        try check(inputChannels == 1 || inputChannels == 3, "inputChannels", "1 or 3", inputChannels)
        try check(inputHeight >= 8 && inputWidth >= 8, "input size", ">= 8x8", "\(inputHeight)x\(inputWidth)")
        try check(inputHeight <= Self.maximumInputSize && inputWidth <= Self.maximumInputSize, "input size",
                  "<= \(Self.maximumInputSize)x\(Self.maximumInputSize) pixels", "\(inputHeight)x\(inputWidth)")
        try check(hiddenSize >= 1 && projectionSize >= 1, "hiddenSize and projectionSize", ">= 1", "\(hiddenSize), \(projectionSize)")
        try check(hiddenSize <= Self.maximumHiddenSize, "hiddenSize", "<= \(Self.maximumHiddenSize) (64 times the widest width)", hiddenSize)
        try check(projectionSize <= Self.maximumProjectionSize, "projectionSize", "<= \(Self.maximumProjectionSize)", projectionSize)
        try check(temperature > 0, "temperature (tau)", "> 0", temperature)
        try check(temperature.isFinite, "temperature (tau)", "a finite number", temperature)
        if let redundancyWeight {
            try check(redundancyWeight >= 0 && redundancyWeight.isFinite, "redundancyWeight (Barlow Twins' lambda)",
                      "a finite number >= 0", redundancyWeight)
        }
        try check((paradigm == .barlowtwins) == (redundancyWeight != nil), "redundancyWeight",
                  "set for Barlow Twins and only for it", redundancyWeight.map { "\($0)" } ?? "nil")
        try check(batchSize >= 2, "batchSize", ">= 2 (batch statistics need two samples)", batchSize)
        try check(batchSize <= Self.maximumBatchSize, "batchSize", "<= \(Self.maximumBatchSize)", batchSize)
        try check(epochs >= 1, "epochs", ">= 1", epochs)
        try check(epochs <= Self.maximumEpochs, "epochs", "<= \(Self.maximumEpochs)", epochs)
        try check(learningRate > 0 && learningRate.isFinite, "learningRate", "a finite number > 0", learningRate)
        try check(warmupEpochs >= 0 && warmupEpochs <= Double(epochs), "warmupEpochs", "in 0...epochs (\(epochs))", warmupEpochs)
        try check((0..<1).contains(momentum), "momentum", "in [0, 1)", momentum)
        try check(weightDecay >= 0, "weightDecay", ">= 0", weightDecay)
        try check(weightDecay.isFinite, "weightDecay", "a finite number", weightDecay)
        try check(predictorLearningRateScale > 0, "predictorLearningRateScale", "> 0", predictorLearningRateScale)
        try check(predictorLearningRateScale.isFinite, "predictorLearningRateScale", "a finite number", predictorLearningRateScale)
        try check((0...1).contains(targetMomentum), "targetMomentum", "in [0, 1]", targetMomentum)
        try check(monitorSampleCount >= 0, "monitorSampleCount", ">= 0", monitorSampleCount)
        if let normalization {
            try check(normalization.mean.count == inputChannels, "normalization", "\(inputChannels) channels", normalization.mean.count)
            try check(normalization.std.count == inputChannels, "normalization", "\(inputChannels) stds", normalization.std.count)
            try check((normalization.mean + normalization.std).allSatisfy(\.isFinite) && normalization.std.allSatisfy { $0 > 0 },
                      "normalization", "finite means and stds > 0", "means \(normalization.mean), stds \(normalization.std)")
        }
        try check(arithmeticPrecision == .fp32 || visionTransformer == nil, "precision",
                  "fp32 with a ViT backbone (bf16 applies to a ResNet's convolutions)", arithmeticPrecision.rawValue)
        try dataParallelism?.validate(batchSize: batchSize)
        try regularizer.validate()
        try sghmc.validate()
        try clusterHead?.validate()
        if let supportSetSize {
            try check(paradigm == .infonce, "the paradigm of a support set (nearest-neighbour positives)",
                      "infonce: the neighbours replace InfoNCE's positives", paradigm.rawValue)
            try check((1...SupportSet.maximumSize).contains(supportSetSize), "support set size",
                      "in 1...\(SupportSet.maximumSize) (0 turns it off)", supportSetSize)
            try check(dataParallelism == nil, "the process count of a support set (nearest-neighbour positives)",
                      "1: the ranks would each search their own support set", dataParallelism?.processCount ?? 1)
        }
        do { try augmentation.validate() } catch {
            throw TrainingError.invalidSetting(name: "augmentation", value: "\(error)", expected: "valid settings")
        }
    }

    /// The settings as pretty, key-sorted JSON (the run's `settings.json`).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
