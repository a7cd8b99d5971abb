import Basics
import TensorCore

/// A residual network with basic blocks, as torchvision's `resnet18`/`resnet34` without the
/// final `fc`: input [N, inputChannels, H, W] -> features [N, 8 width] after global average
/// pooling (SPEC §1, the backbone f).
///
/// Tensor names match torchvision (`conv1.weight`, `bn1.running_mean`,
/// `layer1.0.conv1.weight`, `layer2.0.downsample.0.weight`, ...), so a checkpoint loads
/// into `torchvision.models.resnet18()` (with the stem adapted) by name.
public final class ResNet: Backbone {
    /// The number of basic blocks in each of the four stages.
    public enum Depth: Int, Sendable, CaseIterable {
        case resnet18 = 18
        case resnet34 = 34

        public var blocksPerStage: [Int] {
            switch self {
            case .resnet18: [2, 2, 2, 2]
            case .resnet34: [3, 4, 6, 3]
            }
        }
    }

    /// The first layers before the residual stages.
    public enum Stem: String, Sendable {
        /// 3x3 convolution, stride 1, no max-pool: for small images (CIFAR, MNIST).
        case cifar
        /// 7x7 convolution, stride 2, then 3x3 max-pool with stride 2: torchvision's.
        case imagenet
    }

    public let depth: Depth
    public let stem: Stem
    /// Channels of the first stage (64 standard, 16 narrow); stages have 1, 2, 4, 8 times it.
    public let width: Int
    public let inputChannels: Int
    public let conv1: Conv2D
    public let bn1: BatchNorm
    /// `layer1` ... `layer4` in torchvision's names.
    public let stages: [[BasicBlock]]

    /// The dimension of the output features: 8 width.
    public var featureSize: Int { 8 * width }

    /// A network initialised as torchvision does (Kaiming normal convolutions, BN scale 1 and
    /// offset 0), drawing from `generator`; its convolutions compute in `precision`.
    public init(depth: Depth = .resnet18, width: Int = 64, inputChannels: Int = 3,
                stem: Stem = .cifar, precision: ArithmeticPrecision = .fp32, generator: inout SeededGenerator) {
        checkArgument(width > 0, "ResNet: width (\(width)) must be positive")
        checkArgument(inputChannels > 0, "ResNet: inputChannels (\(inputChannels)) must be positive")
        self.depth = depth
        self.stem = stem
        self.width = width
        self.inputChannels = inputChannels
        switch stem {
        case .cifar:
            conv1 = Conv2D(inputChannels: inputChannels, outputChannels: width, kernelSize: 3,
                           stride: 1, padding: 1, precision: precision, generator: &generator)
        case .imagenet:
            conv1 = Conv2D(inputChannels: inputChannels, outputChannels: width, kernelSize: 7,
                           stride: 2, padding: 3, precision: precision, generator: &generator)
        }
        bn1 = BatchNorm(channels: width)
        var stages: [[BasicBlock]] = []
        var channels = width
        for (index, blockCount) in depth.blocksPerStage.enumerated() {
            let planes = width << index
            var blocks: [BasicBlock] = []
            for block in 0..<blockCount {
                let stride = (index > 0 && block == 0) ? 2 : 1
                blocks.append(BasicBlock(inputChannels: channels, outputChannels: planes,
                                         stride: stride, precision: precision, generator: &generator))
                channels = planes
            }
            stages.append(blocks)
        }
        self.stages = stages
    }

    /// Features [N, 8 width] of images [N, inputChannels, H, W].
    public func callAsFunction(_ input: Tensor, mode: ForwardMode) -> Tensor {
        checkArgument(input.rank == 4 && input.shape[1] == inputChannels,
                     "ResNet: input has shape \(input.shape), expected [N, \(inputChannels), H, W]")
        var x = bn1(convolving: input, with: conv1, mode: mode, relu: true)
        if stem == .imagenet { x = x.maxPooled(kernelSize: 3, stride: 2, padding: 1) }
        for stage in stages {
            for block in stage { x = block(x, mode: mode) }
        }
        return x.globalAveragePooled()
    }

    public var namedParameters: [NamedTensor] {
        conv1.namedParameters.map { $0.prefixed("conv1") } + bn1.namedParameters.map { $0.prefixed("bn1") }
            + stageTensors(\.namedParameters)
    }

    public var namedBuffers: [NamedTensor] {
        bn1.namedBuffers.map { $0.prefixed("bn1") } + stageTensors(\.namedBuffers)
    }

    private func stageTensors(_ list: (BasicBlock) -> [NamedTensor]) -> [NamedTensor] {
        stages.enumerated().flatMap { stageIndex, blocks in
            blocks.enumerated().flatMap { blockIndex, block in
                list(block).map { $0.prefixed("layer\(stageIndex + 1).\(blockIndex)") }
            }
        }
    }
}

/// torchvision's `BasicBlock`: `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`, where
/// the shortcut is the identity or, when the shape changes, a strided 1x1 convolution and BN
/// (`downsample.0`, `downsample.1`).
public final class BasicBlock: Layer {
    public let conv1: Conv2D
    public let bn1: BatchNorm
    public let conv2: Conv2D
    public let bn2: BatchNorm
    public let downsample: (convolution: Conv2D, normalization: BatchNorm)?

    public init(inputChannels: Int, outputChannels: Int, stride: Int, precision: ArithmeticPrecision = .fp32,
                generator: inout SeededGenerator) {
        conv1 = Conv2D(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 3,
                       stride: stride, padding: 1, precision: precision, generator: &generator)
        bn1 = BatchNorm(channels: outputChannels)
        conv2 = Conv2D(inputChannels: outputChannels, outputChannels: outputChannels, kernelSize: 3,
                       stride: 1, padding: 1, precision: precision, generator: &generator)
        bn2 = BatchNorm(channels: outputChannels)
        if stride != 1 || inputChannels != outputChannels {
            downsample = (Conv2D(inputChannels: inputChannels, outputChannels: outputChannels,
                                 kernelSize: 1, stride: stride, precision: precision, generator: &generator),
                          BatchNorm(channels: outputChannels))
        } else {
            downsample = nil
        }
    }

    public func callAsFunction(_ input: Tensor, mode: ForwardMode) -> Tensor {
        let hidden = bn1(convolving: input, with: conv1, mode: mode, relu: true)
        let shortcut = downsample.map { $0.normalization(convolving: input, with: $0.convolution, mode: mode) } ?? input
        return bn2(convolving: hidden, with: conv2, mode: mode, adding: shortcut, relu: true)
    }

    public var namedParameters: [NamedTensor] {
        var list = conv1.namedParameters.map { $0.prefixed("conv1") } + bn1.namedParameters.map { $0.prefixed("bn1") }
            + conv2.namedParameters.map { $0.prefixed("conv2") } + bn2.namedParameters.map { $0.prefixed("bn2") }
        if let downsample {
            list += downsample.convolution.namedParameters.map { $0.prefixed("downsample.0") }
            list += downsample.normalization.namedParameters.map { $0.prefixed("downsample.1") }
        }
        return list
    }

    public var namedBuffers: [NamedTensor] {
        var list = bn1.namedBuffers.map { $0.prefixed("bn1") } + bn2.namedBuffers.map { $0.prefixed("bn2") }
        if let downsample { list += downsample.normalization.namedBuffers.map { $0.prefixed("downsample.1") } }
        return list
    }
}
