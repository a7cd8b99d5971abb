import Basics
import TensorCore

/// The projector g and predictor q of SPEC §1: Linear(in -> hidden) -> BN1d -> ReLU ->
/// Linear(hidden -> out). [N, inputSize] -> [N, outputSize].
///
/// Names follow `nn.Sequential`: `0.weight`, `0.bias`, `1.weight`, `1.running_mean`, ...,
/// `3.weight`, `3.bias`.
public final class ProjectionHead: Layer {
    public let first: Linear
    public let normalization: BatchNorm
    public let second: Linear

    public init(inputSize: Int, hiddenSize: Int, outputSize: Int, generator: inout SeededGenerator) {
        first = Linear(inputSize: inputSize, outputSize: hiddenSize, generator: &generator)
        normalization = BatchNorm(channels: hiddenSize)
        second = Linear(inputSize: hiddenSize, outputSize: outputSize, generator: &generator)
    }

    public func callAsFunction(_ input: Tensor, mode: ForwardMode) -> Tensor {
        second(normalization(first(input, mode: mode), mode: mode, relu: true), mode: mode)
    }

    public var namedParameters: [NamedTensor] {
        first.namedParameters.map { $0.prefixed("0") } + normalization.namedParameters.map { $0.prefixed("1") }
            + second.namedParameters.map { $0.prefixed("3") }
    }

    public var namedBuffers: [NamedTensor] {
        normalization.namedBuffers.map { $0.prefixed("1") }
    }
}
