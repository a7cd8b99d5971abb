import Basics
import TensorCore

/// A fully connected layer, PyTorch's `nn.Linear`: `y = x W^T + b`.
///
/// input [N, inputSize] -> output [N, outputSize]; weight [outputSize, inputSize], bias
/// [outputSize]. Initialised as PyTorch does: W and b uniform in +-1/sqrt(inputSize).
public final class Linear: Layer {
    public let weight: Tensor
    public let bias: Tensor?

    public init(inputSize: Int, outputSize: Int, bias hasBias: Bool = true,
                generator: inout SeededGenerator) {
        checkArgument(inputSize > 0 && outputSize > 0, "Linear: sizes \(inputSize) -> \(outputSize) must be positive")
        let bound = 1 / Float(inputSize).squareRoot()
        weight = .randomUniform([outputSize, inputSize], lower: -bound, upper: bound,
                                generator: &generator, requiresGradient: true)
        bias = hasBias ? .randomUniform([outputSize], lower: -bound, upper: bound,
                                        generator: &generator, requiresGradient: true) : nil
    }

    public func callAsFunction(_ input: Tensor, mode: ForwardMode) -> Tensor {
        linear(input, weight: weight, bias: bias)
    }

    public var namedParameters: [NamedTensor] {
        [NamedTensor("weight", weight)] + (bias.map { [NamedTensor("bias", $0)] } ?? [])
    }

    public var namedBuffers: [NamedTensor] { [] }
}
