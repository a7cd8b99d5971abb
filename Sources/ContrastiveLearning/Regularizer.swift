// The NRCC regularizer (the paper's Eqs. 5-6 with the sign of its Eqs. 10-14, SPEC §2).
import Basics
import Foundation
import TensorCore

/// Which network encodes the SGHMC views x^c into w^c.
public enum ContrastEncoder: String, Sendable, Codable, CaseIterable {
    /// The target (EMA) network f̄+ḡ: the paper's choice.
    case target
    /// The online network f+g, detached: what the authors' code does.
    case online
}

/// Every setting of the NRCC regularizer, with SPEC §2's two presets.
public struct RegularizerSettings: Sendable, Codable, Equatable {
    /// The two resolutions of the paper's open points (SPEC's preamble).
    public enum Preset: String, Sendable, Codable, CaseIterable {
        /// What the paper says, with its sign fixed: lambda 0.1, tau_r 0.1, beta 1, both
        /// views anchor, w^c from the target network.
        case paper
        /// What the authors' code does: lambda 0.1, tau_r 0.5, beta 0, view a only, w^c from
        /// the online network detached.
        case reference

        /// The CPU default's preset. The paper's cancels itself in short runs (at tau_r 0.1
        /// both log-sum-exps are dominated by views of the anchor's own image, and beta 1
        /// subtracts one from the other) and lets the features of a paradigm without negatives
        /// shrink: BYOL on the digits, 40 epochs, ends at ACC 0.39 with it against 0.79 with
        /// the reference preset, a uniformity term that keeps the spread, and 0.72 without
        /// NRCC. Hence the reference preset for BYOL, SimSiam and Barlow Twins, which have no
        /// negatives of their own; InfoNCE's denominator already spreads the batch and measures
        /// alike under both (docs/nrcc-regularizer.md), and keeps the paper's.
        public static func cpuDefault(for paradigm: Paradigm) -> Preset {
            paradigm == .infonce ? .paper : .reference
        }
    }

    /// Whether a paradigm trains with the regularizer when not told. Off for InfoNCE: over
    /// three training seeds on each of the digits, COIL-20 and USPS, InfoNCE + NRCC (SGHMC)
    /// against InfoNCE alone at equal epochs moves ACC without k by -3.3 +- 8.2, -12.8 +- 25.1
    /// and +5.4 +- 15.7 points and the kNN accuracy by nothing or less, while a step without
    /// it costs 1/1.4 of the time: at equal time InfoNCE alone trains 1.4 times the epochs
    /// (docs/nrcc-regularizer.md, docs/defaults.md). On for the paradigms without negatives,
    /// where the reference preset adds the uniformity they lack (BYOL: kNN +2.9 points on
    /// every seed; SimSiam +4.2).
    public static func isOnByDefault(for paradigm: Paradigm) -> Bool {
        paradigm != .infonce
    }

    /// The regularizer's settings when no preset is named: `Preset.cpuDefault(for:)`'s, with
    /// BYOL's weight raised from the preset's 0.1 to `cpuBYOLWeight`. The reference preset's R
    /// is a uniformity term, and a CPU budget's BYOL, averaged over 8 views, clusters better
    /// without k with more of it: at the 3-minute budget (training seed 0; the digits over
    /// seeds 0-2) lambda 0.1, 1 and 3 give ACC 0.877, 0.892 and 0.911 on the digits, 0.733,
    /// 0.812 and 0.864 on USPS, 0.664, 0.745 and 0.808 on COIL-20, 0.510, 0.543 and 0.537 on
    /// Fashion-MNIST's test images; the CIFAR-10 subset stays near chance (kNN accuracy falls
    /// with the weight there, 6 epochs being too few to align views against a strong
    /// uniformity term). With k-means given k, 1 is ahead of 3 on the digits and Fashion-MNIST
    /// and behind on USPS and COIL-20 (docs/nrcc-regularizer.md, "BYOL's regularizer weight
    /// with views and batches of 64"). SimSiam and Barlow Twins keep the preset's weight: lambda
    /// 3 leaves SimSiam level without k (behind on COIL-20) and puts Barlow Twins behind on USPS
    /// and COIL-20 ("SimSiam's and Barlow Twins' regularizer weight on more sets").
    public static func cpuDefault(for paradigm: Paradigm) -> RegularizerSettings {
        var settings = RegularizerSettings(preset: .cpuDefault(for: paradigm))
        if paradigm == .byol { settings.weight = cpuBYOLWeight }
        return settings
    }

