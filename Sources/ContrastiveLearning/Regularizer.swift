// The NRCC regularizer (the paper's Eqs. 5-6 with the sign of its Eqs. 10-14, SPEC §2).
import Basics
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
    }

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
