// The augmentation kernels, on one float image C x H x W (planar, values in [0, 1]).
// Colour formulas are torchvision's (`torchvision.transforms.functional`, float tensors).
import Basics
import Foundation

/// A crop box in pixels of the source image: rows `top ..< top + height`, columns
/// `left ..< left + width`.
public struct CropBox: Sendable, Equatable {
    public var top: Int
    public var left: Int
    public var height: Int
    public var width: Int

    /// A box of `height` x `width` pixels whose top-left pixel is (`top`, `left`).
    public init(top: Int, left: Int, height: Int, width: Int) {
        self.top = top
        self.left = left
        self.height = height
        self.width = width
    }
}

/// Crops `box` out of a C x `height` x `width` byte image, resizes it bilinearly to
/// C x `outputHeight` x `outputWidth` (PyTorch's `align_corners=False`; the crop is never
/// larger than the image, so no antialiasing applies) and scales to [0, 1]; `flip` mirrors
/// the columns on the way (horizontal flip).
func resizedCropKernel(
    source: UnsafePointer<UInt8>, channels: Int, height: Int, width: Int, box: CropBox, flip: Bool,
    output: UnsafeMutablePointer<Float>, outputHeight: Int, outputWidth: Int
) {
    let scaleY = Float(box.height) / Float(outputHeight)
    let scaleX = Float(box.width) / Float(outputWidth)
    // Column taps are the same for every row and channel: compute them once.
    withUnsafeTemporaryAllocation(of: (Int, Int, Float).self, capacity: outputWidth) { columns in
        for x in 0..<outputWidth {
            let sourceX = box.width == outputWidth ? Float(x) : max(0, (Float(x) + 0.5) * scaleX - 0.5)
            let x0 = min(Int(sourceX), box.width - 1)
            let x1 = min(x0 + 1, box.width - 1)
            let destination = flip ? outputWidth - 1 - x : x
            columns[destination] = (box.left + x0, box.left + x1, sourceX - Float(x0))
        }
        for y in 0..<outputHeight {
            let sourceY = box.height == outputHeight ? Float(y) : max(0, (Float(y) + 0.5) * scaleY - 0.5)
            let y0 = min(Int(sourceY), box.height - 1)
            let y1 = min(y0 + 1, box.height - 1)
            let weightY = sourceY - Float(y0)
            for c in 0..<channels {
                let plane = source + c * height * width
                let row0 = plane + (box.top + y0) * width
                let row1 = plane + (box.top + y1) * width
                let destination = output + (c * outputHeight + y) * outputWidth
                for x in 0..<outputWidth {
                    let (x0, x1, weightX) = columns[x]
                    let top = Float(row0[x0]) + weightX * (Float(row0[x1]) - Float(row0[x0]))
                    let bottom = Float(row1[x0]) + weightX * (Float(row1[x1]) - Float(row1[x0]))
                    // Divided, not multiplied by 1/255: a full-size crop gives exactly byte / 255.
                    destination[x] = (top + weightY * (bottom - top)) / 255
                }
            }
        }
    }
}

/// Mirrors every row of a C x H x W image in place.
public func flipHorizontally(_ image: inout [Float], channels: Int, height: Int, width: Int) {
    checkArgument(image.count == channels * height * width, "flipHorizontally: \(image.count) values for \(channels)x\(height)x\(width)")
    image.withUnsafeMutableBufferPointer { buffer in
        for row in 0..<(channels * height) {
            var left = row * width, right = left + width - 1
            while left < right {
                buffer.swapAt(left, right)
                left += 1
                right -= 1
            }
        }
    }
}

/// torchvision's grayscale of one pixel: 0.2989 R + 0.587 G + 0.114 B.
@inline(__always) func luma(_ red: Float, _ green: Float, _ blue: Float) -> Float {
    0.2989 * red + 0.587 * green + 0.114 * blue
}

@inline(__always) func clampUnit(_ value: Float) -> Float { min(1, max(0, value)) }

/// Brightness: `clamp(factor * x)` (torchvision `adjust_brightness`).
func adjustBrightnessKernel(_ image: UnsafeMutablePointer<Float>, count: Int, factor: Float) {
    for i in 0..<count { image[i] = clampUnit(image[i] * factor) }
}

