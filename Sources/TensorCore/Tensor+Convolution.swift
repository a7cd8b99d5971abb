// The convolution op (no bias; ResNet convolutions have none, add one with `+` if needed).
import Basics

/// 2-D cross-correlation, PyTorch's `F.conv2d` without bias:
/// input [N, C, H, W], weight [F, C, KH, KW] -> [N, F, OH, OW],
/// OH = (H + 2 padding - KH) / stride + 1.
///
/// Three algorithms, chosen by the geometry: for filters in multiples of 16 (every ResNet
/// convolution of `nrcc`'s widths) direct convolution, each output position's 16 filters one
/// vector register (Kernels/DirectConvolution.swift, `usesDirectKernels`); otherwise, for
/// size-keeping stride-1 convolutions on large planes, one GEMM per kernel tap over a
/// zero-bordered copy of the input (Kernels/ShiftedConvolution.swift,
/// `usesShiftedProducts`); otherwise im2col + GEMM (dW = sum over samples of dY x
/// im2col(x)^T; dx = col2im(W^T dY)), which also serves the input gradient of direct
/// convolutions whose input channels are not a multiple of 16 (a network's first layer).
/// `workspace` is scratch memory reused across calls; layers pass their own so that a
/// training step does not allocate it again. The workspace must outlive the backward pass
/// and must not be shared by ops running concurrently.
///
/// With `precision` `.bf16` the input and weight are rounded to bfloat16 before the forward
/// pass, and the output gradient too before the backward pass, which reads the rounded input
/// and weight; every sum stays fp32, and the gradients flow to the unrounded tensors as
/// PyTorch's autocast passes them through its casts. Where the CPU multiplies bfloat16 pairs
/// (AVX512_BF16) the direct kernels do so, rounding their operands as they copy them;
/// elsewhere fp32 kernels multiply rounded copies, which gives the same products (a product of
/// two bfloat16 numbers is exact in fp32) summed in another order.
public func conv2d(_ input: Tensor, weight: Tensor, stride: Int = 1, padding: Int = 0,
                   precision: ArithmeticPrecision = .fp32, workspace: ConvolutionWorkspace? = nil) -> Tensor {
    conv2dWithMoments(input, weight: weight, stride: stride, padding: padding, precision: precision,
                      workspace: workspace, takingMoments: false).output
}

/// `conv2d`, and with `takingMoments` the per-channel sums of its output that batch
/// normalisation's statistics need (`batchNormalized(_:...:moments:)`), where the convolution
/// takes them as it writes its output (the direct kernels, `ConvolutionGeometry.usesDirectKernels`:
/// every ResNet convolution on planes of 4x4 and more) instead of batch normalisation reading the
/// output once more; nil moments elsewhere. `bfloat16Kernel` says how `.bf16` multiplies.
public func conv2dWithMoments(_ input: Tensor, weight: Tensor, stride: Int = 1, padding: Int = 0,
                              precision: ArithmeticPrecision = .fp32, workspace: ConvolutionWorkspace? = nil,
                              takingMoments: Bool, bfloat16Kernel: BFloat16Kernel = .fastest)
    -> (output: Tensor, moments: ChannelMoments?) {
    checkArgument(input.rank == 4, "conv2d: input must be [N, C, H, W], got shape \(input.shape)")
    checkArgument(weight.rank == 4, "conv2d: weight must be [F, C, KH, KW], got shape \(weight.shape)")
    checkArgument(input.shape[1] == weight.shape[1],
                 "conv2d: input has shape \(input.shape) (\(input.shape[1]) channels), weight has shape \(weight.shape) (\(weight.shape[1]) channels)")
    checkArgument(stride >= 1 && padding >= 0, "conv2d: stride \(stride) must be >= 1, padding \(padding) >= 0")
    let geometry = ConvolutionGeometry(
        batch: input.shape[0], channels: input.shape[1], height: input.shape[2], width: input.shape[3],
        filters: weight.shape[0], kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
        stride: stride, padding: padding)
    checkArgument(geometry.outputHeight >= 1 && geometry.outputWidth >= 1,
                 "conv2d: input \(input.shape) is smaller than kernel \(weight.shape) with padding \(padding)")
    let workspace = workspace ?? ConvolutionWorkspace()
    let result = Tensor.uninitialized(
        [geometry.batch, geometry.filters, geometry.outputHeight, geometry.outputWidth])
    // Pair products round the operands in the direct kernels; the weights' rounded copy (small)
    // serves an input gradient left to im2col, and so does the output gradient's.
    let products = precision == .bf16 && geometry.usesDirectKernels ? bfloat16Kernel.directProducts : nil
    let filters = precision == .bf16 ? weight.bfloat16RoundedCopy() : weight
    let operand = precision == .bf16 && products == nil ? input.bfloat16RoundedCopy() : input
    let moments = conv2dForward(output: result.storage.pointer, input: operand.storage.pointer,
                                weight: filters.storage.pointer, geometry, workspace: workspace,
                                takingMoments: takingMoments, products: products ?? .fp32)
    result.record([input, weight]) { output, g in
        let roundsHere = precision == .bf16
            && (products == nil || input.isGradientNeeded && !geometry.usesDirectInputGradient)
        let roundedGradient = roundsHere ? Tensor.bfloat16Rounded(g, shape: output.shape) : nil
        withExtendedLifetime(roundedGradient) {
            conv2dBackward(
                inputGradient: input.isGradientNeeded ? input.gradientDestination() : nil,
                weightGradient: weight.isGradientNeeded ? weight.gradientDestination() : nil,
                outputGradient: roundedGradient.map { UnsafePointer($0.storage.pointer) } ?? g,
                input: operand.storage.pointer, weight: filters.storage.pointer,
                geometry, workspace: workspace, products: products ?? .fp32)
        }
    }
    return (result, moments)
}
