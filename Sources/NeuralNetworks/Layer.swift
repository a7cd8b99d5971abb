import Basics
import TensorCore

/// A tensor of a layer with its checkpoint name (torchvision's naming, e.g.
/// `layer1.0.bn1.running_mean`).
public struct NamedTensor {
    /// The dotted name, relative to the layer that lists it.
    public var name: String
    /// The tensor itself (shared with the layer: writing it changes the layer).
    public var tensor: Tensor
    /// Whether checkpoints store it as int64 (BN's `num_batches_tracked`).
    public var isCounter: Bool

    public init(_ name: String, _ tensor: Tensor, isCounter: Bool = false) {
        self.name = name
        self.tensor = tensor
        self.isCounter = isCounter
    }

    /// The same tensor with `prefix.` in front of its name.
    public func prefixed(_ prefix: String) -> NamedTensor {
        NamedTensor(prefix.isEmpty ? name : "\(prefix).\(name)", tensor, isCounter: isCounter)
    }
}

/// A network or a part of one: a function of its input with explicit parameters.
///
/// Layers are classes that own their tensors; optimizers and EMA update those tensors in
/// place. Parameters are listed explicitly (no reflection), always in the same order.
public protocol Layer: AnyObject {
    /// Runs the layer forward; `mode` selects how batch normalisation behaves (see
    /// `ForwardMode`). Other layers ignore it.
    func callAsFunction(_ input: Tensor, mode: ForwardMode) -> Tensor

    /// The trainable tensors, with names, in a fixed order.
    var namedParameters: [NamedTensor] { get }

    /// The non-trainable state (BN running statistics and batch counters), with names.
    var namedBuffers: [NamedTensor] { get }
}

/// The encoder f of SPEC §1: images [N, C, H, W] -> features [N, featureSize]. A ResNet or a
/// Vision Transformer.
public protocol Backbone: Layer {
    /// The dimension of the output features (the projector's input size).
    var featureSize: Int { get }
}

extension Layer {
    /// The trainable tensors, in the order of `namedParameters`.
    public var parameters: [Tensor] { namedParameters.map(\.tensor) }

    /// Parameters then buffers: everything a checkpoint holds for this layer.
    public var namedState: [NamedTensor] { namedParameters + namedBuffers }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Sets `requiresGradient` on every parameter: false for a network that is only ever
    /// evaluated (the BYOL target), so that no gradient is ever accumulated into it even
    /// when its input needs one (SGHMC).
    public func setRequiresGradient(_ value: Bool) {
        for parameter in parameters { parameter.requiresGradient = value }
    }

    /// Clears the accumulated gradient of every parameter.
    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }

    /// Overwrites all parameters and buffers with those of `source`, a layer of the same
    /// architecture (how the BYOL target network starts as a copy of the online network).
    public func copyState(from source: some Layer) {
        let mine = namedState, theirs = source.namedState
        checkArgument(mine.count == theirs.count,
                     "copyState: destination has \(mine.count) tensors, source has \(theirs.count)")
        for (destination, origin) in zip(mine, theirs) {
            checkArgument(destination.name == origin.name && destination.tensor.shape == origin.tensor.shape,
                         "copyState: \(destination.name) \(destination.tensor.shape) vs \(origin.name) \(origin.tensor.shape)")
            destination.tensor.assign(origin.tensor)
        }
    }

    /// The BYOL target update, on parameters only (running statistics stay the target's own,
    /// SPEC §1): `target = momentum target + (1 - momentum) online`, with `self` the target.
    public func updateExponentialMovingAverage(toward online: some Layer, momentum: Float) {
        let mine = parameters, theirs = online.parameters
        checkArgument(mine.count == theirs.count,
                     "updateExponentialMovingAverage: target has \(mine.count) parameters, online has \(theirs.count)")
        for (target, source) in zip(mine, theirs) {
            checkArgument(target.shape == source.shape,
                         "updateExponentialMovingAverage: target shape \(target.shape), online shape \(source.shape)")
            source.withUnsafeBufferPointer { s in
                target.withUnsafeMutableBufferPointer { t in
                    for i in 0..<t.count { t[i] = momentum * t[i] + (1 - momentum) * s[i] }
                }
            }
        }
    }
}

/// Layers applied one after another; names follow PyTorch's `nn.Sequential` (`0.weight`,
/// `1.running_mean`, ...).
public final class Sequential: Layer {
    public let layers: [any Layer]

    public init(_ layers: [any Layer]) {
        self.layers = layers
    }

    public func callAsFunction(_ input: Tensor, mode: ForwardMode) -> Tensor {
        layers.reduce(input) { $1($0, mode: mode) }
    }

    public var namedParameters: [NamedTensor] {
        layers.enumerated().flatMap { index, layer in layer.namedParameters.map { $0.prefixed("\(index)") } }
    }

    public var namedBuffers: [NamedTensor] {
        layers.enumerated().flatMap { index, layer in layer.namedBuffers.map { $0.prefixed("\(index)") } }
    }
}

/// `max(x, 0)`, as a layer (no parameters).
public final class ReLU: Layer {
    public init() {}
    public func callAsFunction(_ input: Tensor, mode: ForwardMode) -> Tensor { input.relu() }
    public var namedParameters: [NamedTensor] { [] }
    public var namedBuffers: [NamedTensor] { [] }
}