    /// BYOL's lambda when no preset is named.
    public static let cpuBYOLWeight: Float = 3

    /// lambda: weight of R in the total loss `L + lambda R`.
    public var weight: Float
    /// tau_r: temperature of both log-sum-exps.
    public var temperature: Float
    /// beta: weight of the positive-view log-sum-exp that is subtracted.
    public var beta: Float
    /// Anchor both views a and b (symmetric) or view a only.
    public var symmetric: Bool
    /// Which network encodes x^c.
    public var contrastEncoder: ContrastEncoder
    /// Leave j == i out of both log-sum-exps.
    public var masksDiagonal: Bool

    public init(weight: Float = 0.1, temperature: Float = 0.1, beta: Float = 1, symmetric: Bool = true,
                contrastEncoder: ContrastEncoder = .target, masksDiagonal: Bool = false) {
        self.weight = weight
        self.temperature = temperature
        self.beta = beta
        self.symmetric = symmetric
        self.contrastEncoder = contrastEncoder
        self.masksDiagonal = masksDiagonal
    }

    /// The settings of `preset`.
    public init(preset: Preset) {
        switch preset {
        case .paper:
            self.init()
        case .reference:
            self.init(weight: 0.1, temperature: 0.5, beta: 0, symmetric: false, contrastEncoder: .online)
        }
    }

    /// Throws `TrainingError.invalidSetting` for the first value out of range.
    public func validate() throws {
        guard weight >= 0, weight.isFinite else {
            throw TrainingError.invalidSetting(name: "regularizer.weight (lambda)", value: "\(weight)", expected: "a finite number >= 0")
        }
        guard temperature > 0, temperature.isFinite else {
            throw TrainingError.invalidSetting(name: "regularizer.temperature (tau_r)", value: "\(temperature)", expected: "a finite number > 0")
        }
        guard beta.isFinite else {
            throw TrainingError.invalidSetting(name: "regularizer.beta", value: "\(beta)", expected: "a finite number")
        }
    }
}

/// The NRCC regularizer R (SPEC §2):
///
///     R = mean over i and anchor views v of
///         LSE_j( <u^v_i, w^c_j> / tau_r )  -  beta LSE_j( <u^v_i, w^v'_j> / tau_r )
///
/// u = L2-normalised online projections (no predictor); w^c = L2-normalised projections of
/// the SGHMC views x^c; w^v' = L2-normalised projections of the other view. Both w are
/// constants (stop-gradient): R's gradient reaches only u. j runs over the batch, j == i
/// included unless `settings.masksDiagonal`.
///
/// - Parameters:
///   - anchors: u for each anchor view, [N, D] each: `[u^a, u^b]` (symmetric) or `[u^a]`.
///   - contrast: w^c, [N, D].
///   - otherViews: w^v' for each anchor, same count as `anchors`: `[w^b, w^a]` or `[w^b]`.
///   - settings: tau_r, beta and the mask (the weight lambda is applied by the caller).
/// - Returns: a scalar.
public func nrccRegularizer(anchors: [Tensor], contrast: Tensor, otherViews: [Tensor],
                            settings: RegularizerSettings) -> Tensor {
    checkArgument(!anchors.isEmpty && anchors.count == otherViews.count,
                 "nrccRegularizer: \(anchors.count) anchors but \(otherViews.count) other views")
    let shape = contrast.shape
    checkArgument(contrast.rank == 2, "nrccRegularizer: contrast must be [N, D], got \(shape)")
    for tensor in anchors + otherViews {
        checkArgument(tensor.shape == shape, "nrccRegularizer: contrast has shape \(shape), another input has \(tensor.shape)")
    }
    let n = shape[0]
    let scale = 1 / settings.temperature
    let mask = settings.masksDiagonal ? exclusionMask(size: n, excluding: [Array(0..<n)]) : nil
    func logSumExp(_ u: Tensor, _ w: Tensor) -> Tensor {
        let logits = matmul(u, w, transposeB: true) * scale
        return (mask.map { logits + $0 } ?? logits).logSumExp()  // [N]
    }
    let contrastUnit = contrast.detached().l2NormalizedRows()
    var total: Tensor?
    for (anchor, other) in zip(anchors, otherViews) {
        let u = anchor.l2NormalizedRows()
        var term = logSumExp(u, contrastUnit)
        if settings.beta != 0 {
            term = term - settings.beta * logSumExp(u, other.detached().l2NormalizedRows())
        }
        let mean = term.mean()
        total = total.map { $0 + mean } ?? mean
    }
    return total! * (1 / Float(anchors.count))
}

