// One optimisation step of a paradigm (BYOL, InfoNCE, SimSiam, Barlow Twins), with or without
// the NRCC regularizer.
import NeuralNetworks
import Basics
import TensorCore

/// The loss parts of one step.
public struct StepLosses: Sendable, Equatable {
    /// `contrastive + lambda regularizer + w_c cluster`.
    public var total: Float
    /// The paradigm's loss: L_BYOL, L_InfoNCE, L_SimSiam or L_BarlowTwins.
    public var contrastive: Float
    /// R, before its weight (0 when the regularizer is off).
    public var regularizer: Float
    /// L_c, the cluster head's objective before its weight (0 without the head).
    public var cluster: Float = 0
    /// R's parts, gradients and negatives' distances (nil when the regularizer is off).
    public var regularizerTerms: RegularizerTerms?
}

/// The networks, the optimiser and the step that trains them (SPEC §2, §3, §5).
///
/// A BYOL step with the regularizer:
/// 1. the target f̄+ḡ encodes both views (batch statistics, its own running statistics
///    updated): w^a, w^b, and f̄(x^b);
/// 2. SGHMC moves x^a through the energy of f̄ against f̄(x^b) to x^c (running statistics
///    untouched); the contrast encoder (target or online, per the preset) encodes it to w^c
///    with batch statistics and no statistics update;
/// 3. the online f+g+q encodes both views; `L_BYOL + lambda R` is differentiated; SGD steps;
///    the target moves toward the online parameters by EMA.
/// InfoNCE, SimSiam and Barlow Twins have one network: the online pass comes first and f(x^b),
/// z^a, z^b, detached, play the target's parts.
public final class ContrastiveStep {
    /// The settings of the networks, losses and optimiser.
    public let configuration: TrainingConfiguration
    /// The online (and target) networks being trained.
    public let networks: ContrastiveNetworks
    /// With a ResNet, SGD over f+g and the cluster head (group 0) and q (group 1, learning rate
    /// x `predictorLearningRateScale`). With a Vision Transformer, AdamW over the same two sets,
    /// each split in two: weight matrices decayed, and norms, biases, the class token and the
    /// position embeddings not (groups 0 and 1; q's in 2 and 3).
    public let optimizer: any Optimizer
    /// The nearest-neighbour positives' support set (nil unless `supportSetSize` is set).
    public let supportSet: SupportSet?
    /// The ranks this step trains with (data parallelism), or a single process.
    public let collective: any Collective
    /// Averages the gradients over the ranks (nil on one process).
    private let gradientAverager: GradientAverager?

    /// The bytes of gradient the last step averaged over the ranks and the seconds that took
    /// (0 and 0 on one process).
    public var lastGradientAverage: (bytes: Int, seconds: Double) {
        (gradientAverager?.lastBytes ?? 0, gradientAverager?.lastSeconds ?? 0)
    }

    /// Networks initialised from the configuration's seed and a fresh optimiser, training
    /// alone or as one rank of `collective` (every rank draws the same initial weights from
    /// the seed).
    public init(configuration: TrainingConfiguration, collective: any Collective = SingleProcess()) {
        checkArgument((configuration.dataParallelism?.processCount ?? 1) == collective.size,
                      "ContrastiveStep: the configuration is for \(configuration.dataParallelism?.processCount ?? 1) processes, the collective has \(collective.size)")
        self.configuration = configuration
        self.collective = collective
        networks = ContrastiveNetworks(configuration: configuration)
        supportSet = configuration.supportSetSize.map { SupportSet(capacity: $0, dimension: configuration.projectionSize) }
        let clusterHead = networks.clusterHead?.namedParameters ?? []
        let encoder = networks.backbone.namedParameters + networks.projector.namedParameters + clusterHead
        let predictor = networks.predictor?.namedParameters
        gradientAverager = collective.size > 1
            ? GradientAverager(parameters: (encoder + (predictor ?? [])).map(\.tensor), collective: collective) : nil
        if configuration.visionTransformer != nil {
            var groups: [AdamW.ParameterGroup] = []
            for (parameters, scale) in [(encoder, 1), (predictor, configuration.predictorLearningRateScale)] {
                guard let parameters else { continue }
                let decayed = parameters.filter(Self.isDecayed)
                groups.append(AdamW.ParameterGroup(parameters: decayed.map(\.tensor), learningRateScale: scale,
                                                   weightDecay: configuration.weightDecay))
                groups.append(AdamW.ParameterGroup(parameters: parameters.filter { !Self.isDecayed($0) }.map(\.tensor),
                                                   learningRateScale: scale, weightDecay: 0))
            }
            optimizer = AdamW(groups: groups)
            return
        }
        var groups = [SGD.ParameterGroup(parameters: encoder.map(\.tensor), weightDecay: configuration.weightDecay)]
        if let predictor {
            groups.append(SGD.ParameterGroup(parameters: predictor.map(\.tensor),
                                             learningRateScale: configuration.predictorLearningRateScale,
                                             weightDecay: configuration.weightDecay))
        }
        optimizer = SGD(groups: groups, momentum: configuration.momentum)
    }

