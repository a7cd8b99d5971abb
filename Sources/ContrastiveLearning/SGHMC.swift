// The hard negative views x^c: one or more SGHMC steps in pixel space (the paper's
// Algorithm 1 as the authors' code resolves it, SPEC §3).
import NeuralNetworks
import Basics
import TensorCore

/// The settings of the SGHMC view generator, with SPEC §3's values as defaults.
public struct SGHMCSettings: Sendable, Codable, Equatable {
    /// The update rule; the two ablations of the paper's Table 8 are variants, not forks.
    public enum Variant: String, Sendable, Codable, CaseIterable {
        /// Stochastic gradient HMC: `p = (1 - delta1) p - delta2 g + delta3 xi`.
        case sghmc
        /// Plain leapfrog on E, no friction and no noise: `p = p - delta2 g`.
        case hmc
        /// Random walk, no gradient: `p = (1 - delta1) p + delta3 xi`.
        case mc
        /// No sampling: x^c is a third ordinary augmentation of the sample (the "NRCC without
        /// SGHMC" rows of the paper's Table 2). The trainer supplies it; `sghmcViews` is not used.
        case augmentation
        /// SGHMC with the energy's gradient at the noise's size: `p = (1 - delta1) p - g / rms(g)
        /// + delta3 xi`, the root mean square taken image by image, no clamp. At SPEC's constants
        /// the term `delta2 clamp(g)` moves a pixel by at most 0.0025 against the noise's 0.05,
        /// so SGHMC's views are noise (docs/nrcc-regularizer.md); here the energy moves x as far
        /// as the noise does.
        case normalized
    }

    /// The update rule (SGHMC or one of the two ablations).
    public var variant: Variant
    /// delta1: the friction.
    public var friction: Float
    /// delta2: the step size (of both the momentum and the position update).
    public var stepSize: Float
    /// delta3: the scale of the injected noise.
    public var noiseScale: Float
    /// zeta: the number of steps (the paper's Table 13 sweeps 1...13).
    public var steps: Int
    /// Each component of grad_x E is clamped to [-c, c].
    public var gradientClamp: Float
    /// When set, the energy sees the images resized bilinearly to this square size (the
    /// authors resample to 32 pixels); x^c keeps the input size.
    public var resampleSize: Int?

    public init(variant: Variant = .sghmc, friction: Float = 0.1, stepSize: Float = 0.05, noiseScale: Float = 0.99,
                steps: Int = 1, gradientClamp: Float = 1, resampleSize: Int? = nil) {
        self.variant = variant
        self.friction = friction
        self.stepSize = stepSize
        self.noiseScale = noiseScale
        self.steps = steps
        self.gradientClamp = gradientClamp
        self.resampleSize = resampleSize
    }

    /// The most SGHMC steps per view: each is a forward and a backward pass of the batch and
    /// holds one noise tensor the size of the batch (the paper's Table 13 sweeps 1...13).
    public static let maximumSteps = 100

    /// Whether each step needs grad_x E (SGHMC and HMC; MC moves by noise alone).
    public var usesEnergyGradient: Bool { variant == .sghmc || variant == .hmc || variant == .normalized }
    /// The largest `resampleSize`, in pixels (the authors resample to 32).
    public static let maximumResampleSize = 1024

    /// Throws `TrainingError.invalidSetting` for the first value out of range.
    public func validate() throws {
        guard steps >= 1 else {
            throw TrainingError.invalidSetting(name: "sghmc.steps (zeta)", value: "\(steps)", expected: ">= 1")
        }
        guard steps <= Self.maximumSteps else {
            throw TrainingError.invalidSetting(name: "sghmc.steps (zeta)", value: "\(steps)", expected: "<= \(Self.maximumSteps)")
        }
        guard gradientClamp > 0 else {
            throw TrainingError.invalidSetting(name: "sghmc.gradientClamp", value: "\(gradientClamp)", expected: "> 0")
        }
        for (name, value) in [("friction (delta1)", friction), ("stepSize (delta2)", stepSize), ("noiseScale (delta3)", noiseScale)] {
            guard value >= 0, value.isFinite else {
                throw TrainingError.invalidSetting(name: "sghmc.\(name)", value: "\(value)", expected: "a finite number >= 0")
            }
        }
        if let size = resampleSize, size < 8 {
            throw TrainingError.invalidSetting(name: "sghmc.resampleSize", value: "\(size)", expected: ">= 8 pixels")
        }
        if let size = resampleSize, size > Self.maximumResampleSize {
            throw TrainingError.invalidSetting(name: "sghmc.resampleSize", value: "\(size)",
                                               expected: "<= \(Self.maximumResampleSize) pixels")
        }
    }
}