/// What the regularizer does in one step, for the monitors: its two log-sum-exp terms, the
/// size of the gradient each sends to the anchors, and how far the negatives it contrasts
/// lie from the anchors, SGHMC's views against the other augmented view (the paper's
/// Tables 1 and 13: mean and std of the Euclidean distance of negative pairs, embedded).
public struct RegularizerTerms: Sendable, Codable, Equatable {
    /// Means over anchors of LSE_j(<u_i, w^c_j> / tau_r) and of beta LSE_j(<u_i, w^v'_j> / tau_r).
    public var negativeTerm: Double
    public var positiveTerm: Double
    /// Means over anchors of the norm of each term's gradient with respect to u_i:
    /// |(1 / tau_r) sum_j softmax_j w_j| (times beta for the positive term).
    public var negativeGradient: Double
    public var positiveGradient: Double
    /// Mean and std of |u_i - w^c_j| over pairs j != i (SGHMC negatives), unit vectors.
    public var sghmcDistanceMean: Double
    public var sghmcDistanceStd: Double
    /// Mean and std of |u_i - w^v'_j| over pairs j != i (the other view's negatives).
    public var augmentationDistanceMean: Double
    public var augmentationDistanceStd: Double
    /// Mean |u_i - w^c_i|: how far each SGHMC view lies from its own anchor, against mean
    /// |u_i - w^v'_i|, the ordinary positive pair. When the two are alike and beta is 1, the
    /// two log-sum-exps (both dominated by j = i at small tau_r) cancel and R does nothing.
    public var sghmcSeedDistance: Double = 0
    public var positivePairDistance: Double = 0

    public init(negativeTerm: Double = 0, positiveTerm: Double = 0, negativeGradient: Double = 0,
                positiveGradient: Double = 0, sghmcDistanceMean: Double = 0, sghmcDistanceStd: Double = 0,
                augmentationDistanceMean: Double = 0, augmentationDistanceStd: Double = 0,
                sghmcSeedDistance: Double = 0, positivePairDistance: Double = 0) {
        self.negativeTerm = negativeTerm
        self.positiveTerm = positiveTerm
        self.negativeGradient = negativeGradient
        self.positiveGradient = positiveGradient
        self.sghmcDistanceMean = sghmcDistanceMean
        self.sghmcDistanceStd = sghmcDistanceStd
        self.augmentationDistanceMean = augmentationDistanceMean
        self.augmentationDistanceStd = augmentationDistanceStd
        self.sghmcSeedDistance = sghmcSeedDistance
        self.positivePairDistance = positivePairDistance
    }

    /// The element-wise mean of `terms`.
    public static func mean(_ terms: [RegularizerTerms]) -> RegularizerTerms? {
        guard !terms.isEmpty else { return nil }
        let n = Double(terms.count)
        func average(_ field: KeyPath<RegularizerTerms, Double>) -> Double { terms.reduce(0) { $0 + $1[keyPath: field] } / n }
        return RegularizerTerms(
            negativeTerm: average(\.negativeTerm), positiveTerm: average(\.positiveTerm),
            negativeGradient: average(\.negativeGradient), positiveGradient: average(\.positiveGradient),
            sghmcDistanceMean: average(\.sghmcDistanceMean), sghmcDistanceStd: average(\.sghmcDistanceStd),
            augmentationDistanceMean: average(\.augmentationDistanceMean),
            augmentationDistanceStd: average(\.augmentationDistanceStd),
            sghmcSeedDistance: average(\.sghmcSeedDistance), positivePairDistance: average(\.positivePairDistance))
    }
}

