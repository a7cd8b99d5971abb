import ArgumentParser
import ContrastiveLearning
import Datasets

/// The training options shared by `train`, `run` and `ablation`. Unset options take the
/// CPU defaults chosen for the dataset's image size (`TrainingConfiguration.cpuDefault`).
struct TrainingOptions: ParsableArguments {
    // InfoNCE is the default: on a CPU budget it learns in fewer epochs than BYOL (digits, 20
    // epochs: UMAP + GridShift ACC 0.77 with InfoNCE + NRCC, 0.32 with BYOL + NRCC at SPEC's
    // rate; BYOL's CPU default rate is now ten times that, docs/byol-short-runs.md).
    @Option(help: "Contrastive paradigm: infonce (the CPU default) or byol (the paper's).")
    var paradigm: Paradigm = .infonce

    @Option(help: "The NRCC regularizer: on or off.")
    var nrcc: Switch = .on

    @Option(help: "Regularizer preset: paper (the paper as published, sign fixed) or reference (what the authors' code does).")
    var preset: RegularizerSettings.Preset = .paper

    @Option(help: "Training epochs (default: what fits --minutes on this CPU).")
    var epochs: Int?

    @Option(help: "Training budget in minutes, used to choose the epochs when --epochs is not given.")
    var minutes: Double = 3

    @Option(help: "ResNet width: 64 standard, 16 narrow (the CPU default).")
    var width: Int?

    @Option(help: "ResNet depth: 18 or 34.")
    var depth: Int?

    @Option(name: .customLong("batch-size"), help: "Images per step (default 256; 64 on sets under 6,144 images, which learn from steps).")
    var batchSize: Int?

    @Option(name: .customLong("learning-rate"), help: "Base learning rate at batch 256, scaled linearly with the batch (the paper: 0.05; the CPU default: 0.05 for InfoNCE, 0.5 for BYOL).")
    var learningRate: Float?

    @Option(help: "InfoNCE temperature tau (the paper: 0.1).")
    var temperature: Float?

    @Option(name: .customLong("sghmc-steps"), help: "SGHMC steps zeta per view (the paper's Table 13 sweeps 1-13).")
    var sghmcSteps: Int?

    @Option(name: .customLong("sghmc-variant"), help: "sghmc, or the Table 8 ablations hmc and mc.")
    var sghmcVariant: SGHMCSettings.Variant?

    @Option(name: .customLong("lambda"), help: "Weight of the regularizer (default from the preset).")
    var regularizerWeight: Float?

    @Option(name: .customLong("tau-r"), help: "Temperature of the regularizer (default from the preset).")
    var regularizerTemperature: Float?

    @Option(help: "Weight beta of the positive term of the regularizer (default from the preset).")
    var beta: Float?

    @Option(name: .customLong("crop-scale"), help: "Smallest crop area of RandomResizedCrop, as a share of the image (the paper: 0.08; CPU default 0.3 on images of 32 px or less).")
    var cropScale: Float?

    @Option(name: .customLong("crop-ratio"), help: "Largest aspect stretch r of RandomResizedCrop: ratios drawn from [1/r, r] (the paper: 4/3; 1 keeps each object's proportions).")
    var cropRatio: Float?

    @Option(name: .customLong("flip"), help: "Probability of a horizontal flip (the paper: 0.5; use 0 for digits and text).")
    var flipProbability: Float?

    @Option(name: .customLong("cluster-head"), help: "Train a cluster head with K outputs beside the projector (Contrastive Clustering's cluster-level objective; K bounds the groups, GridShift still finds k; 0: off).")
    var clusterHeadSize: Int = 0

    @Option(name: .customLong("cluster-weight"), help: "Weight of the cluster head's objective.")
    var clusterWeight: Float = 1

    @Option(name: .customLong("target-momentum"), help: "BYOL's target momentum m, the EMA's base value (0.996).")
    var targetMomentum: Float?