    /// Whether AdamW decays a parameter: the weight matrices and convolutions do; norms,
    /// biases (one axis), the class token and the position embeddings do not (timm's
    /// `no_weight_decay` and the usual ViT recipe).
    static func isDecayed(_ parameter: NamedTensor) -> Bool {
        let name = parameter.name.split(separator: ".").last.map(String.init) ?? parameter.name
        return parameter.tensor.rank >= 2 && name != "cls_token" && name != "pos_embed"
    }

    /// One step on views a and b ([N, C, H, W] each, normalised): forward, loss, backward,
    /// SGD with `learningRate`, then the EMA with `targetMomentum` (BYOL). `images` are the
    /// batch's image indices, which keep an image's own embeddings out of its nearest-neighbour
    /// search (with a support set; nil: every row counts as another image).
    ///
    /// The parameters are updated only when the loss is finite; a non-finite loss leaves the
    /// networks as they were (gradients cleared) and returns it for the caller to stop on.
    /// `sghmcGenerator` supplies the SGHMC noise. `viewC` is x^c itself, a third augmented
    /// view, when the SGHMC variant is `.augmentation` (and is ignored otherwise).
    ///
    /// As one rank of several, the views are this rank's rows of the global batch; the losses
    /// returned are the ranks' means (non-finite on all ranks when on any), and the gradients
    /// are averaged over the ranks before SGD, so every rank takes the same step.
    @discardableResult
    public func step(viewA: Tensor, viewB: Tensor, viewC: Tensor? = nil, images: [Int]? = nil,
                     learningRate: Float, targetMomentum: Float,
                     sghmcGenerator: inout SeededGenerator, injectsNonFiniteLoss: Bool = false) -> StepLosses {
        let synchronizesBatchNorm = collective.size > 1 && configuration.dataParallelism?.synchronizesBatchNorm == true
        return BatchStatistics.$collective.withValue(synchronizesBatchNorm ? collective : nil) {
            localStep(viewA: viewA, viewB: viewB, viewC: viewC, images: images, learningRate: learningRate, targetMomentum: targetMomentum,
                      sghmcGenerator: &sghmcGenerator, injectsNonFiniteLoss: injectsNonFiniteLoss)
        }
    }