/// The monitors of `nrccRegularizer` on the same inputs, computed on plain values (no graph);
/// `negativeTerm - positiveTerm` is R.
public func regularizerTerms(anchors: [Tensor], contrast: Tensor, otherViews: [Tensor],
                             settings: RegularizerSettings) -> RegularizerTerms {
    withoutGradient { measureRegularizer(anchors: anchors, contrast: contrast, otherViews: otherViews, settings: settings) }
}

private func measureRegularizer(anchors: [Tensor], contrast: Tensor, otherViews: [Tensor],
                                settings: RegularizerSettings) -> RegularizerTerms {
    let n = contrast.shape[0], d = contrast.shape[1]
    let scale = Double(1 / settings.temperature)
    let contrastUnit = contrast.detached().l2NormalizedRows()
    var sums = RegularizerTerms()
    var sghmc = (sum: 0.0, squares: 0.0), augmentation = (sum: 0.0, squares: 0.0)
    for (anchor, other) in zip(anchors, otherViews) {
        let u = anchor.detached().l2NormalizedRows()
        for (w, isContrast) in [(contrastUnit, true), (other.detached().l2NormalizedRows(), false)] {
            let dots = matmul(u, w, transposeB: true).scalars
            var term = 0.0, gradient = 0.0
            var softmax = [Float](repeating: 0, count: n * n)
            for i in 0..<n {
                let masked = settings.masksDiagonal ? i : -1
                var peak = -Double.infinity
                for j in 0..<n where j != masked { peak = max(peak, Double(dots[i * n + j]) * scale) }
                var total = 0.0
                for j in 0..<n where j != masked {
                    let weight = exp(Double(dots[i * n + j]) * scale - peak)
                    softmax[i * n + j] = Float(weight)
                    total += weight
                }
                term += peak + log(total)
                for j in 0..<n { softmax[i * n + j] /= Float(total) }
                let own = max(0, 2 - 2 * Double(dots[i * n + i])).squareRoot()
                if isContrast { sums.sghmcSeedDistance += own } else { sums.positivePairDistance += own }
                for j in 0..<n where j != i {
                    let distance = max(0, 2 - 2 * Double(dots[i * n + j])).squareRoot()
                    if isContrast {
                        sghmc.sum += distance
                        sghmc.squares += distance * distance
                    } else {
                        augmentation.sum += distance
                        augmentation.squares += distance * distance
                    }
                }
            }
            // Row i of softmax x w is sum_j softmax_ij w_j; times 1 / tau, the gradient of term i.
            let directions = matmul(Tensor(shape: [n, n], scalars: softmax), w).scalars
            for i in 0..<n {
                gradient += scale * Double(squaredNorm(ofRow: i, of: directions, width: d).squareRoot())
            }
            if isContrast {
                sums.negativeTerm += term / Double(n)
                sums.negativeGradient += gradient / Double(n)
            } else {
                sums.positiveTerm += Double(settings.beta) * term / Double(n)
                sums.positiveGradient += abs(Double(settings.beta)) * gradient / Double(n)
            }
        }
    }
    let anchorCount = Double(anchors.count)
    let pairs = anchorCount * Double(n * max(1, n - 1))
    func spread(_ s: (sum: Double, squares: Double)) -> (Double, Double) {
        let mean = s.sum / pairs
        return (mean, max(0, s.squares / pairs - mean * mean).squareRoot())
    }
    (sums.sghmcDistanceMean, sums.sghmcDistanceStd) = spread(sghmc)
    (sums.augmentationDistanceMean, sums.augmentationDistanceStd) = spread(augmentation)
    sums.sghmcSeedDistance /= anchorCount * Double(n)
    sums.positivePairDistance /= anchorCount * Double(n)
    sums.negativeTerm /= anchorCount
    sums.positiveTerm /= anchorCount
    sums.negativeGradient /= anchorCount
    sums.positiveGradient /= anchorCount
    return sums
}

/// The squared norm of row `row` of the row-major `values`, `width` floats per row.
private func squaredNorm(ofRow row: Int, of values: [Float], width: Int) -> Float {
    values.withUnsafeBufferPointer { dotProduct($0.baseAddress! + row * width, $0.baseAddress! + row * width, count: width) }
}
