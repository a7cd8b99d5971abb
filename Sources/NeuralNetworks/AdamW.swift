import Basics
import TensorCore

/// What a training step asks of an optimiser: SGD for ResNets, AdamW for Vision Transformers.
public protocol Optimizer: AnyObject {
    /// Updates every parameter that has a gradient, with `learningRate` times its group's
    /// multiplier.
    func step(learningRate: Float)
    /// Clears the gradients of all parameters.
    func zeroGradients()
    /// The per-parameter state with checkpoint names.
    var namedState: [NamedTensor] { get }
    /// The number of steps taken.
    var stepCount: Int { get }
    /// Restores the step count (saved in checkpoint metadata).
    func restoreStepCount(_ count: Int)
}

extension SGD: Optimizer {}

/// Adam with decoupled weight decay (Loshchilov and Hutter 2019), PyTorch's `optim.AdamW`
/// (no amsgrad), with per-group learning-rate multipliers and weight decays:
///
///     p = p (1 - lr wd);  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
///     p = p - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + epsilon)
///
/// with t the step count (1 on the first step). The usual ViT recipe puts norms, biases,
/// the class token and the position embeddings in a group with wd = 0
/// (`ContrastiveStep` does). Parameters without a gradient are skipped, as in PyTorch; t is
/// the optimiser's step count, which is PyTorch's per-parameter count when every parameter
/// gets a gradient each step.
public final class AdamW: Optimizer {
    public typealias ParameterGroup = NeuralNetworks.ParameterGroup

    public private(set) var groups: [ParameterGroup]
    /// beta1 and beta2 (0.9, 0.999).
    public let betas: (Float, Float)
    public let epsilon: Float
    /// m (`exp_avg`) and v (`exp_avg_sq`) of every parameter, group by group, in order.
    public let firstMoments: [[Tensor]]
    public let secondMoments: [[Tensor]]
    public private(set) var stepCount = 0

    public init(groups: [ParameterGroup], betas: (Float, Float) = (0.9, 0.999), epsilon: Float = 1e-8) {
        checkArgument((0..<1).contains(betas.0) && (0..<1).contains(betas.1),
                     "AdamW: betas (\(betas.0), \(betas.1)) must lie in [0, 1)")
        self.groups = groups
        self.betas = betas
        self.epsilon = epsilon
        firstMoments = groups.map { group in group.parameters.map { Tensor.zeros($0.shape) } }
        secondMoments = groups.map { group in group.parameters.map { Tensor.zeros($0.shape) } }
    }

    public func step(learningRate: Float) {
        stepCount += 1
        let (beta1, beta2) = betas, epsilon = epsilon
        let correction1 = 1 - Float(power(Double(beta1), Double(stepCount)))
        let correction2 = 1 - Float(power(Double(beta2), Double(stepCount)))
        for (groupIndex, group) in groups.enumerated() {
            let rate = learningRate * group.learningRateScale
            let shrink = 1 - rate * group.weightDecay
            for (index, parameter) in group.parameters.enumerated() {
                guard let gradient = parameter.gradient else { continue }
                gradient.withUnsafeBufferPointer { g in
                    firstMoments[groupIndex][index].withUnsafeMutableBufferPointer { m in
                        secondMoments[groupIndex][index].withUnsafeMutableBufferPointer { v in
                            parameter.withUnsafeMutableBufferPointer { p in
                                for i in 0..<p.count {
                                    p[i] *= shrink
                                    m[i] = beta1 * m[i] + (1 - beta1) * g[i]
                                    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
                                    p[i] -= rate * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + epsilon)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public func zeroGradients() {
        for group in groups { for parameter in group.parameters { parameter.zeroGradient() } }
    }

    /// The moments with checkpoint names `exp_avg.<group>.<index>` and `exp_avg_sq.<group>.<index>`.
    public var namedState: [NamedTensor] {
        func named(_ moments: [[Tensor]], _ name: String) -> [NamedTensor] {
            moments.enumerated().flatMap { groupIndex, tensors in
                tensors.enumerated().map { index, tensor in NamedTensor("\(name).\(groupIndex).\(index)", tensor) }
            }
        }
        return named(firstMoments, "exp_avg") + named(secondMoments, "exp_avg_sq")
    }

    public func restoreStepCount(_ count: Int) {
        stepCount = count
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func power(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
#elseif canImport(Darwin)
import Darwin
@inline(__always) private func power(_ x: Double, _ y: Double) -> Double { Darwin.pow(x, y) }
#endif
