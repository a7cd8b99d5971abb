import Basics
import TensorCore

/// Parameters that share a learning-rate multiplier and a weight decay (SGD's and AdamW's).
public struct ParameterGroup {
    public var parameters: [Tensor]
    /// Multiplies the learning rate given to `step` (e.g. 10 for the BYOL predictor).
    public var learningRateScale: Float
    public var weightDecay: Float

    public init(parameters: [Tensor], learningRateScale: Float = 1, weightDecay: Float = 0) {
        self.parameters = parameters
        self.learningRateScale = learningRateScale
        self.weightDecay = weightDecay
    }
}

/// Stochastic gradient descent with momentum and weight decay, PyTorch's `optim.SGD`
/// (dampening 0, not Nesterov), with per-group learning-rate multipliers.
///
/// For each parameter p with gradient g in a group with weight decay wd:
///     d = g + wd p;  v = momentum v + d;  p = p - learningRate scale v
/// (v starts at 0, which is PyTorch's first step `v = d`). Parameters without a gradient are
/// skipped, as in PyTorch.
public final class SGD {
    public typealias ParameterGroup = NeuralNetworks.ParameterGroup

    public private(set) var groups: [ParameterGroup]
    public let momentum: Float
    /// The velocity v of every parameter, group by group, in order.
    public let momentumBuffers: [[Tensor]]
    /// The number of steps taken.
    public private(set) var stepCount = 0

    public init(groups: [ParameterGroup], momentum: Float = 0.9) {
        checkArgument(momentum >= 0, "SGD: momentum (\(momentum)) must be >= 0")
        self.groups = groups
        self.momentum = momentum
        momentumBuffers = groups.map { group in group.parameters.map { Tensor.zeros($0.shape) } }
    }

    /// One group holding `parameters`.
    public convenience init(parameters: [Tensor], momentum: Float = 0.9, weightDecay: Float = 0) {
        self.init(groups: [ParameterGroup(parameters: parameters, weightDecay: weightDecay)], momentum: momentum)
    }

    /// Updates every parameter that has a gradient, with `learningRate` times its group's
    /// multiplier. Gradients are left in place; clear them with `zeroGradients()`.
    public func step(learningRate: Float) {
        for (group, buffers) in zip(groups, momentumBuffers) {
            let rate = learningRate * group.learningRateScale
            for (parameter, buffer) in zip(group.parameters, buffers) {
                guard let gradient = parameter.gradient else { continue }
                let decay = group.weightDecay, momentum = momentum
                gradient.withUnsafeBufferPointer { g in
                    buffer.withUnsafeMutableBufferPointer { v in
                        parameter.withUnsafeMutableBufferPointer { p in
                            for i in 0..<p.count {
                                let direction = g[i] + decay * p[i]
                                v[i] = momentum * v[i] + direction
                                p[i] -= rate * v[i]
                            }
                        }
                    }
                }
            }
        }
        stepCount += 1
    }

    /// Clears the gradients of all parameters.
    public func zeroGradients() {
        for group in groups { for parameter in group.parameters { parameter.zeroGradient() } }
    }

    /// The momentum buffers with checkpoint names `momentum_buffer.<group>.<index>`.
    public var namedState: [NamedTensor] {
        momentumBuffers.enumerated().flatMap { groupIndex, buffers in
            buffers.enumerated().map { index, buffer in NamedTensor("momentum_buffer.\(groupIndex).\(index)", buffer) }
        }
    }

    /// Restores the step count (saved in checkpoint metadata).
    public func restoreStepCount(_ count: Int) {
        stepCount = count
    }
}
