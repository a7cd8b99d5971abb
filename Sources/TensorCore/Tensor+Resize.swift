// Bilinear resizing of images.
import Basics

extension Tensor {
    /// Bilinear resize of [N, C, H, W] to [N, C, height, width], PyTorch's
    /// `F.interpolate(mode="bilinear", align_corners=False, antialias=False)`: output pixel
    /// centres map to `(o + 0.5) H / height - 0.5` in the input, clamped at 0.
    ///
    /// The pullback spreads each output gradient over its four source pixels with the same
    /// weights.
    public func resizedBilinear(height: Int, width: Int) -> Tensor {
        checkArgument(rank == 4, "resizedBilinear: expected [N, C, H, W], got shape \(shape)")
        checkArgument(height >= 1 && width >= 1, "resizedBilinear: target size \(height)x\(width) must be positive")
        let planes = shape[0] * shape[1], inHeight = shape[2], inWidth = shape[3]
        let rowTaps = Self.bilinearTaps(input: inHeight, output: height)
        let columnTaps = Self.bilinearTaps(input: inWidth, output: width)
        let result = Tensor.uninitialized([shape[0], shape[1], height, width])
        let x = storage.pointer
        let z = UncheckedSendable(result.storage.pointer)
        parallelChunks(planes) { range in
            for plane in range {
                let source = x + plane * inHeight * inWidth
                let destination = z.value + plane * height * width
                for (oh, r) in rowTaps.enumerated() {
                    for (ow, c) in columnTaps.enumerated() {
                        let top = source[r.low * inWidth + c.low] * (1 - c.weight)
                            + source[r.low * inWidth + c.high] * c.weight
                        let bottom = source[r.high * inWidth + c.low] * (1 - c.weight)
                            + source[r.high * inWidth + c.high] * c.weight
                        destination[oh * width + ow] = top * (1 - r.weight) + bottom * r.weight
                    }
                }
            }
        }
        result.record([self]) { _, g in
            let gradX = UncheckedSendable(self.gradientPointer())
            parallelChunks(planes) { range in
                for plane in range {
                    let destination = gradX.value + plane * inHeight * inWidth
                    let source = g + plane * height * width
                    for (oh, r) in rowTaps.enumerated() {
                        for (ow, c) in columnTaps.enumerated() {
                            let value = source[oh * width + ow]
                            destination[r.low * inWidth + c.low] += value * (1 - r.weight) * (1 - c.weight)
                            destination[r.low * inWidth + c.high] += value * (1 - r.weight) * c.weight
                            destination[r.high * inWidth + c.low] += value * r.weight * (1 - c.weight)
                            destination[r.high * inWidth + c.high] += value * r.weight * c.weight
                        }
                    }
                }
            }
        }
        return result
    }

    /// For each output coordinate: the two input neighbours and the weight of the upper one.
    static func bilinearTaps(input: Int, output: Int) -> [(low: Int, high: Int, weight: Float)] {
        let scale = Float(input) / Float(output)
        return (0..<output).map { o in
            let position = max(0, (Float(o) + 0.5) * scale - 0.5)
            let low = min(Int(position), input - 1)
            let high = min(low + 1, input - 1)
            return (low, high, position - Float(low))
        }
    }
}