    @Option(name: .customLong("target-momentum-schedule"), help: "BYOL's target momentum over the run: constant, or cosine from m to 1.")
    var targetMomentumSchedule: MomentumSchedule?

    @Option(name: .customLong("predictor-lr-scale"), help: "BYOL's predictor learning rate as a multiple of the encoder's (10).")
    var predictorLearningRateScale: Float?

    @Option(name: .customLong("training-seed"), help: "Seed of the training run.")
    var trainingSeed: UInt64 = 0

    enum Switch: String, ExpressibleByArgument, CaseIterable {
        case on, off
    }

    /// The resolved configuration for `dataset`, validated.
    func configuration(for dataset: ImageDataset) throws -> TrainingConfiguration {
        var configuration: TrainingConfiguration
        do {
            configuration = try TrainingConfiguration.cpuDefault(
                paradigm: paradigm, usesRegularizer: nrcc == .on, preset: preset,
                for: dataset, minutes: minutes, seed: trainingSeed)
        } catch let error as TrainingError {
            // A bad --minutes is a usage error like any other option; a bad dataset is not.
            guard case .invalidSetting = error else { throw error }
            throw ValidationError("\(error)")
        }
        if let epochs {
            configuration.epochs = epochs
            configuration.warmupEpochs = min(configuration.warmupEpochs, Double(epochs) / 10)
        }
        if let width {
            configuration.width = width
            configuration.hiddenSize = TrainingConfiguration.hiddenSize(width: width)
        }
        if let depth { configuration.depth = depth }
        if let batchSize { configuration.batchSize = batchSize }
        if batchSize != nil || learningRate != nil {
            configuration.learningRate = TrainingConfiguration.learningRate(
                base: learningRate ?? TrainingConfiguration.cpuBaseLearningRate(paradigm: paradigm),
                batchSize: configuration.batchSize)
        }
        if let temperature { configuration.temperature = temperature }
        if let sghmcSteps { configuration.sghmc.steps = sghmcSteps }
        if let sghmcVariant { configuration.sghmc.variant = sghmcVariant }
        if let regularizerWeight { configuration.regularizer.weight = regularizerWeight }
        if let regularizerTemperature { configuration.regularizer.temperature = regularizerTemperature }
        if let beta { configuration.regularizer.beta = beta }
        if let cropScale {
            guard cropScale > 0 && cropScale <= 1 else {
                throw ValidationError("--crop-scale must be in (0, 1], the smallest share of the image a crop keeps (0.3 keeps at least 30%), got \(cropScale)")
            }
            configuration.augmentation.cropScale = cropScale...1
        }
        if let cropRatio {
            guard cropRatio >= 1 && cropRatio.isFinite else {
                throw ValidationError("--crop-ratio must be at least 1 (1 keeps proportions, 4/3 is the paper's), got \(cropRatio)")
            }
            configuration.augmentation.cropRatio = (1 / cropRatio)...cropRatio
        }
        if let flipProbability { configuration.augmentation.flipProbability = flipProbability }
        if let targetMomentum { configuration.targetMomentum = targetMomentum }
        if let targetMomentumSchedule { configuration.targetMomentumSchedule = targetMomentumSchedule }
        if let predictorLearningRateScale { configuration.predictorLearningRateScale = predictorLearningRateScale }
        if clusterHeadSize != 0 { configuration.clusterHead = ClusterHeadSettings(size: clusterHeadSize, weight: clusterWeight) }
        do {
            try configuration.validate()
        } catch {
            throw ValidationError("\(error)")
        }
        return configuration
    }
}

extension Paradigm: ExpressibleByArgument {}
extension MomentumSchedule: ExpressibleByArgument {}
extension RegularizerSettings.Preset: ExpressibleByArgument {}
extension SGHMCSettings.Variant: ExpressibleByArgument {}
extension EmbeddingFeatures: ExpressibleByArgument {}
