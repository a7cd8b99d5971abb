import Basics
import TensorCore

/// Batch normalisation over [N, C] (PyTorch's `BatchNorm1d`) or [N, C, H, W]
/// (`BatchNorm2d`); one class serves both, the rank of the input decides.
///
/// `mode` picks the statistics (see `ForwardMode`): `.training` uses the batch's and updates
/// `runningMean`/`runningVariance` (momentum 0.1) and `batchesTracked`;
/// `.trainingWithoutStatisticsUpdate` uses the batch's and changes nothing;
/// `.evaluation` uses the running ones. Scale starts at 1, offset at 0.
public final class BatchNorm: Layer {
    /// gamma [C] (`weight` in PyTorch).
    public let scale: Tensor
    /// beta [C] (`bias` in PyTorch).
    public let offset: Tensor
    public let runningMean: Tensor
    public let runningVariance: Tensor
    /// The number of `.training` batches seen, PyTorch's `num_batches_tracked` (shape []).
    public let batchesTracked: Tensor
    public let momentum: Float
    public let epsilon: Float

    public init(channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        checkArgument(channels > 0, "BatchNorm: channels (\(channels)) must be positive")
        scale = Tensor(shape: [channels], repeating: 1, requiresGradient: true)
        offset = Tensor(shape: [channels], repeating: 0, requiresGradient: true)
        runningMean = Tensor(shape: [channels], repeating: 0)
        runningVariance = Tensor(shape: [channels], repeating: 1)
        batchesTracked = Tensor(0)
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public func callAsFunction(_ input: Tensor, mode: ForwardMode) -> Tensor {
        callAsFunction(input, mode: mode, adding: nil, relu: false)
    }

    /// `relu(bn(input) + residual)` in one op (either part optional): the end of a ResNet
    /// block, or BN followed by ReLU, without intermediate tensors.
    public func callAsFunction(_ input: Tensor, mode: ForwardMode, adding residual: Tensor? = nil,
                               relu: Bool, moments: ChannelMoments? = nil) -> Tensor {
        if mode == .training {
            batchesTracked.withUnsafeMutableBufferPointer { $0[0] += 1 }
        }
        return batchNormalized(input, scale: scale, offset: offset, runningMean: runningMean,
                               runningVariance: runningVariance, mode: mode,
                               momentum: momentum, epsilon: epsilon, adding: residual, relu: relu,
                               moments: moments)
    }

    /// `self(convolution(input))`, with the residual and ReLU as above. Where batch statistics
    /// are used, the convolution hands over its output's per-channel sums, so that they cost no
    /// pass over the output.
    public func callAsFunction(convolving input: Tensor, with convolution: Conv2D, mode: ForwardMode,
                               adding residual: Tensor? = nil, relu: Bool = false) -> Tensor {
        guard mode.usesBatchStatistics else {
            return self(convolution(input, mode: mode), mode: mode, adding: residual, relu: relu)
        }
        let (output, moments) = convolution(input, takingMoments: true)
        return self(output, mode: mode, adding: residual, relu: relu, moments: moments)
    }

    public var namedParameters: [NamedTensor] {
        [NamedTensor("weight", scale), NamedTensor("bias", offset)]
    }

    public var namedBuffers: [NamedTensor] {
        [NamedTensor("running_mean", runningMean), NamedTensor("running_var", runningVariance),
         NamedTensor("num_batches_tracked", batchesTracked, isCounter: true)]
    }
}

/// PyTorch's name for batch normalisation of [N, C] inputs (the projection heads).
public typealias BatchNorm1d = BatchNorm
/// PyTorch's name for batch normalisation of [N, C, H, W] inputs (the ResNet).
public typealias BatchNorm2d = BatchNorm
