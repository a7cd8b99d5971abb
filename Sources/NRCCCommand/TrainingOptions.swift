import ArgumentParser
import ContrastiveLearning
import Datasets

/// The training options shared by `train`, `run` and `ablation`. Unset options take the
/// CPU defaults chosen for the dataset's image size (`TrainingConfiguration.cpuDefault`).
public struct TrainingOptions: ParsableArguments {
    public init() {}

    // InfoNCE is the default: on a CPU budget it learns in fewer epochs than BYOL (digits, 20
    // epochs: UMAP + GridShift ACC 0.77 with InfoNCE + NRCC, 0.32 with BYOL + NRCC at SPEC's
    // rate; BYOL's CPU default rate is now ten times that, docs/byol-short-runs.md).
    @Option(help: "Self-supervised paradigm: infonce (the CPU default), byol (the paper's), simsiam or barlowtwins (its Table 9).")
    var paradigm: Paradigm = .infonce

    @Option(help: "The NRCC regularizer: on or off (default: off for InfoNCE, where it measured no better at equal epochs and costs 1.4x the time; on for BYOL, SimSiam and Barlow Twins).")
    var nrcc: Switch?

    @Option(help: "Regularizer preset: paper (the paper as published, sign fixed) or reference (what the authors' code does). Default: reference for BYOL (with lambda 3), SimSiam and Barlow Twins, paper for InfoNCE.")
    var preset: RegularizerSettings.Preset?

    @Option(parsing: .unconditional, help: "Training epochs (default: what fits --minutes on this CPU).")
    var epochs: Int?

    @Option(parsing: .unconditional, help: "Training budget in minutes, used to choose the epochs when --epochs is not given.")
    var minutes: Double = 3

    @Option(parsing: .unconditional, help: "ResNet width: 64 standard, 16 narrow (the CPU default); a ViT's width follows its variant.")
    var width: Int?

    @Option(parsing: .unconditional, help: "ResNet depth: 18 or 34 (the same as --backbone resnet18 or resnet34).")
    var depth: Int?

    @Option(help: "Backbone: resnet18 (the default), resnet34, or a Vision Transformer vit-tiny, vit-small or vit-base (the paper's Table 10; trained with AdamW).")
    var backbone: BackboneArchitecture?

    @Option(name: .customLong("patch-size"), parsing: .unconditional, help: "A ViT's patch size in pixels (default: 4 up to 8 px, 2 up to 16, 4 up to 32).")
    var patchSize: Int?

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Images per step (default 256; 64 for BYOL and on sets under 6,144 images, which learn from steps).")
    var batchSize: Int?

    @Option(name: .customLong("learning-rate"), parsing: .unconditional, help: "Base learning rate at batch 256, scaled linearly with the batch (the paper: 0.05; the CPU default: 0.05 for InfoNCE, 0.5 for BYOL; AdamW for a ViT: 0.0005).")
    var learningRate: Float?

    @Option(parsing: .unconditional, help: "InfoNCE temperature tau (the paper: 0.1).")
    var temperature: Float?

    @Option(name: .customLong("redundancy-weight"), parsing: .unconditional, help: "Barlow Twins' lambda, the weight of its off-diagonal term (0.0051).")
    var redundancyWeight: Float?

    @Option(name: .customLong("sghmc-steps"), parsing: .unconditional, help: "SGHMC steps zeta per view (the paper's Table 13 sweeps 1-13).")
    var sghmcSteps: Int?

    @Option(name: .customLong("sghmc-variant"), help: "sghmc, the Table 8 ablations hmc and mc, or normalized: SGHMC with the energy's gradient rescaled per image to the noise's size (docs/nrcc-regularizer.md).")
    var sghmcVariant: SGHMCSettings.Variant?

    @Option(name: .customLong("lambda"), parsing: .unconditional, help: "Weight of the regularizer (default: 3 for BYOL unless --preset is named, the preset's otherwise).")
    var regularizerWeight: Float?

    @Option(name: .customLong("tau-r"), parsing: .unconditional, help: "Temperature of the regularizer (default from the preset).")
    var regularizerTemperature: Float?

    @Option(parsing: .unconditional, help: "Weight beta of the positive term of the regularizer (default from the preset).")
    var beta: Float?

    @Option(name: .customLong("crop-scale"), parsing: .unconditional, help: "Smallest crop area of RandomResizedCrop, as a share of the image (the paper: 0.08; CPU default 0.3 on images of 32 px or less).")
    var cropScale: Float?

    @Option(name: .customLong("crop-ratio"), parsing: .unconditional, help: "Largest aspect stretch r of RandomResizedCrop: ratios drawn from [1/r, r] (the paper: 4/3; 1 keeps each object's proportions).")
    var cropRatio: Float?

    @Option(name: .customLong("flip"), parsing: .unconditional, help: "Probability of a horizontal flip (the paper: 0.5; CPU default 0.5 on colour images, 0 on grey ones, where a flip can turn one character into another).")
    var flipProbability: Float?

    @Option(parsing: .unconditional, help: "Largest rotation of a view in degrees, drawn from [-r, r] (the paper: none).")
    var rotation: Float?

    @Option(name: .customLong("cluster-head"), parsing: .unconditional, help: "Train a cluster head with K outputs beside the projector (Contrastive Clustering's cluster-level objective; K bounds the groups, GridShift still finds k; 0: off).")
    var clusterHeadSize: Int = 0

    @Option(name: .customLong("cluster-weight"), parsing: .unconditional, help: "Weight of the cluster head's objective.")
    var clusterWeight: Float = 1