/// The SGHMC energy over a batch (SPEC §3), summed over the samples i:
///
///     E = sum_i sum_j log 1 / (1 + cos(f̄(x_i), f̄(x^b_j))^2)
///
/// - Parameters:
///   - images: x, [N, C, H, W] (normalised pixels).
///   - referenceFeatures: f̄(x^b), [M, d], constants.
///   - backbone: f̄, run with batch statistics and running statistics left untouched
///     (`.trainingWithoutStatisticsUpdate`).
///   - resampleSize: when set, x is resized bilinearly to this square size first.
/// - Returns: a scalar.
public func sghmcEnergy(images: Tensor, referenceFeatures: Tensor, backbone: any Layer, resampleSize: Int? = nil) -> Tensor {
    let input = resampleSize.map { images.resizedBilinear(height: $0, width: $0) } ?? images
    return sghmcEnergy(features: backbone(input, mode: .trainingWithoutStatisticsUpdate),
                       referenceFeatures: referenceFeatures)
}

/// The SGHMC energy of features f̄(x) already computed (with batch statistics) by a forward
/// pass whose graph reaches the images: its gradient with respect to them is grad_x E.
public func sghmcEnergy(features: Tensor, referenceFeatures: Tensor) -> Tensor {
    let cosines = matmul(features.l2NormalizedRows(), referenceFeatures.detached().l2NormalizedRows(),
                         transposeB: true)
    // log 1/(1 + c^2) = -log(1 + c^2)
    return -((cosines.squared() + 1).log().sum())
}

/// The random draws of one SGHMC run: the initial momentum p ~ N(0, I) and one noise tensor
/// xi ~ N(0, I) per step, each shaped like the images.
public struct SGHMCNoise {
    /// p0, shaped like the images.
    public var initialMomentum: Tensor
    /// xi of each step, shaped like the images.
    public var stepNoise: [Tensor]

    public init(initialMomentum: Tensor, stepNoise: [Tensor]) {
        self.initialMomentum = initialMomentum
        self.stepNoise = stepNoise
    }

    /// Draws the noise for `steps` steps on images of `shape` from `generator`: p first, then
    /// xi of step 1, 2, ... (every variant draws the same, so ablations share their noise).
    public init(shape: [Int], steps: Int, generator: inout SeededGenerator) {
        initialMomentum = .randomNormal(shape, generator: &generator)
        stepNoise = (0..<steps).map { _ in .randomNormal(shape, generator: &generator) }
    }
}