/// Contrast: `clamp(factor * x + (1 - factor) * mean(gray(x)))`, one mean over the image
/// (torchvision `adjust_contrast`). Planar grey (1 channel) or RGB (3), `plane` = H x W.
func adjustContrastKernel(_ image: UnsafeMutablePointer<Float>, channels: Int, plane: Int, factor: Float) {
    var sum: Float = 0
    if channels == 1 {
        for p in 0..<plane { sum += image[p] }
    } else {
        for p in 0..<plane { sum += luma(image[p], image[plane + p], image[2 * plane + p]) }
    }
    let shift = (1 - factor) * (sum / Float(plane))
    for i in 0..<(channels * plane) { image[i] = clampUnit(factor * image[i] + shift) }
}

/// Saturation: `clamp(factor * x + (1 - factor) * gray(x))` per pixel (torchvision
/// `adjust_saturation`).
func adjustSaturationKernel(_ image: UnsafeMutablePointer<Float>, plane: Int, factor: Float) {
    for p in 0..<plane {
        let shift = (1 - factor) * luma(image[p], image[plane + p], image[2 * plane + p])
        for c in 0..<3 { image[c * plane + p] = clampUnit(factor * image[c * plane + p] + shift) }
    }
}

/// Hue: rotate the hue by `factor` turns in HSV (torchvision `adjust_hue`, `_rgb2hsv` and
/// `_hsv2rgb` as written there), `factor` in [-0.5, 0.5].
func adjustHueKernel(_ image: UnsafeMutablePointer<Float>, plane: Int, factor: Float) {
    for p in 0..<plane {
        let red = image[p], green = image[plane + p], blue = image[2 * plane + p]
        let maximum = max(max(red, green), blue), minimum = min(min(red, green), blue)
        let equal = maximum == minimum
        let range = maximum - minimum
        let saturation = range / (equal ? 1 : maximum)
        let divisor = equal ? 1 : range
        let redC = (maximum - red) / divisor, greenC = (maximum - green) / divisor, blueC = (maximum - blue) / divisor
        var hue: Float
        if maximum == red { hue = blueC - greenC }
        else if maximum == green { hue = 2 + redC - blueC }
        else { hue = 4 + greenC - redC }
        // torchvision's fmod(h / 6 + 1, 1); the argument lies in [0, 2), where subtracting
        // the floor is exact and avoids a libm call.
        hue = hue / 6 + 1
        hue -= hue.rounded(.down)
        hue = hue + factor
        hue -= hue.rounded(.down)  // Python's % 1.0: the result has the divisor's sign.
        let value = maximum
        let sector = (hue * 6).rounded(.down)
        let fraction = hue * 6 - sector
        let pp = clampUnit(value * (1 - saturation))
        let qq = clampUnit(value * (1 - saturation * fraction))
        let tt = clampUnit(value * (1 - saturation * (1 - fraction)))
        let (r, g, b): (Float, Float, Float)
        switch ((Int(sector) % 6) + 6) % 6 {
        case 0: (r, g, b) = (value, tt, pp)
        case 1: (r, g, b) = (qq, value, pp)
        case 2: (r, g, b) = (pp, value, tt)
        case 3: (r, g, b) = (pp, qq, value)
        case 4: (r, g, b) = (tt, pp, value)
        default: (r, g, b) = (value, pp, qq)
        }
        image[p] = r
        image[plane + p] = g
        image[2 * plane + p] = b
    }
}

/// Grayscale keeping three channels: every channel becomes `gray(x)` (torchvision
/// `rgb_to_grayscale(num_output_channels=3)`).
func grayscaleKernel(_ image: UnsafeMutablePointer<Float>, plane: Int) {
    for p in 0..<plane {
        let gray = luma(image[p], image[plane + p], image[2 * plane + p])
        image[p] = gray
        image[plane + p] = gray
        image[2 * plane + p] = gray
    }
}

/// Writes the normalised 1-D Gaussian of `kernel.count` taps (odd) and standard deviation
/// `sigma` into `kernel` (torchvision `_get_gaussian_kernel1d`).
func fillGaussianKernel(_ kernel: UnsafeMutableBufferPointer<Float>, sigma: Float) {
    let half = Float(kernel.count - 1) / 2
    var total: Float = 0
    for i in 0..<kernel.count {
        let x = (Float(i) - half) / sigma
        kernel[i] = expf(-0.5 * x * x)
        total += kernel[i]
    }
    for i in 0..<kernel.count { kernel[i] /= total }
}

