import Basics
import TensorCore

/// A 2-D convolution without bias (as every convolution in ResNet), PyTorch's `nn.Conv2d`
/// with `bias=False`.
///
/// input [N, inputChannels, H, W] -> [N, outputChannels, OH, OW]; weight
/// [outputChannels, inputChannels, kernelSize, kernelSize]. Initialised as torchvision's
/// ResNet: Kaiming normal, fan-out, ReLU gain (std = sqrt(2 / (outputChannels k^2))).
/// The layer owns the scratch memory its convolutions reuse from step to step. With
/// `precision` `.bf16` its operands are rounded to bfloat16 (see `conv2d`).
public final class Conv2D: Layer {
    public let weight: Tensor
    public let stride: Int
    public let padding: Int
    public let precision: ArithmeticPrecision
    private let workspace = ConvolutionWorkspace()

    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: Int = 0, precision: ArithmeticPrecision = .fp32, generator: inout SeededGenerator) {
        checkArgument(inputChannels > 0 && outputChannels > 0 && kernelSize > 0,
                     "Conv2D: channels \(inputChannels) -> \(outputChannels), kernel \(kernelSize) must be positive")
        let deviation = (2 / Float(outputChannels * kernelSize * kernelSize)).squareRoot()
        weight = .randomNormal([outputChannels, inputChannels, kernelSize, kernelSize],
                               standardDeviation: deviation, generator: &generator, requiresGradient: true)
        self.stride = stride
        self.padding = padding
        self.precision = precision
    }

    public func callAsFunction(_ input: Tensor, mode: ForwardMode) -> Tensor {
        conv2d(input, weight: weight, stride: stride, padding: padding, precision: precision, workspace: workspace)
    }

    /// The convolution, and its output's per-channel sums for batch normalisation where the
    /// kernels take them as they write (`conv2dWithMoments`).
    public func callAsFunction(_ input: Tensor, takingMoments: Bool) -> (Tensor, ChannelMoments?) {
        conv2dWithMoments(input, weight: weight, stride: stride, padding: padding, precision: precision,
                          workspace: workspace, takingMoments: takingMoments)
    }

    public var namedParameters: [NamedTensor] { [NamedTensor("weight", weight)] }
    public var namedBuffers: [NamedTensor] { [] }
}