    @Option(name: .customLong("support-set"), parsing: .unconditional, help: "InfoNCE with nearest-neighbour positives (NNCLR): each view's positive is its nearest neighbour among the last N images' embeddings (0: off).")
    var supportSetSize: Int = 0

    @Option(name: .customLong("target-momentum"), parsing: .unconditional, help: "BYOL's target momentum m, the EMA's base value (0.996).")
    var targetMomentum: Float?

    @Option(name: .customLong("target-momentum-schedule"), help: "BYOL's target momentum over the run: constant, or cosine from m to 1.")
    var targetMomentumSchedule: MomentumSchedule?

    @Option(name: .customLong("predictor-lr-scale"), parsing: .unconditional, help: "The predictor's learning rate as a multiple of the encoder's (BYOL 10, SimSiam 1).")
    var predictorLearningRateScale: Float?

    @Option(name: .customLong("training-seed"), parsing: .unconditional, help: "Seed of the training run.")
    var trainingSeed: UInt64 = 0

    @Flag(name: .customLong("sync-batch-norm"), help: "With several processes (mpirun -np N): batch norm over the global batch, PyTorch's SyncBatchNorm, instead of each process's rows (one process: no effect).")
    var synchronizesBatchNorm = false

    @Option(help: "Number format of the convolutions: fp32, bf16 (bfloat16 operands, fp32 sums: AVX512_BF16 in the direct convolutions where the CPU has it, an exact emulation elsewhere, slower than fp32: for checking what bf16 does to quality) or auto (fp32 until bf16 is measured faster). (default: fp32)")
    var precision: PrecisionChoice?

    public enum Switch: String, ExpressibleByArgument, CaseIterable {
        case on, off
    }

    /// What was asked, for the library to resolve.
    public var overrides: TrainingOverrides {
        var overrides = TrainingOverrides()
        overrides.paradigm = paradigm
        overrides.usesRegularizer = nrcc.map { $0 == .on }
        overrides.preset = preset
        overrides.epochs = epochs
        overrides.minutes = minutes
        overrides.width = width
        overrides.depth = depth
        overrides.backbone = backbone
        overrides.patchSize = patchSize
        overrides.batchSize = batchSize
        overrides.learningRate = learningRate
        overrides.temperature = temperature
        overrides.redundancyWeight = redundancyWeight
        overrides.sghmcSteps = sghmcSteps
        overrides.sghmcVariant = sghmcVariant
        overrides.regularizerWeight = regularizerWeight
        overrides.regularizerTemperature = regularizerTemperature
        overrides.beta = beta
        overrides.cropScale = cropScale
        overrides.cropRatio = cropRatio
        overrides.flipProbability = flipProbability
        overrides.rotation = rotation
        overrides.clusterHeadSize = clusterHeadSize
        overrides.clusterWeight = clusterWeight
        overrides.supportSetSize = supportSetSize
        overrides.targetMomentum = targetMomentum
        overrides.targetMomentumSchedule = targetMomentumSchedule
        overrides.predictorLearningRateScale = predictorLearningRateScale
        overrides.seed = trainingSeed
        overrides.synchronizesBatchNorm = synchronizesBatchNorm
        overrides.precision = precision
        return overrides
    }

    /// What `--precision` resolved to and why, when it was given.
    public var precisionMessage: String? {
        precision.map { let (precision, reason) = $0.resolved; return "precision: \(precision.rawValue) (\(reason))" }
    }

    /// The overrides, checked by resolving them once for `dataset` (a setting out of range is
    /// a usage error), for jobs that resolve them per run.
    public func validatedOverrides(for dataset: ImageDataset) throws -> TrainingOverrides {
        _ = try resolved(overrides, for: dataset)
        return overrides
    }

    /// The resolved configuration for `dataset`, trained by `processCount` processes; a
    /// setting out of range is a usage error, and so is an option of the regularizer when it
    /// is off (it would change nothing).
    public func configuration(for dataset: ImageDataset, processCount: Int = 1) throws -> TrainingConfiguration {
        var overrides = overrides
        overrides.processCount = processCount
        let configuration = try resolved(overrides, for: dataset)
        if !configuration.usesRegularizer, let option = regularizerOptionsGiven.first {
            let why = nrcc == .off ? "--nrcc off" : "off by default for \(paradigm.displayName)"
            throw ValidationError(
                "\(option) sets the NRCC regularizer, which is \(why): add --nrcc on to train with it, or drop \(option)")
        }
        return configuration
    }

    /// `overrides` resolved for `dataset`, a setting out of range as a usage error.
    private func resolved(_ overrides: TrainingOverrides, for dataset: ImageDataset) throws -> TrainingConfiguration {
        do {
            return try overrides.configuration(for: dataset)
        } catch let error as TrainingError {
            guard case .invalidSetting = error else { throw error }
            throw ValidationError("\(error)")
        }
    }

    /// The options that only the NRCC regularizer reads, as the user gave them.
    private var regularizerOptionsGiven: [String] {
        [("--preset", preset != nil), ("--sghmc-steps", sghmcSteps != nil), ("--sghmc-variant", sghmcVariant != nil),
         ("--lambda", regularizerWeight != nil), ("--tau-r", regularizerTemperature != nil), ("--beta", beta != nil)]
            .filter(\.1).map(\.0)
    }
}

extension Paradigm: ExpressibleByArgument {}
extension BackboneArchitecture: ExpressibleByArgument {}
extension MomentumSchedule: ExpressibleByArgument {}
extension RegularizerSettings.Preset: ExpressibleByArgument {}
extension SGHMCSettings.Variant: ExpressibleByArgument {}
extension PrecisionChoice: ExpressibleByArgument {}
extension EmbeddingFeatures: ExpressibleByArgument {}