/// Reflect padding's source index for `i` in a line of `size` (torchvision's "reflect").
@inline(__always) func reflectIndex(_ i: Int, _ size: Int) -> Int {
    if size == 1 { return 0 }
    var index = i
    while index < 0 || index >= size { index = index < 0 ? -index : 2 * (size - 1) - index }
    return index
}

/// Separable Gaussian blur of every channel with reflect padding (torchvision
/// `gaussian_blur`), `size` taps (odd); `scratch` holds at least H x W floats.
func gaussianBlurKernel(_ image: UnsafeMutablePointer<Float>, channels: Int, height: Int, width: Int,
                        size: Int, sigma: Float, scratch: UnsafeMutablePointer<Float>) {
    let half = size / 2
    withUnsafeTemporaryAllocation(of: Float.self, capacity: size) { kernel in
        fillGaussianKernel(kernel, sigma: sigma)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: width + 2 * half) { padded in
            for c in 0..<channels {
                let plane = image + c * height * width
                // Rows: copy each into a reflect-padded line, then convolve along it.
                for y in 0..<height {
                    let row = plane + y * width
                    for i in 0..<(width + 2 * half) { padded[i] = row[reflectIndex(i - half, width)] }
                    let destination = scratch + y * width
                    for x in 0..<width { destination[x] = 0 }
                    for k in 0..<size {
                        let weight = kernel[k]
                        for x in 0..<width { destination[x] += weight * padded[x + k] }
                    }
                }
                // Columns: each output row is a weighted sum of (reflected) rows.
                for y in 0..<height {
                    let destination = plane + y * width
                    for x in 0..<width { destination[x] = 0 }
                    for k in 0..<size {
                        let weight = kernel[k]
                        let source = scratch + reflectIndex(y + k - half, height) * width
                        for x in 0..<width { destination[x] += weight * source[x] }
                    }
                }
            }
        }
    }
}

/// Rotates every channel of a C x H x W image by `degrees` counter-clockwise about the
/// image's centre, bilinearly, reading zeros outside the image (torchvision `rotate` with
/// bilinear interpolation and no fill: `grid_sample`'s zero padding); `scratch` holds at
/// least H x W floats.
func rotateKernel(_ image: UnsafeMutablePointer<Float>, channels: Int, height: Int, width: Int,
                  degrees: Float, scratch: UnsafeMutablePointer<Float>) {
    let radians = Double(degrees) * Double.pi / 180
    let cosine = Float(cos(radians)), sine = Float(sin(radians))
    let centreX = Float(width - 1) / 2, centreY = Float(height - 1) / 2
    for c in 0..<channels {
        let plane = image + c * height * width
        scratch.update(from: plane, count: height * width)
        @inline(__always) func tap(_ y: Int, _ x: Int) -> Float {
            y >= 0 && y < height && x >= 0 && x < width ? scratch[y * width + x] : 0
        }
        for y in 0..<height {
            let dy = Float(y) - centreY
            for x in 0..<width {
                // The output pixel's source: the inverse rotation of its offset from the centre.
                let dx = Float(x) - centreX
                let sourceX = centreX + cosine * dx - sine * dy
                let sourceY = centreY + sine * dx + cosine * dy
                let x0 = Int(sourceX.rounded(.down)), y0 = Int(sourceY.rounded(.down))
                let weightX = sourceX - Float(x0), weightY = sourceY - Float(y0)
                let (topLeft, topRight) = (tap(y0, x0), tap(y0, x0 + 1))
                let (bottomLeft, bottomRight) = (tap(y0 + 1, x0), tap(y0 + 1, x0 + 1))
                let top = topLeft + weightX * (topRight - topLeft)
                let bottom = bottomLeft + weightX * (bottomRight - bottomLeft)
                plane[y * width + x] = top + weightY * (bottom - top)
            }
        }
    }
}

/// One colour operation with its factor, for applying them one at a time from outside
/// (tests against torchvision, the report).
public enum ColorOperation: Sendable, Equatable {
    /// Multiply by `factor` (>= 0), clamp to [0, 1].
    case brightness(Float)
    /// Blend with the image's mean gray level by `factor` (>= 0).
    case contrast(Float)
    /// Blend with each pixel's gray level by `factor` (>= 0).
    case saturation(Float)
    /// Rotate the hue by `factor` turns, in [-0.5, 0.5].
    case hue(Float)
    /// Replace every channel by the gray level.
    case grayscale
}

