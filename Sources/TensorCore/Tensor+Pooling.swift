// Max pooling (the ImageNet stem of ResNet).
import Basics

extension Tensor {
    /// Max pooling over `kernelSize` x `kernelSize` windows, PyTorch's `F.max_pool2d`
    /// (padding counts as -infinity): [N, C, H, W] -> [N, C, OH, OW],
    /// OH = (H + 2 padding - kernelSize) / stride + 1.
    ///
    /// The gradient goes to the first maximum of each window.
    public func maxPooled(kernelSize: Int, stride: Int, padding: Int = 0) -> Tensor {
        checkArgument(rank == 4, "maxPooled: expected [N, C, H, W], got shape \(shape)")
        checkArgument(kernelSize >= 1 && stride >= 1 && padding >= 0 && 2 * padding <= kernelSize,
                     "maxPooled: kernel \(kernelSize), stride \(stride), padding \(padding) are invalid")
        let planes = shape[0] * shape[1], height = shape[2], width = shape[3]
        let outHeight = (height + 2 * padding - kernelSize) / stride + 1
        let outWidth = (width + 2 * padding - kernelSize) / stride + 1
        checkArgument(outHeight >= 1 && outWidth >= 1, "maxPooled: input \(shape) smaller than the window \(kernelSize)")
        let result = Tensor.uninitialized([shape[0], shape[1], outHeight, outWidth])
        let x = storage.pointer
        let z = UncheckedSendable(result.storage.pointer)
        // Flat input index of each output's maximum, for the pullback.
        var arguments = [Int](repeating: 0, count: result.count)
        arguments.withUnsafeMutableBufferPointer { buffer in
            let argumentOut = UncheckedSendable(buffer.baseAddress!)
            parallelChunks(planes) { range in
                for plane in range {
                    for oh in 0..<outHeight {
                        for ow in 0..<outWidth {
                            var best = -Float.infinity, bestIndex = -1
                            for kh in 0..<kernelSize {
                                let ih = oh * stride - padding + kh
                                if ih < 0 || ih >= height { continue }
                                for kw in 0..<kernelSize {
                                    let iw = ow * stride - padding + kw
                                    if iw < 0 || iw >= width { continue }
                                    let index = (plane * height + ih) * width + iw
                                    if x[index] > best || bestIndex < 0 { best = x[index]; bestIndex = index }
                                }
                            }
                            let out = (plane * outHeight + oh) * outWidth + ow
                            z.value[out] = best
                            argumentOut.value[out] = bestIndex
                        }
                    }
                }
            }
        }
        let saved = arguments
        result.record([self]) { output, g in
            let gradX = self.gradientPointer()
            for out in 0..<output.count { gradX[saved[out]] += g[out] }
        }
        return result
    }
}