/// The SGHMC views x^c of a batch (SPEC §3, Algorithm 1), seeded from view a:
///
///     x = x^a;  p = p0
///     repeat zeta times:  g = clamp(grad_x E(x), -c, c)
///                         p = (1 - delta1) p - delta2 g + delta3 xi     (variant .sghmc)
///                         x = x + delta2 p
///     x^c = sg(x)
///
/// The backbone is frozen: no parameter gradient is computed or accumulated, and no BN
/// running statistic changes.
///
/// - Parameters:
///   - seeds: x^a, [N, C, H, W].
///   - referenceFeatures: f̄(x^b), [N, d] (computed by the caller, usually already at hand
///     from the target network's forward pass over view b).
///   - backbone: f̄.
///   - settings: the update rule and its constants.
///   - noise: p0 and one xi per step (`settings.steps` of them), shaped like `seeds`.
///   - seedGradient: grad_x E at x = x^a, when the caller already has it from a forward pass
///     over the seeds that it needed anyway (the first step then skips its own).
///   - afterStep: called after each step with its number (1, 2, ...) and x as it then is
///     (read it during the call; the next step changes it): one chain gives every zeta up to
///     `settings.steps`, as the paper's Table 13 follows its views over the iterations.
/// - Returns: x^c, [N, C, H, W], a leaf with no history.
public func sghmcViews(seeds: Tensor, referenceFeatures: Tensor, backbone: any Layer,
                       settings: SGHMCSettings, noise: SGHMCNoise, seedGradient: Tensor? = nil,
                       afterStep: ((Int, Tensor) -> Void)? = nil) -> Tensor {
    checkArgument(noise.initialMomentum.shape == seeds.shape && noise.stepNoise.count >= settings.steps,
                 "sghmcViews: noise for \(noise.stepNoise.count) steps of shape \(noise.initialMomentum.shape); need \(settings.steps) of \(seeds.shape)")
    let x = seeds.copy()
    let momentum = noise.initialMomentum.copy()
    let count = x.count
    let friction = settings.friction, step = settings.stepSize, scale = settings.noiseScale
    let bound = settings.gradientClamp
    for iteration in 0..<settings.steps {
        var gradient: Tensor?
        if iteration == 0, let seedGradient, settings.usesEnergyGradient {
            checkArgument(seedGradient.shape == seeds.shape,
                          "sghmcViews: seedGradient has shape \(seedGradient.shape), seeds \(seeds.shape)")
            gradient = seedGradient
        } else if settings.usesEnergyGradient {
            let position = x.copy()
            position.requiresGradient = true
            let energy = sghmcEnergy(images: position, referenceFeatures: referenceFeatures,
                                     backbone: backbone, resampleSize: settings.resampleSize)
            gradient = gradients(of: energy, withRespectTo: [position])[0]
        }
        let xi = noise.stepNoise[iteration]
        x.withUnsafeMutableBufferPointer { x in
            momentum.withUnsafeMutableBufferPointer { p in
                xi.withUnsafeBufferPointer { xi in
                    switch settings.variant {
                    case .sghmc:
                        gradient!.withUnsafeBufferPointer { g in
                            for i in 0..<count {
                                p[i] = (1 - friction) * p[i] - step * min(max(g[i], -bound), bound) + scale * xi[i]
                            }
                        }
                    case .hmc:
                        gradient!.withUnsafeBufferPointer { g in
                            for i in 0..<count { p[i] -= step * min(max(g[i], -bound), bound) }
                        }
                    case .mc:
                        for i in 0..<count { p[i] = (1 - friction) * p[i] + scale * xi[i] }
                    case .normalized:
                        gradient!.withUnsafeBufferPointer { g in
                            let imageSize = count / seeds.shape[0]
                            for image in 0..<seeds.shape[0] {
                                let pixels = image * imageSize..<(image + 1) * imageSize
                                var sumOfSquares: Float = 0
                                for i in pixels { sumOfSquares += g[i] * g[i] }
                                let rms = (sumOfSquares / Float(imageSize)).squareRoot()
                                let gain: Float = rms > 0 ? 1 / rms : 0
                                for i in pixels { p[i] = (1 - friction) * p[i] - gain * g[i] + scale * xi[i] }
                            }
                        }
                    case .augmentation:
                        fatalError("sghmcViews: the augmentation variant makes x^c by augmenting, not sampling")
                    }
                    for i in 0..<count { x[i] += step * p[i] }
                }
            }
        }
        afterStep?(iteration + 1, x)
    }
    return x
}

/// `sghmcViews(seeds:referenceFeatures:backbone:settings:noise:seedGradient:)` with its noise drawn from
/// `generator` (see `SGHMCNoise.init(shape:steps:generator:)`).
public func sghmcViews(seeds: Tensor, referenceFeatures: Tensor, backbone: any Layer,
                       settings: SGHMCSettings, generator: inout SeededGenerator, seedGradient: Tensor? = nil,
                       afterStep: ((Int, Tensor) -> Void)? = nil) -> Tensor {
    let noise = SGHMCNoise(shape: seeds.shape, steps: settings.steps, generator: &generator)
    return sghmcViews(seeds: seeds, referenceFeatures: referenceFeatures, backbone: backbone,
                      settings: settings, noise: noise, seedGradient: seedGradient, afterStep: afterStep)
}