    private func localStep(viewA: Tensor, viewB: Tensor, viewC: Tensor?, images: [Int]?, learningRate: Float, targetMomentum: Float,
                           sghmcGenerator: inout SeededGenerator, injectsNonFiniteLoss: Bool) -> StepLosses {
        let settings = configuration.regularizer
        let useRegularizer = configuration.usesRegularizer && settings.weight > 0
        let backbone = networks.backbone, projector = networks.projector
        var contrastive: Tensor
        var regularizer: Tensor?
        var terms: RegularizerTerms?
        var onlineFeatures: (a: Tensor, b: Tensor)
        var supportUpdate: Tensor?
        switch configuration.paradigm {
        case .byol:
            let targetBackbone = networks.targetBackbone!, targetProjector = networks.targetProjector!
            // f̄(x^a) is also where SGHMC's energy starts: recorded (for the seeds' gradient
            // only; the target has no parameter gradients) when SGHMC will need it.
            let seeds = sharesSeedForward ? viewA.copy() : viewA
            seeds.requiresGradient = sharesSeedForward
            let featuresA = sharesSeedForward ? targetBackbone(seeds, mode: .training)
                : withoutGradient { targetBackbone(viewA, mode: .training) }
            let (featuresB, targetA, targetB) = withoutGradient { () -> (Tensor, Tensor, Tensor) in
                let featuresB = targetBackbone(viewB, mode: .training)
                return (featuresB, targetProjector(featuresA.detached(), mode: .training),
                        targetProjector(featuresB, mode: .training))
            }
            var contrast: Tensor?
            if useRegularizer {
                let encoder: (any Backbone, ProjectionHead) = settings.contrastEncoder == .target
                    ? (targetBackbone, targetProjector) : (backbone, projector)
                let seedGradient = sharesSeedForward
                    ? gradients(of: sghmcEnergy(features: featuresA, referenceFeatures: featuresB), withRespectTo: [seeds])[0]
                    : nil
                contrast = contrastViews(seeds: viewA, viewB: viewB, viewC: viewC, referenceFeatures: featuresB,
                                         energyBackbone: targetBackbone, encoder: encoder, seedGradient: seedGradient,
                                         generator: &sghmcGenerator)
            }
            onlineFeatures = (backbone(viewA, mode: .training), backbone(viewB, mode: .training))
            let onlineA = projector(onlineFeatures.a, mode: .training)
            let onlineB = projector(onlineFeatures.b, mode: .training)
            let predictor = networks.predictor!
            contrastive = byolLoss(predictionA: predictor(onlineA, mode: .training),
                                   predictionB: predictor(onlineB, mode: .training),
                                   targetA: targetA, targetB: targetB)
            if let contrast {
                let anchors = settings.symmetric ? [onlineA, onlineB] : [onlineA]
                let others = settings.symmetric ? [targetB, targetA] : [targetB]
                regularizer = nrccRegularizer(anchors: anchors, contrast: contrast, otherViews: others, settings: settings)
                terms = regularizerTerms(anchors: anchors, contrast: contrast, otherViews: others, settings: settings)
            }
        case .infonce, .simsiam, .barlowtwins:
            // The online f(x^a) is also where SGHMC's energy starts: its graph reaches the
            // seeds when SGHMC will need their gradient, and is kept for the loss.
            let seeds = sharesSeedForward ? viewA.copy() : viewA
            seeds.requiresGradient = sharesSeedForward
            let featuresA = backbone(seeds, mode: .training)
            let featuresB = backbone(viewB, mode: .training)
            onlineFeatures = (featuresA, featuresB)
            let onlineA = projector(featuresA, mode: .training)
            let onlineB = projector(featuresB, mode: .training)
            switch configuration.paradigm {
            case .simsiam:
                let predictor = networks.predictor!
                contrastive = simSiamLoss(predictionA: predictor(onlineA, mode: .training),
                                          predictionB: predictor(onlineB, mode: .training),
                                          projectionA: onlineA, projectionB: onlineB)
            case .barlowtwins:
                contrastive = barlowTwinsLoss(onlineA, onlineB, offDiagonalWeight: configuration.redundancyWeight!)
            default:
                (contrastive, supportUpdate) = infoNCELoss(onlineA, onlineB, images: images)
            }
            if useRegularizer {
                let seedGradient = sharesSeedForward
                    ? gradients(of: sghmcEnergy(features: featuresA, referenceFeatures: featuresB.detached()),
                                withRespectTo: [seeds], retainingGraph: true)[0]
                    : nil
                seeds.requiresGradient = false  // the loss's backward pass needs no image gradient
                let contrast = contrastViews(seeds: viewA, viewB: viewB, viewC: viewC, referenceFeatures: featuresB.detached(),
                                             energyBackbone: backbone, encoder: (backbone, projector),
                                             seedGradient: seedGradient, generator: &sghmcGenerator)
                let anchors = settings.symmetric ? [onlineA, onlineB] : [onlineA]
                let others = settings.symmetric ? [onlineB.detached(), onlineA.detached()] : [onlineB.detached()]
                regularizer = nrccRegularizer(anchors: anchors, contrast: contrast, otherViews: others, settings: settings)
                terms = regularizerTerms(anchors: anchors, contrast: contrast, otherViews: others, settings: settings)
            }
        }
        var cluster: Tensor?
        if let head = networks.clusterHead, let headSettings = configuration.clusterHead {
            cluster = clusterContrastiveLoss(logitsA: head(onlineFeatures.a, mode: .training),
                                             logitsB: head(onlineFeatures.b, mode: .training),
                                             temperature: headSettings.temperature)
        }
        if injectsNonFiniteLoss { contrastive = contrastive * Float.nan }
        var total = regularizer.map { contrastive + settings.weight * $0 } ?? contrastive
        if let cluster, let headSettings = configuration.clusterHead { total = total + headSettings.weight * cluster }
        var losses = StepLosses(total: total.scalar, contrastive: contrastive.scalar, regularizer: regularizer?.scalar ?? 0,
                                cluster: cluster?.scalar ?? 0, regularizerTerms: terms)
        if collective.size > 1 {
            // The ranks' means: a non-finite loss on one rank stops them all at the same step.
            var parts = [losses.total, losses.contrastive, losses.regularizer, losses.cluster]
            collective.average(&parts)
            (losses.total, losses.contrastive, losses.regularizer, losses.cluster) = (parts[0], parts[1], parts[2], parts[3])
        }
        guard losses.total.isFinite else {
            optimizer.zeroGradients()
            return losses
        }
        total.backward()
        if let supportUpdate { supportSet?.append(supportUpdate, of: images) }
        gradientAverager?.average()
        optimizer.step(learningRate: learningRate)
        optimizer.zeroGradients()
        if let targetBackbone = networks.targetBackbone, let targetProjector = networks.targetProjector {
            targetBackbone.updateExponentialMovingAverage(toward: backbone, momentum: targetMomentum)
            targetProjector.updateExponentialMovingAverage(toward: projector, momentum: targetMomentum)
        }
        return losses
    }

