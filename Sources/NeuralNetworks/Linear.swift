import Basics
import TensorCore

/// A fully connected layer, PyTorch's `nn.Linear`: `y = x W^T + b`.
///
/// input [N, inputSize] -> output [N, outputSize]; weight [outputSize, inputSize], bias
/// [outputSize]. Initialised as PyTorch does (W and b uniform in +-1/sqrt(inputSize)) or, for
/// transformers, as timm's ViT (`.truncatedNormal`: W ~ N(0, std^2) cut at +-2, b = 0).
public final class Linear: Layer {
    /// How the weights start.
    public enum Initialization: Sendable, Equatable {
        /// PyTorch's default: W and b uniform in +-1/sqrt(inputSize).
        case uniform
        /// timm's `trunc_normal_(std=0.02)` for W (bounds +-2, absolute), zeros for b.
        case truncatedNormal(standardDeviation: Float)
    }

    public let weight: Tensor
    public let bias: Tensor?
    /// Whether the product is cut into row blocks spread over the cores (`rowParallelLinear`):
    /// for the thousands of token rows of a transformer; the heads keep the one-call product.
    public let splitsRows: Bool

    public init(inputSize: Int, outputSize: Int, bias hasBias: Bool = true, initialization: Initialization = .uniform,
                splitsRows: Bool = false, generator: inout SeededGenerator) {
        checkArgument(inputSize > 0 && outputSize > 0, "Linear: sizes \(inputSize) -> \(outputSize) must be positive")
        switch initialization {
        case .uniform:
            let bound = 1 / Float(inputSize).squareRoot()
            weight = .randomUniform([outputSize, inputSize], lower: -bound, upper: bound,
                                    generator: &generator, requiresGradient: true)
            bias = hasBias ? .randomUniform([outputSize], lower: -bound, upper: bound,
                                            generator: &generator, requiresGradient: true) : nil
        case let .truncatedNormal(deviation):
            weight = truncatedNormal([outputSize, inputSize], standardDeviation: deviation, generator: &generator)
            bias = hasBias ? Tensor.zeros([outputSize], requiresGradient: true) : nil
        }
        self.splitsRows = splitsRows
    }

    public func callAsFunction(_ input: Tensor, mode: ForwardMode) -> Tensor {
        splitsRows ? rowParallelLinear(input, weight: weight, bias: bias) : linear(input, weight: weight, bias: bias)
    }

    public var namedParameters: [NamedTensor] {
        [NamedTensor("weight", weight)] + (bias.map { [NamedTensor("bias", $0)] } ?? [])
    }

    public var namedBuffers: [NamedTensor] { [] }
}

/// A trainable tensor of independent N(0, std^2) draws redrawn until they lie in
/// [lower, upper], timm's `trunc_normal_(tensor, std, a=-2, b=2)` (absolute bounds: at
/// std 0.02 they cut nothing in practice).
public func truncatedNormal(_ shape: [Int], standardDeviation: Float, lower: Float = -2, upper: Float = 2,
                            generator: inout SeededGenerator) -> Tensor {
    let result = Tensor.zeros(shape, requiresGradient: true)
    result.withUnsafeMutableBufferPointer { buffer in
        for index in buffer.indices {
            var value: Float
            repeat { value = standardDeviation * generator.nextGaussian() } while value < lower || value > upper
            buffer[index] = value
        }
    }
    return result
}