/// Applies `operation` to an image of `channels` x H x W floats in [0, 1], in place: RGB (3)
/// or grey (1), which saturation, hue and grayscale leave as it is (as torchvision does).
public func apply(_ operation: ColorOperation, to image: inout [Float], channels: Int = 3, height: Int, width: Int) {
    checkArgument(channels == 1 || channels == 3, "apply: \(channels) channels, expected 1 or 3")
    checkArgument(image.count == channels * height * width,
                 "apply: \(image.count) values for \(channels)x\(height)x\(width)")
    let plane = height * width
    image.withUnsafeMutableBufferPointer { buffer in
        let pointer = buffer.baseAddress!
        switch operation {
        case let .brightness(factor): adjustBrightnessKernel(pointer, count: channels * plane, factor: factor)
        case let .contrast(factor): adjustContrastKernel(pointer, channels: channels, plane: plane, factor: factor)
        case _ where channels == 1: break
        case let .saturation(factor): adjustSaturationKernel(pointer, plane: plane, factor: factor)
        case let .hue(factor): adjustHueKernel(pointer, plane: plane, factor: factor)
        case .grayscale: grayscaleKernel(pointer, plane: plane)
        }
    }
}

/// Gaussian blur of a C x H x W float image in place, `size` taps (odd), deviation `sigma`.
public func gaussianBlur(_ image: inout [Float], channels: Int, height: Int, width: Int, size: Int, sigma: Float) {
    checkArgument(image.count == channels * height * width, "gaussianBlur: \(image.count) values for \(channels)x\(height)x\(width)")
    checkArgument(size % 2 == 1 && size > 0, "gaussianBlur: size must be odd and positive, got \(size)")
    var scratch = [Float](repeating: 0, count: height * width)
    image.withUnsafeMutableBufferPointer { buffer in
        scratch.withUnsafeMutableBufferPointer { scratch in
            gaussianBlurKernel(buffer.baseAddress!, channels: channels, height: height, width: width,
                               size: size, sigma: sigma, scratch: scratch.baseAddress!)
        }
    }
}

/// A C x H x W float image rotated by `degrees` counter-clockwise about its centre,
/// bilinearly, with zeros where the rotated image does not cover (torchvision `rotate`).
public func rotated(_ image: [Float], channels: Int, height: Int, width: Int, degrees: Float) -> [Float] {
    checkArgument(image.count == channels * height * width, "rotated: \(image.count) values for \(channels)x\(height)x\(width)")
    var output = image
    var scratch = [Float](repeating: 0, count: height * width)
    output.withUnsafeMutableBufferPointer { buffer in
        scratch.withUnsafeMutableBufferPointer { scratch in
            rotateKernel(buffer.baseAddress!, channels: channels, height: height, width: width,
                         degrees: degrees, scratch: scratch.baseAddress!)
        }
    }
    return output
}

/// Crops `box` from a C x H x W byte image, resizes bilinearly to C x `outputHeight` x
/// `outputWidth`, optionally mirrors it, and returns floats in [0, 1] (torchvision
/// `resized_crop` followed by `hflip` and `to_tensor`).
public func resizedCrop(_ image: [UInt8], channels: Int, height: Int, width: Int, box: CropBox,
                        outputHeight: Int, outputWidth: Int, flip: Bool = false) -> [Float] {
    checkArgument(image.count == channels * height * width, "resizedCrop: \(image.count) bytes for \(channels)x\(height)x\(width)")
    checkArgument(box.top >= 0 && box.left >= 0 && box.height > 0 && box.width > 0
                 && box.top + box.height <= height && box.left + box.width <= width,
                 "resizedCrop: box \(box) outside the \(height)x\(width) image")
    var output = [Float](repeating: 0, count: channels * outputHeight * outputWidth)
    image.withUnsafeBufferPointer { source in
        output.withUnsafeMutableBufferPointer { destination in
            resizedCropKernel(source: source.baseAddress!, channels: channels, height: height, width: width, box: box,
                              flip: flip, output: destination.baseAddress!, outputHeight: outputHeight, outputWidth: outputWidth)
        }
    }
    return output
}