    /// InfoNCE's loss for projections a and b of `images`: NT-Xent, or with a support set
    /// NNCLR's (NT-Xent while the set is still empty), and the normalised rows of a that the
    /// set takes once the step is made.
    private func infoNCELoss(_ a: Tensor, _ b: Tensor, images: [Int]?) -> (loss: Tensor, supportRows: Tensor?) {
        let temperature = configuration.temperature
        guard let supportSet else {
            return (ntXentLoss(a, b, temperature: temperature, decoupled: configuration.decoupled), nil)
        }
        let (za, zb) = withoutGradient { (a.l2NormalizedRows(), b.l2NormalizedRows()) }
        guard let neighboursA = supportSet.nearest(to: za, of: images),
              let neighboursB = supportSet.nearest(to: zb, of: images) else {
            return (ntXentLoss(a, b, temperature: temperature, decoupled: configuration.decoupled), za)
        }
        return (nearestNeighbourContrastiveLoss(a, b, neighboursA: neighboursA, neighboursB: neighboursB,
                                                temperature: temperature), za)
    }

    /// Whether the forward pass over view a that the step makes anyway (the target's for
    /// BYOL, the online network's otherwise) also gives SGHMC its first energy gradient,
    /// sparing one forward pass over the batch: so when SGHMC follows the energy's gradient
    /// through that same network with batch statistics, on the seeds as they are (not
    /// resampled). Bit for bit what SGHMC's own first forward pass would give.
    private var sharesSeedForward: Bool {
        let sghmc = configuration.sghmc
        return configuration.usesRegularizer && configuration.regularizer.weight > 0 && sghmc.usesEnergyGradient
            && sghmc.resampleSize == nil
    }

    /// w^c: SGHMC views of the batch (or, with the `.augmentation` variant, the third
    /// augmented views `viewC`), encoded by `encoder` with batch statistics and no
    /// running-statistics update, as constants.
    private func contrastViews(seeds: Tensor, viewB: Tensor, viewC: Tensor?, referenceFeatures: Tensor,
                               energyBackbone: any Backbone, encoder: (any Backbone, ProjectionHead), seedGradient: Tensor?,
                               generator: inout SeededGenerator) -> Tensor {
        let sghmc = configuration.sghmc
        if sghmc.variant == .augmentation {
            guard let viewC else { fatalError("step: the augmentation variant needs viewC, the third view") }
            return withoutGradient {
                encoder.1(encoder.0(viewC, mode: .trainingWithoutStatisticsUpdate), mode: .trainingWithoutStatisticsUpdate)
            }
        }
        var reference = referenceFeatures
        if let size = sghmc.resampleSize {
            // The energy compares resampled images, so f̄(x^b) is taken at that size too.
            reference = withoutGradient {
                energyBackbone(viewB.resizedBilinear(height: size, width: size), mode: .trainingWithoutStatisticsUpdate)
            }
        }
        let views = sghmcViews(seeds: seeds, referenceFeatures: reference, backbone: energyBackbone,
                               settings: sghmc, generator: &generator, seedGradient: seedGradient)
        return withoutGradient {
            encoder.1(encoder.0(views, mode: .trainingWithoutStatisticsUpdate), mode: .trainingWithoutStatisticsUpdate)
        }
    }
}
